/** Small helpers the preset parsers share: lenient field access, cumulative counters, exit-code fallbacks. */
import type { AgentEvent, TokenUsage } from './events.js';
import { estimateCost, type PriceOverrides } from './prices.js';

export type Obj = Record<string, unknown>;

/** The line as a JSON object, or null (not JSON, or JSON that is not an object). */
export function parseObject(raw: string): Obj | null {
  const text = raw.trim();
  if (!text.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(text);
    return obj(v);
  } catch {
    return null;
  }
}

export function obj(v: unknown): Obj | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A non-empty string, or undefined. */
export function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A token count: a non-negative number rounded to an integer; anything else (or beyond 2^53) is 0. */
export function count(v: unknown): number {
  return typeof v === 'number' && v > 0 && v <= Number.MAX_SAFE_INTEGER ? Math.round(v) : 0;
}

export function isZero(u: TokenUsage): boolean {
  return u.input === 0 && u.output === 0 && u.cacheRead === 0 && u.cacheWrite === 0;
}

/**
 * Turns running totals into increments. When any total goes down, the totals started over (a new session, a
 * process that reset its counters) and are taken whole.
 */
export class Cumulative<K extends string> {
  private last: Record<K, number> | null;

  constructor(baseline?: Record<K, number>) {
    this.last = baseline ? { ...baseline } : null;
  }

  next(totals: Record<K, number>): Record<K, number> {
    const prev = this.last;
    this.last = { ...totals };
    if (!prev) return { ...totals };
    const keys = Object.keys(totals) as K[];
    if (keys.some((k) => totals[k] < (prev[k] ?? 0))) return { ...totals };
    const diff = {} as Record<K, number>;
    for (const k of keys) diff[k] = totals[k] - (prev[k] ?? 0);
    return diff;
  }
}

/** Pushes a `usage` event (unless all zero) and, when the model is priced, an estimated `cost`. */
export function pushUsage(out: AgentEvent[], u: TokenUsage, model: string | undefined, prices?: PriceOverrides): void {
  if (isZero(u)) return;
  out.push({ type: 'usage', input: u.input, output: u.output, cacheRead: u.cacheRead, cacheWrite: u.cacheWrite });
  if (model === undefined) return;
  const usd = estimateCost(model, u, prices);
  if (usd !== null && usd > 0) out.push({ type: 'cost', usd, source: 'estimated' });
}

/**
 * The `finished` event for a process that ended without a terminal event: success on exit 0, else an error
 * whose reason is the tool's name for the code, `exit_N`, or `killed` (no exit code: a signal).
 */
export function finishFromExit(
  exitCode: number | null,
  opts: { reasons?: Record<number, string>; result?: string; error?: string } = {},
): AgentEvent {
  if (exitCode === 0) return withResult({ type: 'finished', status: 'success' }, opts.result);
  const reason = exitCode === null ? 'killed' : (opts.reasons?.[exitCode] ?? `exit_${exitCode}`);
  return withResult({ type: 'finished', status: 'error', reason }, opts.error);
}

export function withResult<T extends object>(e: T, result: string | undefined): T & { result?: string } {
  return result === undefined ? e : { ...e, result };
}

/**
 * Runs `handle` on a parsed line and returns what it pushed, even when it throws halfway: a schema drift
 * must not crash the caller.
 */
export function guarded(handle: (out: AgentEvent[]) => void): AgentEvent[] {
  const out: AgentEvent[] = [];
  try {
    handle(out);
  } catch {
    // Unknown shapes are ignored; whatever was understood before the surprise is kept.
  }
  return out;
}
