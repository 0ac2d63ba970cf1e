/**
 * Resuming a coding agent's session on a retry. A task whose metadata says `resume: true` continues the session
 * of its latest earlier attempt that recorded one. The session id is read back from that attempt's raw log,
 * where the tool printed it (the store keeps no result for a failed attempt). Claude Code (`--resume ID`) and
 * Codex (`codex exec resume ID`) can resume; Gemini CLI and Aider cannot (docs/agents.md).
 */
import { readFileSync, statSync } from 'node:fs';
import type { PresetTool } from '../../core/types.js';
import { count, obj, parseObject } from './shared.js';

export interface PreviousSession {
  sessionId: string;
  /** Codex: the thread's token totals at the end of that attempt (its usage was counted there). */
  codexTotals?: { inputTokens: number; cachedInputTokens: number; outputTokens: number };
}

/** Logs over this size are not searched (a session id is printed at the start; the whole file is read). */
const MAX_LOG_BYTES = 64 << 20;

export const RESUMABLE: ReadonlySet<PresetTool> = new Set(['claude-code', 'codex']);

/** The session of the newest log (of `logPaths`, newest first) that holds one of `tool`'s sessions, or null. */
export function findPreviousSession(tool: PresetTool, logPaths: readonly string[]): PreviousSession | null {
  if (!RESUMABLE.has(tool)) return null;
  for (const path of logPaths) {
    let text: string;
    try {
      if (statSync(path).size > MAX_LOG_BYTES) continue;
      text = readFileSync(path, 'utf8');
    } catch {
      continue; // no log: the attempt ran elsewhere, kept none, or never started
    }
    const found = tool === 'codex' ? codexSession(text) : claudeSession(text);
    if (found) return found;
  }
  return null;
}

/** The id of the last `system/init` line: the session that attempt ran. */
function claudeSession(text: string): PreviousSession | null {
  let id: string | null = null;
  for (const line of text.split('\n')) {
    if (!line.includes('"init"')) continue;
    const o = parseObject(line);
    if (o?.type === 'system' && o.subtype === 'init' && typeof o.session_id === 'string' && o.session_id !== '') id = o.session_id;
  }
  return id === null ? null : { sessionId: id };
}

/** The thread of the last `thread.started` line and the thread totals its last `turn.completed` reported. */
function codexSession(text: string): PreviousSession | null {
  let id: string | null = null;
  let totals: PreviousSession['codexTotals'];
  for (const line of text.split('\n')) {
    if (!line.includes('"thread.started"') && !line.includes('"turn.completed"')) continue;
    const o = parseObject(line);
    if (o?.type === 'thread.started' && typeof o.thread_id === 'string' && o.thread_id !== '') {
      if (o.thread_id !== id) totals = undefined;
      id = o.thread_id;
    } else if (o?.type === 'turn.completed' && id !== null) {
      const u = obj(o.usage);
      if (u) totals = { inputTokens: count(u.input_tokens), cachedInputTokens: count(u.cached_input_tokens), outputTokens: count(u.output_tokens) };
    }
  }
  if (id === null) return null;
  return totals === undefined ? { sessionId: id } : { sessionId: id, codexTotals: totals };
}
