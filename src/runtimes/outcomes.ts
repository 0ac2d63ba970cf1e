import { HiveError, type ErrorCode } from '../core/errors.js';
import type { RunOutcome } from '../core/runtime.js';
import type { Usage } from '../core/types.js';

/** An outcome for an attempt that did not succeed and has no exit status of its own. */
export function failure(code: ErrorCode, error: string): RunOutcome {
  return { ok: false, exitCode: null, signal: null, code, error };
}

/** The code and message an abort stands for: the reason's own when it is a HiveError, else CANCELLED. */
export function abortReason(reason: unknown): { code: ErrorCode; message: string } {
  if (reason instanceof HiveError) return { code: reason.code, message: reason.message };
  return { code: 'CANCELLED', message: reason instanceof Error && reason.message ? reason.message : 'cancelled' };
}

export function abortOutcome(reason: unknown): RunOutcome {
  const { code, message } = abortReason(reason);
  return failure(code, message);
}

/** A readable reason why `program` could not be started, from a spawn error. */
export function spawnErrorMessage(program: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const name = JSON.stringify(program);
  switch (code) {
    case 'ENOENT':
      return `cannot start ${name}: no such file or directory (check the command and PATH)`;
    case 'EACCES':
      return `cannot start ${name}: permission denied (is it executable?)`;
    case 'E2BIG':
      return `cannot start ${name}: arguments too long (one argument can hold at most 128 KiB; pass a long prompt in a file instead)`;
    default:
      return `cannot start ${name}: ${(err as Error).message}`;
  }
}

/**
 * Token usage as agents print it (`input_tokens`, `output_tokens`, `cost_usd`, each optional), or null when
 * the object carries none of them. Counts are increments: the engine adds up every usage report of an attempt.
 */
export function usageFromWire(o: Record<string, unknown>): Partial<Usage> | null {
  const usage: Partial<Usage> = {};
  if (typeof o.input_tokens === 'number') usage.inputTokens = o.input_tokens;
  if (typeof o.output_tokens === 'number') usage.outputTokens = o.output_tokens;
  if (typeof o.cost_usd === 'number') usage.costUsd = o.cost_usd;
  return Object.keys(usage).length > 0 ? usage : null;
}
