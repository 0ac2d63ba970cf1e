import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateCost, findPrice, PRICES } from '../../../src/runtimes/presets/prices.js';

const MTOK = { input: 1_000_000, output: 0, cacheRead: 0, cacheWrite: 0 };

describe('price table', () => {
  it('matches an exact name, then the longest prefix', () => {
    assert.deepEqual(findPrice('gpt-5'), PRICES['gpt-5']);
    assert.deepEqual(findPrice('gpt-5-codex'), PRICES['gpt-5-codex']);
    assert.deepEqual(findPrice('claude-sonnet-4-5-20250929'), PRICES['claude-sonnet-4-5']);
    assert.deepEqual(findPrice('claude-opus-4-5-20251101'), PRICES['claude-opus-4-5']);
    assert.deepEqual(findPrice('claude-opus-4-20250514'), PRICES['claude-opus-4']);
    assert.deepEqual(findPrice('gemini-2.5-flash-lite-preview-06-17'), PRICES['gemini-2.5-flash-lite']);
    assert.deepEqual(findPrice('gemini-2.5-flash'), PRICES['gemini-2.5-flash']);
    assert.deepEqual(findPrice('models/Gemini-2.5-Pro'), PRICES['gemini-2.5-pro']);
    assert.deepEqual(findPrice('openai/o4-mini-2025-04-16'), PRICES['o4-mini']);
  });

  it('returns null for an unknown model', () => {
    assert.equal(estimateCost('llama-3-70b', MTOK), null);
    assert.equal(estimateCost('', MTOK), null);
    assert.equal(estimateCost('auto', MTOK), null);
  });

  it('prices each kind of token', () => {
    assert.equal(estimateCost('claude-sonnet-4-20250514', { input: 1000, output: 2000, cacheRead: 10_000, cacheWrite: 4000 }), 0.051);
    assert.equal(estimateCost('gpt-5', MTOK), 1.25);
    assert.equal(estimateCost('gpt-5', { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }), 0);
  });

  it('applies overrides field by field and lets them add models', () => {
    assert.equal(estimateCost('gpt-5', MTOK, { 'gpt-5': { input: 2 } }), 2);
    assert.equal(estimateCost('gpt-5', { ...MTOK, input: 0, output: 1_000_000 }, { 'gpt-5': { input: 2 } }), 10);
    assert.equal(estimateCost('my-local-model-7b', { input: 1_000_000, output: 1_000_000, cacheRead: 1_000_000, cacheWrite: 0 }, { 'my-local-model': { input: 0.5, output: 1 } }), 2);
    assert.equal(estimateCost('half-priced', MTOK, { 'half-priced': { output: 1 } }), null);
    assert.equal(estimateCost('gpt-5-codex', MTOK, { 'gpt-5': { input: 9 } }), 1.25);
  });
});
