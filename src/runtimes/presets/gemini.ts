/**
 * Gemini CLI: `gemini -p PROMPT --output-format stream-json` (0.x), JSONL events init, message, tool_use,
 * tool_result, error, result. Assistant text arrives in deltas; the parser merges the deltas between two
 * other events into one `message`. Mapping, exit codes and sources: docs/agents.md.
 */
import type { AgentEvent, StreamParser } from './events.js';
import { findPrice, type PriceOverrides } from './prices.js';
import { count, Cumulative, finishFromExit, guarded, obj, parseObject, pushUsage, str, text, withResult, type Obj } from './shared.js';

export interface GeminiParserOptions {
  /** The model asked for; the init event's model is used first when it is a priced one. */
  model?: string;
  prices?: PriceOverrides;
}

/** Built-in tools that change a file and the `kind` reported. */
const FILE_TOOLS: Record<string, string> = { write_file: 'write', replace: 'edit' };
const PATH_PARAMS = ['file_path', 'absolute_path', 'path'];

/** Gemini CLI's fatal error classes (the `error.type` of an error result) and exit codes, as Hive reasons. */
const ERROR_TYPES: Record<string, string> = {
  FatalAuthenticationError: 'auth_error',
  FatalInputError: 'input_error',
  FatalSandboxError: 'sandbox_error',
  FatalConfigError: 'config_error',
  FatalTurnLimitedError: 'turn_limit',
  FatalToolExecutionError: 'tool_execution_error',
  FatalCancellationError: 'cancelled',
};
export const GEMINI_EXIT_REASONS: Readonly<Record<number, string>> = {
  41: 'auth_error',
  42: 'input_error',
  44: 'sandbox_error',
  52: 'config_error',
  53: 'turn_limit',
  54: 'tool_execution_error',
  130: 'cancelled',
};

type UsageKey = 'input' | 'output' | 'cacheRead';

export function createGeminiParser(opts: GeminiParserOptions = {}): StreamParser {
  let sessionId: string | undefined;
  let initModel: string | undefined;
  let buffer = '';
  let lastText: string | undefined;
  let lastError: string | undefined;
  let finished = false;
  const usage = new Cumulative<UsageKey>();
  const pending = new Map<string, { name: string; params: Obj | null }>();

  function flush(out: AgentEvent[]): void {
    if (buffer === '') return;
    lastText = buffer;
    out.push({ type: 'message', text: buffer, role: 'assistant' });
    buffer = '';
  }

  function pricedModel(): string | undefined {
    return [initModel, opts.model].find((m) => m !== undefined && findPrice(m, opts.prices) !== null);
  }

  function onToolResult(o: Obj, out: AgentEvent[]): void {
    const id = text(o.tool_id);
    const call = id === undefined ? undefined : pending.get(id);
    if (id !== undefined) pending.delete(id);
    const failed = o.status === 'error' || obj(o.error) !== null;
    const name = call?.name ?? 'unknown';
    const status = failed ? 'failed' : 'completed';
    out.push(id === undefined ? { type: 'tool', name, status } : { type: 'tool', name, status, id });
    const kind = call ? FILE_TOOLS[call.name] : undefined;
    if (failed || !call || kind === undefined) return;
    const path = PATH_PARAMS.map((p) => text(call.params?.[p])).find((p) => p !== undefined);
    if (path !== undefined) out.push({ type: 'file_changed', path, kind });
  }

  function onResult(o: Obj, out: AgentEvent[]): void {
    const stats = obj(o.stats);
    if (stats) {
      // input_tokens is the whole prompt, `cached` the part of it served from cache and `input` the rest;
      // total_tokens also counts thinking (and tool-use prompt) tokens that output_tokens leaves out.
      const prompt = count(stats.input_tokens);
      const cached = count(stats.cached);
      const output = count(stats.output_tokens);
      const extra = typeof stats.total_tokens === 'number' ? Math.max(0, count(stats.total_tokens) - prompt - output) : 0;
      const d = usage.next({
        input: typeof stats.input === 'number' ? count(stats.input) : Math.max(0, prompt - cached),
        output: output + extra,
        cacheRead: cached,
      });
      pushUsage(out, { input: d.input, output: d.output, cacheRead: d.cacheRead, cacheWrite: 0 }, pricedModel(), opts.prices);
    }
    if (finished) return;
    finished = true;
    const err = obj(o.error);
    const status = str(o.status);
    if (status === 'error' || (status === undefined && err !== null)) {
      const type = text(err?.type);
      const reason = type === undefined ? undefined : (ERROR_TYPES[type] ?? type);
      const base: AgentEvent = reason === undefined ? { type: 'finished', status: 'error' } : { type: 'finished', status: 'error', reason };
      out.push(withResult(base, text(err?.message) ?? lastError));
    } else {
      out.push(withResult({ type: 'finished', status: 'success' }, lastText));
    }
  }

  return {
    line(raw) {
      const o = parseObject(raw);
      if (!o) return [];
      return guarded((out) => {
        if (o.type === 'message') {
          if (o.role !== 'assistant') return;
          const content = str(o.content) ?? '';
          if (o.delta === true) {
            buffer += content;
            return;
          }
          flush(out);
          buffer = content;
          flush(out);
          return;
        }
        switch (o.type) {
          case 'init': {
            initModel = text(o.model) ?? initModel;
            const id = text(o.session_id);
            if (id !== undefined && sessionId === undefined) {
              sessionId = id;
              out.push({ type: 'started', sessionId: id });
            }
            break;
          }
          case 'tool_use': {
            flush(out);
            const name = text(o.tool_name) ?? 'unknown';
            const id = text(o.tool_id);
            if (id !== undefined) pending.set(id, { name, params: obj(o.parameters) });
            out.push(id === undefined ? { type: 'tool', name, status: 'started' } : { type: 'tool', name, status: 'started', id });
            break;
          }
          case 'tool_result':
            flush(out);
            onToolResult(o, out);
            break;
          case 'error': {
            flush(out);
            const message = text(o.message);
            if (message === undefined) break;
            const role = o.severity === 'warning' ? 'warning' : 'error';
            if (role === 'error') lastError = message;
            out.push({ type: 'message', text: message, role });
            break;
          }
          case 'result':
            flush(out);
            onResult(o, out);
            break;
        }
      });
    },
    end(exitCode) {
      return guarded((out) => {
        flush(out);
        if (finished) return;
        finished = true;
        out.push(finishFromExit(exitCode, { reasons: GEMINI_EXIT_REASONS, result: lastText, error: lastError }));
      });
    },
  };
}
