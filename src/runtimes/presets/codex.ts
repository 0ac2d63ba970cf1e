/**
 * Codex CLI: `codex exec --json PROMPT` (0.1xx, the thread/turn/item JSONL schema of codex-rs/exec). Mapping
 * and sources: docs/agents.md.
 *
 * Two things differ from the other presets. `turn.completed` usage is the THREAD's running total, so the
 * parser reports differences. And a top-level `error` is not terminal: Codex also prints it for a stream
 * error it is about to retry, so it is reported as a message and the outcome comes from `turn.failed` or,
 * failing that, the exit code (`codex exec` exits 1 once a fatal error was seen).
 */
import type { AgentEvent, StreamParser } from './events.js';
import type { PriceOverrides } from './prices.js';
import { count, Cumulative, finishFromExit, guarded, list, obj, parseObject, pushUsage, str, text, type Obj } from './shared.js';

export interface CodexParserOptions {
  /** The model passed to `codex exec --model`, for the estimated cost (Codex does not print it). */
  model?: string;
  prices?: PriceOverrides;
  /** Thread totals already accounted for, when resuming a thread (`codex exec resume`) whose totals carry over. */
  previousTotals?: { inputTokens: number; cachedInputTokens: number; outputTokens: number };
}

type TotalKey = 'inputTokens' | 'cachedInputTokens' | 'outputTokens';

export function createCodexParser(opts: CodexParserOptions = {}): StreamParser {
  let threadId: string | undefined;
  let lastText: string | undefined;
  let lastError: string | undefined;
  let finished = false;
  const totals = new Cumulative<TotalKey>(opts.previousTotals);
  const open = new Set<string>();
  const done = new Set<string>();

  function toolStarted(name: string, id: string | undefined, out: AgentEvent[]): void {
    if (id !== undefined) {
      if (open.has(id) || done.has(id)) return;
      open.add(id);
    }
    out.push(id === undefined ? { type: 'tool', name, status: 'started' } : { type: 'tool', name, status: 'started', id });
  }

  /** Ends a tool call, reporting a `started` first when none was seen (Codex prints some items only completed). */
  function toolEnded(name: string, id: string | undefined, failed: boolean, out: AgentEvent[]): boolean {
    if (id !== undefined && done.has(id)) return false;
    if (id === undefined || !open.has(id)) toolStarted(name, id, out);
    if (id !== undefined) {
      open.delete(id);
      done.add(id);
    }
    const status = failed ? 'failed' : 'completed';
    out.push(id === undefined ? { type: 'tool', name, status } : { type: 'tool', name, status, id });
    return true;
  }

  function tool(item: Obj, completed: boolean, out: AgentEvent[]): void {
    const id = text(item.id);
    const status = str(item.status);
    let name: string;
    let failed = status === 'failed' || status === 'declined';
    switch (item.type) {
      case 'command_execution':
        name = 'shell';
        if (typeof item.exit_code === 'number' && item.exit_code !== 0) failed = true;
        break;
      case 'file_change':
        name = 'apply_patch';
        break;
      case 'mcp_tool_call': {
        const server = text(item.server);
        const toolName = text(item.tool);
        name = server !== undefined && toolName !== undefined ? `mcp__${server}__${toolName}` : (toolName ?? 'mcp');
        if (obj(item.error)) failed = true;
        break;
      }
      default:
        name = 'web_search';
    }
    if (!completed) return toolStarted(name, id, out);
    if (!toolEnded(name, id, failed, out) || failed || item.type !== 'file_change') return;
    for (const c of list(item.changes)) {
      const change = obj(c);
      const path = text(change?.path);
      if (path === undefined) continue;
      const kind = str(change?.kind) ?? str(obj(change?.kind)?.type);
      out.push(kind === undefined ? { type: 'file_changed', path } : { type: 'file_changed', path, kind });
    }
  }

  function onItem(o: Obj, completed: boolean, out: AgentEvent[]): void {
    const item = obj(o.item);
    if (!item) return;
    switch (item.type) {
      case 'agent_message':
      case 'reasoning':
      case 'error': {
        const t = completed ? text(item.text ?? item.message) : undefined;
        if (t === undefined) return;
        if (item.type === 'agent_message') lastText = t;
        const role = item.type === 'agent_message' ? 'assistant' : item.type === 'reasoning' ? 'reasoning' : 'warning';
        out.push({ type: 'message', text: t, role });
        return;
      }
      case 'command_execution':
      case 'file_change':
      case 'mcp_tool_call':
      case 'web_search':
        tool(item, completed, out);
        return;
    }
  }

  function onTurnCompleted(o: Obj, out: AgentEvent[]): void {
    const u = obj(o.usage);
    if (!u) return;
    const d = totals.next({
      inputTokens: count(u.input_tokens),
      cachedInputTokens: count(u.cached_input_tokens),
      outputTokens: count(u.output_tokens),
    });
    // OpenAI's input count includes the cached part; Hive's `input` does not.
    const cacheRead = Math.min(d.cachedInputTokens, d.inputTokens);
    pushUsage(out, { input: d.inputTokens - cacheRead, output: d.outputTokens, cacheRead, cacheWrite: 0 }, opts.model, opts.prices);
  }

  return {
    line(raw) {
      const o = parseObject(raw);
      if (!o) return [];
      return guarded((out) => {
        switch (o.type) {
          case 'thread.started': {
            const id = text(o.thread_id);
            if (id !== undefined && threadId === undefined) {
              threadId = id;
              out.push({ type: 'started', sessionId: id });
            }
            break;
          }
          case 'item.started':
          case 'item.updated':
            onItem(o, false, out);
            break;
          case 'item.completed':
            onItem(o, true, out);
            break;
          case 'turn.completed':
            onTurnCompleted(o, out);
            break;
          case 'turn.failed': {
            const message = text(obj(o.error)?.message) ?? lastError;
            if (finished) break;
            finished = true;
            out.push(message === undefined
              ? { type: 'finished', status: 'error', reason: 'turn_failed' }
              : { type: 'finished', status: 'error', reason: 'turn_failed', result: message });
            break;
          }
          case 'error': {
            const message = text(o.message);
            if (message === undefined) break;
            lastError = message;
            out.push({ type: 'message', text: message, role: 'error' });
            break;
          }
        }
      });
    },
    end(exitCode) {
      if (finished) return [];
      finished = true;
      return [finishFromExit(exitCode, { result: lastText, error: lastError })];
    },
  };
}
