import type { TokenUsage } from './events.js';

/** USD per million tokens. `cacheRead`/`cacheWrite` default to `input` when an override leaves them out. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export type PriceOverrides = Record<string, Partial<ModelPrice>>;

/**
 * Public list prices (USD per million tokens, standard tier, no batch discount, short-context tier) as
 * known when this table was written (2025), not re-checked against the vendors' pages. They go stale: pass overrides to
 * `estimateCost` rather than trusting them for billing. Keys match a model name exactly or as its longest
 * prefix, so `claude-sonnet-4-5-20250929` uses `claude-sonnet-4-5` and `gemini-2.5-flash-lite` does not fall
 * back to `gemini-2.5-flash`. OpenAI and Google charge nothing extra to write a cache, so their `cacheWrite`
 * is the input price (those tools never report cache writes anyway).
 */
export const PRICES: Readonly<Record<string, ModelPrice>> = {
  // Anthropic (cache write = 5-minute TTL price)
  'claude-opus-4': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-opus-4-1': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-opus-4-5': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  'claude-sonnet-4': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-haiku-4-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
  // OpenAI
  'gpt-5': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 1.25 },
  'gpt-5-codex': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 1.25 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025, cacheWrite: 0.25 },
  'o4-mini': { input: 1.1, output: 4.4, cacheRead: 0.275, cacheWrite: 1.1 },
  // Google (prompts up to 200k tokens; longer prompts cost more on 2.5 Pro)
  'gemini-2.5-pro': { input: 1.25, output: 10, cacheRead: 0.125, cacheWrite: 1.25 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cacheRead: 0.03, cacheWrite: 0.3 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cacheRead: 0.01, cacheWrite: 0.1 },
};

/** A model name as the table keys it: lower case, without a provider prefix such as `openai/` or `models/`. */
function normalise(model: string): string {
  const name = model.trim().toLowerCase();
  const slash = name.lastIndexOf('/');
  return slash === -1 ? name : name.slice(slash + 1);
}

function complete(p: Partial<ModelPrice> | undefined): ModelPrice | null {
  if (!p || !isPrice(p.input) || !isPrice(p.output)) return null;
  return {
    input: p.input,
    output: p.output,
    cacheRead: isPrice(p.cacheRead) ? p.cacheRead : p.input,
    cacheWrite: isPrice(p.cacheWrite) ? p.cacheWrite : p.input,
  };
}

function isPrice(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/**
 * The price of `model`: an exact key first, else the longest key the name starts with. Overrides are merged
 * over the table field by field (a new model needs at least `input` and `output`). Null when nothing matches.
 */
export function findPrice(model: string, overrides?: PriceOverrides): ModelPrice | null {
  const name = normalise(model);
  if (name === '') return null;
  const table: Record<string, Partial<ModelPrice>> = { ...PRICES };
  for (const [key, o] of Object.entries(overrides ?? {})) {
    const k = normalise(key);
    if (k !== '' && o && typeof o === 'object') table[k] = { ...table[k], ...o };
  }
  if (name in table) return complete(table[name]);
  let best: string | null = null;
  for (const key of Object.keys(table)) {
    if (name.startsWith(key) && (best === null || key.length > best.length)) best = key;
  }
  return best === null ? null : complete(table[best]);
}

/** Estimated USD for `usage` on `model` (rounded to 1e-9), or null when the model is unknown. */
export function estimateCost(model: string, usage: TokenUsage, overrides?: PriceOverrides): number | null {
  const p = findPrice(model, overrides);
  if (!p) return null;
  const usd = (usage.input * p.input + usage.output * p.output + usage.cacheRead * p.cacheRead + usage.cacheWrite * p.cacheWrite) / 1e6;
  return Number.isFinite(usd) ? Math.round(usd * 1e9) / 1e9 : null;
}
