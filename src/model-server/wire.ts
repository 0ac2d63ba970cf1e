import type { ToolCall } from './script.js';

/** What the three wire formats (anthropic.ts, openai.ts, gemini.ts) have in common. */

export type ApiName = 'anthropic' | 'openai' | 'gemini';

/** One answer of the scripted model, before it is put in a wire format. Tool calls are still neutral. */
export interface Reply {
  text?: string;
  calls: ToolCall[];
  usage: { input: number; output: number };
}

/** One server-sent event: `event: NAME` (when named) and `data: JSON`. */
export interface SseEvent {
  event?: string;
  data: unknown;
}

/** The API errors a fault or a bad request answers with. */
export type ErrorKind = 'rate_limit' | 'error' | 'not_found' | 'bad_request';

/** Makes ids unique within one server: `msg_hive_1`, `toolu_hive_2`, … */
export interface Ids {
  next(prefix: string): string;
}

export interface WireApi {
  readonly name: ApiName;
  /** Does the request offer the model tools? Only those take a turn of the script; the others are side requests. */
  isScripted(body: Record<string, unknown>): boolean;
  /** The text of the conversation's first user message: the key of its cursor. */
  conversationKey(body: Record<string, unknown>): string;
  /** The answer to a side request (a JSON document when the request asks for JSON). */
  sideText(body: Record<string, unknown>): string;
  /** The SSE events of a streamed answer, in order. */
  events(reply: Reply, body: Record<string, unknown>, model: string, ids: Ids): SseEvent[];
  /** The body of a non-streamed answer. */
  json(reply: Reply, body: Record<string, unknown>, model: string, ids: Ids): unknown;
  /** Status and body of an API error. */
  error(kind: ErrorKind, message: string): { status: number; body: unknown };
  /** How one event is written on the wire. */
  frame(e: SseEvent): string;
}

/** `event: NAME\ndata: JSON\n\n` (Anthropic and OpenAI). */
export function namedFrame(e: SseEvent): string {
  return `${e.event ? `event: ${e.event}\n` : ''}data: ${JSON.stringify(e.data)}\n\n`;
}

/** The text of a content value: a string, or the `text` of each block/part in an array. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((c) => (typeof c === 'string' ? c : c && typeof c === 'object' && typeof (c as { text?: unknown }).text === 'string' ? (c as { text: string }).text : ''))
    .join('\n');
}

/**
 * A minimal document matching a JSON schema (`type` in either case, `properties`, `items`, `enum`), for side
 * requests that ask for JSON, such as Gemini CLI's model router.
 */
export function sampleOf(schema: unknown, depth = 0): unknown {
  if (!schema || typeof schema !== 'object' || depth > 8) return null;
  const s = schema as { type?: unknown; properties?: Record<string, unknown>; items?: unknown; enum?: unknown[]; anyOf?: unknown[] };
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  if (Array.isArray(s.anyOf) && s.anyOf.length) return sampleOf(s.anyOf[0], depth + 1);
  const type = String(Array.isArray(s.type) ? s.type[0] : (s.type ?? (s.properties ? 'object' : ''))).toLowerCase();
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sampleOf(v, depth + 1)]));
    case 'array':
      return [];
    case 'string':
      return 'scripted';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    default:
      return null;
  }
}
