/**
 * Claude Code: `claude -p PROMPT --output-format stream-json --verbose`, one JSON message per line
 * (system/init, assistant, user, result, and more that are ignored). Mapping and sources: docs/agents.md.
 */
import type { AgentEvent, StreamParser } from './events.js';
import type { PriceOverrides } from './prices.js';
import { count, Cumulative, finishFromExit, guarded, list, obj, parseObject, pushUsage, str, text, withResult, type Obj } from './shared.js';

export interface ClaudeCodeParserOptions {
  /** Model to estimate a cost with when a `result` carries usage but no `total_cost_usd` (default: the init message's model). */
  model?: string;
  prices?: PriceOverrides;
}

/** Built-in tools that change a file, the input field naming it, and the `kind` reported. */
const FILE_TOOLS: Record<string, { field: string; kind: string }> = {
  Write: { field: 'file_path', kind: 'write' },
  Edit: { field: 'file_path', kind: 'edit' },
  MultiEdit: { field: 'file_path', kind: 'edit' },
  NotebookEdit: { field: 'notebook_path', kind: 'edit' },
};

type UsageKey = 'input' | 'output' | 'cacheRead' | 'cacheWrite';

export function createClaudeCodeParser(opts: ClaudeCodeParserOptions = {}): StreamParser {
  let sessionId: string | undefined;
  let model = opts.model;
  let lastText: string | undefined;
  let finished = false;
  let lastCost: number | null = null;
  const usage = new Cumulative<UsageKey>();
  /** tool_use id → name and input, until its tool_result arrives. */
  const pending = new Map<string, { name: string; input: Obj | null }>();

  function onAssistant(o: Obj, out: AgentEvent[]): void {
    for (const b of list(obj(o.message)?.content)) {
      const block = obj(b);
      if (!block) continue;
      if (block.type === 'text') {
        const t = text(block.text);
        if (t === undefined) continue;
        lastText = t;
        out.push({ type: 'message', text: t, role: 'assistant' });
      } else if (block.type === 'tool_use') {
        const name = text(block.name) ?? 'unknown';
        const id = text(block.id);
        if (id !== undefined) pending.set(id, { name, input: obj(block.input) });
        out.push(id === undefined ? { type: 'tool', name, status: 'started' } : { type: 'tool', name, status: 'started', id });
      }
    }
  }

  function onUser(o: Obj, out: AgentEvent[]): void {
    for (const b of list(obj(o.message)?.content)) {
      const block = obj(b);
      if (!block || block.type !== 'tool_result') continue;
      const id = text(block.tool_use_id);
      const call = id === undefined ? undefined : pending.get(id);
      if (id !== undefined) pending.delete(id);
      const failed = block.is_error === true;
      const name = call?.name ?? 'unknown';
      const status = failed ? 'failed' : 'completed';
      out.push(id === undefined ? { type: 'tool', name, status } : { type: 'tool', name, status, id });
      const file = call ? FILE_TOOLS[call.name] : undefined;
      const path = file ? text(call?.input?.[file.field]) : undefined;
      if (!failed && file && path !== undefined) out.push({ type: 'file_changed', path, kind: file.kind });
    }
  }

  function onResult(o: Obj, out: AgentEvent[]): void {
    const u = obj(o.usage);
    const reported = typeof o.total_cost_usd === 'number' && Number.isFinite(o.total_cost_usd) ? o.total_cost_usd : null;
    if (u) {
      const inc = usage.next({
        input: count(u.input_tokens),
        output: count(u.output_tokens),
        cacheRead: count(u.cache_read_input_tokens),
        cacheWrite: count(u.cache_creation_input_tokens),
      });
      pushUsage(out, inc, reported === null ? model : undefined, opts.prices);
    }
    if (reported !== null) {
      const inc = lastCost === null || reported < lastCost ? reported : reported - lastCost;
      lastCost = reported;
      const usd = Math.round(inc * 1e9) / 1e9;
      if (Number.isFinite(usd) && usd > 0) out.push({ type: 'cost', usd, source: 'reported' });
    }
    if (finished) return;
    finished = true;
    const subtype = text(o.subtype);
    const error = o.is_error === true || (subtype !== undefined && subtype.startsWith('error'));
    const errors = list(o.errors).filter((e): e is string => typeof e === 'string');
    const result = text(o.result) ?? (errors.length > 0 ? errors.join('\n') : undefined);
    const base: AgentEvent = subtype === undefined
      ? { type: 'finished', status: error ? 'error' : 'success' }
      : { type: 'finished', status: error ? 'error' : 'success', reason: subtype };
    out.push(withResult(base, result));
  }

  return {
    line(raw) {
      const o = parseObject(raw);
      if (!o) return [];
      return guarded((out) => {
        const sid = text(o.session_id);
        if (sid !== undefined && sessionId === undefined) {
          sessionId = sid;
          out.push({ type: 'started', sessionId: sid });
        }
        switch (o.type) {
          case 'system':
            if (o.subtype === 'init') model = opts.model ?? str(o.model) ?? model;
            break;
          case 'assistant':
            onAssistant(o, out);
            break;
          case 'user':
            onUser(o, out);
            break;
          case 'result':
            onResult(o, out);
            break;
        }
      });
    },
    end(exitCode) {
      if (finished) return [];
      finished = true;
      return [finishFromExit(exitCode, { result: lastText })];
    },
  };
}
