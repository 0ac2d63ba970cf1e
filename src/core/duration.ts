import { HiveError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `250ms`, `30s`, `5m`, `1h30m`, `2d` or a bare number of milliseconds. */
export function parseDuration(input: string | number, field = 'duration'): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return Math.floor(input);
  } else {
    const text = input.trim();
    if (/^\d+$/.test(text)) return Number(text);
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
    let total = 0;
    let consumed = 0;
    for (const m of text.matchAll(re)) {
      if (m.index !== consumed) break;
      total += Number(m[1]) * UNITS[m[2]];
      consumed += m[0].length;
    }
    if (consumed === text.length && consumed > 0) return Math.floor(total);
  }
  throw new HiveError('VALIDATION_FAILED', `${field}: expected a duration such as 500ms, 30s, 5m or 1h, got ${JSON.stringify(input)}`, {
    details: { issues: [{ path: field, message: 'expected a duration such as 500ms, 30s, 5m or 1h' }] },
  });
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  if (ms < 3_600_000) {
    const m = Math.floor(ms / 60_000);
    const s = Math.round((ms % 60_000) / 1000);
    return `${m}m${s.toString().padStart(2, '0')}s`;
  }
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms % 3_600_000) / 60_000);
  return m ? `${h}h${m.toString().padStart(2, '0')}m` : `${h}h`;
}
