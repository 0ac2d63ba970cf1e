import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createAiderParser } from '../../../src/runtimes/presets/aider.js';
import { createClaudeCodeParser } from '../../../src/runtimes/presets/claude-code.js';
import { createCodexParser } from '../../../src/runtimes/presets/codex.js';
import type { AgentEvent, StreamParser } from '../../../src/runtimes/presets/events.js';
import { createGeminiParser } from '../../../src/runtimes/presets/gemini.js';
import { fixtureLines, STREAMS } from './helpers.js';

const PARSERS: Record<string, () => StreamParser> = {
  'claude-code': () => createClaudeCodeParser({ model: 'claude-sonnet-4' }),
  codex: () => createCodexParser({ model: 'gpt-5-codex' }),
  gemini: () => createGeminiParser({ model: 'gemini-2.5-pro' }),
  aider: () => createAiderParser(),
};

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES: unknown[] = [null, true, 0, -1, 1e308, Number.MAX_SAFE_INTEGER, '', 'x', [], [null], {}, { type: 'text' }, '\u0000', '😀'];

/** Replaces one value somewhere in a JSON object with an odd one, or deletes a key. */
function mutate(value: unknown, r: () => number, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth > 6) return ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0) return ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
  const key = keys[Math.floor(r() * keys.length)];
  const rec = copy as Record<string, unknown>;
  if (r() < 0.15 && !Array.isArray(copy)) delete rec[key];
  else rec[key] = r() < 0.5 ? mutate(rec[key], r, depth + 1) : ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
  return copy;
}

function variants(line: string, r: () => number): string[] {
  const out = [line.slice(0, Math.floor(r() * line.length)), line.slice(Math.floor(r() * line.length)), line + line];
  const chars = [...line];
  for (let i = 0; i < 3 && chars.length > 0; i++) chars[Math.floor(r() * chars.length)] = String.fromCharCode(Math.floor(r() * 0x3000));
  out.push(chars.join(''));
  try {
    const parsed: unknown = JSON.parse(line);
    for (let i = 0; i < 4; i++) out.push(JSON.stringify(mutate(parsed, r)));
  } catch {
    // a text line: the cuts and flips above are its variants
  }
  return out;
}

function checkEvents(events: AgentEvent[]): void {
  assert.ok(Array.isArray(events));
  for (const e of events) {
    assert.equal(typeof e.type, 'string');
    if (e.type === 'usage') for (const n of [e.input, e.output, e.cacheRead, e.cacheWrite]) assert.ok(Number.isInteger(n) && n >= 0, `bad count ${n}`);
    if (e.type === 'cost') assert.ok(Number.isFinite(e.usd) && e.usd > 0, `bad cost ${e.usd}`);
  }
}

describe('parsers never throw', () => {
  for (const [tool, make] of Object.entries(PARSERS)) {
    it(`${tool}: truncated, flipped and mutated lines of every fixture`, () => {
      const r = rng(0x5eed + tool.length);
      const lines = readdirSync(STREAMS + tool).flatMap((f) => fixtureLines(`${tool}/${f}`));
      for (let round = 0; round < 20; round++) {
        const p = make();
        let finished = 0;
        for (const line of lines) {
          for (const v of [line, ...variants(line, r)]) {
            const events = p.line(v);
            checkEvents(events);
            finished += events.filter((e) => e.type === 'finished').length;
          }
        }
        const last = p.end(r() < 0.5 ? null : Math.floor(r() * 256));
        checkEvents(last);
        finished += last.filter((e) => e.type === 'finished').length;
        assert.equal(finished, 1, 'exactly one finished event per parser');
      }
    });

    it(`${tool}: random bytes and odd JSON`, () => {
      const r = rng(42 + tool.length);
      const p = make();
      for (let i = 0; i < 2000; i++) {
        const len = Math.floor(r() * 200);
        let s = '';
        for (let j = 0; j < len; j++) s += String.fromCharCode(Math.floor(r() * (r() < 0.8 ? 128 : 0x10000)));
        checkEvents(p.line(s));
        checkEvents(p.line(JSON.stringify({ type: ['result', 'assistant', 'user', 'turn.completed', 'item.completed', 'tool_result', 'message', 'init'][i % 8], ...(mutate({ a: { b: [1, { c: 'd' }] }, usage: { input_tokens: 5 }, stats: { input_tokens: 3 }, message: { content: [{ type: 'tool_use' }] }, item: { type: 'file_change', changes: [{}] } }, r) as object) })));
      }
      checkEvents(p.line('{"type":"result","usage":{"input_tokens":1e400}}'));
      checkEvents(p.line('x'.repeat(1 << 20)));
      checkEvents(p.end(0));
    });
  }
});
