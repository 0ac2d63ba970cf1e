import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCodexParser } from '../../../src/runtimes/presets/codex.js';
import { replay } from './helpers.js';

describe('Codex exec --json parser', () => {
  it('maps a successful turn with commands, patches, MCP and web search', () => {
    assert.deepEqual(replay(createCodexParser({ model: 'gpt-5-codex' }), 'codex/success-with-edits.jsonl', 0), [
      { type: 'started', sessionId: '0199a213-81c0-7800-8aa1-bbab2a035a53' },
      { type: 'message', text: '**Locating the greeting helper**', role: 'reasoning' },
      { type: 'tool', name: 'shell', status: 'started', id: 'item_1' },
      { type: 'tool', name: 'shell', status: 'completed', id: 'item_1' },
      { type: 'tool', name: 'apply_patch', status: 'started', id: 'item_3' },
      { type: 'tool', name: 'apply_patch', status: 'completed', id: 'item_3' },
      { type: 'file_changed', path: '/work/repo/src/greet.ts', kind: 'update' },
      { type: 'file_changed', path: '/work/repo/test/greet.test.ts', kind: 'add' },
      { type: 'file_changed', path: '/work/repo/src/old.ts', kind: 'delete' },
      { type: 'tool', name: 'shell', status: 'started', id: 'item_4' },
      { type: 'tool', name: 'shell', status: 'failed', id: 'item_4' },
      { type: 'tool', name: 'mcp__docs__search', status: 'started', id: 'item_5' },
      { type: 'tool', name: 'mcp__docs__search', status: 'completed', id: 'item_5' },
      { type: 'tool', name: 'web_search', status: 'started', id: 'item_6' },
      { type: 'tool', name: 'web_search', status: 'completed', id: 'item_6' },
      { type: 'tool', name: 'apply_patch', status: 'started', id: 'item_7' },
      { type: 'tool', name: 'apply_patch', status: 'failed', id: 'item_7' },
      { type: 'message', text: 'Updated the greeting; one test still fails.', role: 'assistant' },
      // input_tokens includes the cached part: 24763 - 24448 = 315 uncached.
      { type: 'usage', input: 315, output: 122, cacheRead: 24448, cacheWrite: 0 },
      { type: 'cost', usd: 0.00466975, source: 'estimated' },
      { type: 'finished', status: 'success', result: 'Updated the greeting; one test still fails.' },
    ]);
  });

  it('reports differences of the cumulative thread usage across two turns', () => {
    assert.deepEqual(replay(createCodexParser({ model: 'gpt-5-codex' }), 'codex/two-turns.jsonl', 0), [
      { type: 'started', sessionId: '0199b000-0000-7000-8000-000000000002' },
      { type: 'message', text: 'First turn done.', role: 'assistant' },
      { type: 'usage', input: 2000, output: 500, cacheRead: 8000, cacheWrite: 0 },
      { type: 'cost', usd: 0.0085, source: 'estimated' },
      { type: 'message', text: 'Second turn done.', role: 'assistant' },
      // Totals 25000/20000/1300 minus 10000/8000/500, not their sum.
      { type: 'usage', input: 3000, output: 800, cacheRead: 12000, cacheWrite: 0 },
      { type: 'cost', usd: 0.01325, source: 'estimated' },
      { type: 'finished', status: 'success', result: 'Second turn done.' },
    ]);
  });

  it('subtracts the totals of a resumed thread, and takes totals whole when they go down', () => {
    const p = createCodexParser({ previousTotals: { inputTokens: 10000, cachedInputTokens: 8000, outputTokens: 500 } });
    assert.deepEqual(p.line('{"type":"turn.completed","usage":{"input_tokens":12000,"cached_input_tokens":9000,"output_tokens":600}}'), [
      { type: 'usage', input: 1000, output: 100, cacheRead: 1000, cacheWrite: 0 },
    ]);
    assert.deepEqual(p.line('{"type":"turn.completed","usage":{"input_tokens":12000,"cached_input_tokens":9000,"output_tokens":600}}'), []);
    assert.deepEqual(p.line('{"type":"turn.completed","usage":{"input_tokens":300,"cached_input_tokens":0,"output_tokens":20}}'), [
      { type: 'usage', input: 300, output: 20, cacheRead: 0, cacheWrite: 0 },
    ]);
  });

  it('treats error events as messages and turn.failed as the end', () => {
    assert.deepEqual(replay(createCodexParser({ model: 'gpt-5-codex' }), 'codex/turn-failed.jsonl', 1), [
      { type: 'started', sessionId: '0199c000-0000-7000-8000-000000000003' },
      { type: 'message', text: 'model rerouted: gpt-5-codex -> gpt-5 (HighRiskCyberActivity)', role: 'warning' },
      { type: 'message', text: 'Reconnecting... 1/5 (stream disconnected before completion: error sending request)', role: 'error' },
      { type: 'tool', name: 'shell', status: 'started', id: 'item_1' },
      { type: 'message', text: "You've hit your usage limit. Try again later.", role: 'error' },
      { type: 'finished', status: 'error', reason: 'turn_failed', result: "You've hit your usage limit. Try again later." },
    ]);
  });

  it('ends with the exit code and the last error when no turn.failed arrives', () => {
    const p = createCodexParser();
    p.line('{"type":"error","message":"stream error: unexpected status 401 Unauthorized"}');
    assert.deepEqual(p.end(1), [{ type: 'finished', status: 'error', reason: 'exit_1', result: 'stream error: unexpected status 401 Unauthorized' }]);
    assert.deepEqual(createCodexParser().end(null), [{ type: 'finished', status: 'error', reason: 'killed' }]);
  });

  it('ignores garbage, unknown events and item types, and malformed fields', () => {
    assert.deepEqual(replay(createCodexParser(), 'codex/drift.jsonl', 0), [
      { type: 'started', sessionId: '0199d000-0000-7000-8000-000000000004' },
      { type: 'tool', name: 'apply_patch', status: 'started' },
      { type: 'tool', name: 'apply_patch', status: 'completed' },
      { type: 'file_changed', path: '/work/repo/a.ts', kind: 'update' },
      { type: 'file_changed', path: '/work/repo/b.ts' },
      { type: 'tool', name: 'shell', status: 'started', id: 'item_2' },
      { type: 'tool', name: 'shell', status: 'completed', id: 'item_2' },
      { type: 'tool', name: 'lookup', status: 'started', id: 'item_3' },
      { type: 'tool', name: 'lookup', status: 'failed', id: 'item_3' },
      { type: 'message', text: 'All done.', role: 'assistant' },
      { type: 'usage', input: 0, output: 50, cacheRead: 0, cacheWrite: 0 },
      { type: 'finished', status: 'success', result: 'All done.' },
    ]);
  });
});
