import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropic } from './anthropic.js';
import { gemini } from './gemini.js';
import { openai } from './openai.js';
import { parseScript, type Fault, type Script, type Turn } from './script.js';
import type { ApiName, Ids, Reply, WireApi } from './wire.js';

/**
 * The scripted model server: one node:http server that speaks the Anthropic Messages, OpenAI Responses and
 * Gemini APIs and answers each agent step with the next turn of a script. See docs/model-server.md.
 */

export interface ModelServerOptions {
  /** A parsed script, or a document to parse: a list of turns or `{turns, cursor?, done?}`. */
  script: Script | unknown;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Called with one line per request. */
  log?: (line: string) => void;
}

export interface LoggedRequest {
  seq: number;
  /** Epoch ms when the request arrived. */
  at: number;
  method: string;
  /** Path and query. */
  url: string;
  api: ApiName | null;
  /** `turn`: took a turn of the script (or the `done` answer); `side`: offered no tools; `count_tokens`; `probe` (HEAD); `unknown` (404). */
  kind: 'turn' | 'side' | 'count_tokens' | 'probe' | 'unknown';
  /** Short hash of the conversation key (the first user message), or `global`. */
  conversation?: string;
  /** Index of the script turn answered; `null` when the script was used up and `done` was answered. */
  turn?: number | null;
  fault?: Fault;
  stream?: boolean;
  model?: string;
  /** Status sent; undefined while nothing was sent (hang, down). */
  status?: number;
  /** The parsed JSON body (null when there was none or it was not JSON). */
  body: unknown;
}

export interface ModelServer {
  url: string;
  port: number;
  host: string;
  /** The last 1000 requests, oldest first. */
  readonly requests: LoggedRequest[];
  /** Stops listening and drops every connection, hung and stalled ones included. */
  close(): Promise<void>;
}

/** Usage reported when a turn gives none. */
export const DEFAULT_USAGE = { input: 10, output: 5 } as const;
const MAX_BODY = 64 * 1024 * 1024;
const KEPT_REQUESTS = 1000;

interface Route {
  api: WireApi;
  op: 'generate' | 'count_tokens';
  stream: (body: Record<string, unknown>) => boolean;
  model: (body: Record<string, unknown>) => string;
}

function route(method: string, path: string): Route | null {
  if (method !== 'POST') return null;
  const bodyModel = (fallback: string) => (b: Record<string, unknown>) => (typeof b.model === 'string' ? b.model : fallback);
  const bodyStream = (b: Record<string, unknown>) => b.stream === true;
  if (path === '/v1/messages') return { api: anthropic, op: 'generate', stream: bodyStream, model: bodyModel('claude-scripted') };
  if (path === '/v1/messages/count_tokens') return { api: anthropic, op: 'count_tokens', stream: () => false, model: bodyModel('claude-scripted') };
  if (path === '/v1/responses') return { api: openai, op: 'generate', stream: bodyStream, model: bodyModel('gpt-scripted') };
  const g = /^\/v1(?:beta|alpha)?\/models\/([^/:]+):(streamGenerateContent|generateContent|countTokens)$/.exec(path);
  if (g) {
    const model = decodeURIComponent(g[1]);
    return { api: gemini, op: g[2] === 'countTokens' ? 'count_tokens' : 'generate', stream: () => g[2] === 'streamGenerateContent', model: () => model };
  }
  return null;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy(new Error('request body over 64 MiB'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 8);

export async function createModelServer(opts: ModelServerOptions): Promise<ModelServer> {
  const script = parseScript(opts.script);
  const log = opts.log ?? ((): void => undefined);
  const requests: LoggedRequest[] = [];
  const cursors = new Map<string, { index: number; served: number }>();
  let idCounter = 0;
  const ids: Ids = { next: (prefix) => `${prefix}${++idCounter}` };
  let seq = 0;

  /** The next turn of a conversation, or null once the script is used up. */
  function take(key: string): { turn: Turn | null; index: number | null } {
    const c = cursors.get(key) ?? { index: 0, served: 0 };
    cursors.set(key, c);
    if (c.index >= script.turns.length) return { turn: null, index: null };
    const index = c.index;
    const turn = script.turns[index];
    if (turn.times !== 'forever' && ++c.served >= (turn.times ?? 1)) {
      c.index++;
      c.served = 0;
    }
    return { turn, index };
  }

  function record(entry: Omit<LoggedRequest, 'seq' | 'at'>): LoggedRequest {
    const r: LoggedRequest = { seq: ++seq, at: Date.now(), ...entry };
    requests.push(r);
    if (requests.length > KEPT_REQUESTS) requests.splice(0, requests.length - KEPT_REQUESTS);
    return r;
  }

  function describe(r: LoggedRequest): string {
    const what =
      r.kind === 'turn'
        ? `${r.api} ${r.turn === null ? 'done' : `turn ${r.turn}`}${r.fault ? ` fault ${r.fault}` : ''} (conversation ${r.conversation})`
        : `${r.api ?? '-'} ${r.kind}`;
    return `${r.method} ${r.url} ${what}: ${r.status ?? (r.fault === 'hang' ? 'no answer' : 'connection closed')}${r.stream ? ' stream' : ''}`;
  }

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const path = url.split('?')[0];
    const raw = await readBody(req);
    let body: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = raw ? JSON.parse(raw) : null;
      body = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    } catch {
      body = null;
    }
    const r = route(method, path);
    if (!r) {
      if (method === 'HEAD') {
        const entry = record({ method, url, api: null, kind: 'probe', body: null, status: 200 });
        res.writeHead(200).end();
        log(describe(entry));
        return;
      }
      const entry = record({ method, url, api: null, kind: 'unknown', body, status: 404 });
      sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `the scripted model server has no route ${method} ${path}` } });
      log(describe(entry));
      return;
    }
    const { api } = r;
    if (!body) {
      const entry = record({ method, url, api: api.name, kind: r.op === 'count_tokens' ? 'count_tokens' : 'turn', body: null, status: 400 });
      const e = api.error('bad_request', 'the request body is not a JSON object');
      sendJson(res, e.status, e.body);
      log(describe(entry));
      return;
    }
    const model = r.model(body);
    if (r.op === 'count_tokens') {
      const entry = record({ method, url, api: api.name, kind: 'count_tokens', model, body, status: 200 });
      const tokens = Math.ceil(raw.length / 4);
      sendJson(res, 200, api.name === 'gemini' ? { totalTokens: tokens } : { input_tokens: tokens });
      log(describe(entry));
      return;
    }
    const stream = r.stream(body);
    let reply: Reply;
    let turn: Turn | null = null;
    let entry: LoggedRequest;
    if (api.isScripted(body)) {
      const key = script.cursor === 'global' ? 'global' : shortHash(`${api.name}\0${api.conversationKey(body)}`);
      const taken = take(key);
      turn = taken.turn;
      entry = record({ method, url, api: api.name, kind: 'turn', conversation: key, turn: taken.index, fault: turn?.fault, stream, model, body });
      reply = turn
        ? { text: turn.text, calls: turn.tool_calls ?? [], usage: turn.usage ?? { ...DEFAULT_USAGE } }
        : { text: script.done, calls: [], usage: { ...DEFAULT_USAGE } };
    } else {
      entry = record({ method, url, api: api.name, kind: 'side', stream, model, body });
      reply = { text: api.sideText(body), calls: [], usage: { ...DEFAULT_USAGE } };
    }
    if (turn?.delay_ms) await new Promise((resolve) => setTimeout(resolve, turn.delay_ms));
    if (res.destroyed) return;

    switch (turn?.fault) {
      case 'down':
        log(describe(entry));
        req.socket.destroy();
        return;
      case 'hang':
        log(describe(entry));
        return; // the request stays open until the client gives up or the server closes
      case 'rate_limit':
      case 'error': {
        const e = api.error(turn.fault, turn.fault === 'rate_limit' ? 'Scripted rate limit: try again later.' : 'Scripted internal server error.');
        entry.status = e.status;
        sendJson(res, e.status, e.body, turn.fault === 'rate_limit' ? { 'retry-after': String(turn.retry_after ?? 1) } : {});
        log(describe(entry));
        return;
      }
      default:
        break;
    }
    entry.status = 200;
    if (!stream) {
      if (turn?.fault === 'stall') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
      } else sendJson(res, 200, api.json(reply, body, model, ids));
      log(describe(entry));
      return;
    }
    const events = api.events(reply, body, model, ids);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    if (turn?.fault === 'stall') {
      res.write(api.frame(events[0])); // then nothing: the stream stays open
      log(describe(entry));
      return;
    }
    res.end(events.map((e) => api.frame(e)).join(''));
    log(describe(entry));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`${req.method} ${req.url}: internal error: ${(err as Error).message}`);
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, { type: 'error', error: { type: 'api_error', message: (err as Error).message } });
      else res.destroy();
    });
  });
  // A hung or stalled request must not time out on the server side: the client is the one who gives up.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 5_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
