import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClaudeCodeParser } from '../../../src/runtimes/presets/claude-code.js';
import { replay } from './helpers.js';

const SID = '5f0c9a7e-1b2c-4d3e-8f90-a1b2c3d4e5f6';

describe('Claude Code stream-json parser', () => {
  it('maps a successful run with tool use and file edits', () => {
    assert.deepEqual(replay(createClaudeCodeParser(), 'claude-code/success-with-edits.jsonl', 0), [
      { type: 'started', sessionId: SID },
      { type: 'message', text: "I'll look at the module first.", role: 'assistant' },
      { type: 'tool', name: 'Read', status: 'started', id: 'toolu_01Read' },
      { type: 'tool', name: 'Read', status: 'completed', id: 'toolu_01Read' },
      { type: 'tool', name: 'Edit', status: 'started', id: 'toolu_02Edit' },
      { type: 'tool', name: 'Edit', status: 'completed', id: 'toolu_02Edit' },
      { type: 'file_changed', path: '/work/repo/src/greet.ts', kind: 'edit' },
      { type: 'tool', name: 'Write', status: 'started', id: 'toolu_03Write' },
      { type: 'tool', name: 'Write', status: 'started', id: 'toolu_04Write' },
      { type: 'tool', name: 'Write', status: 'completed', id: 'toolu_03Write' },
      { type: 'file_changed', path: '/work/repo/test/greet.test.ts', kind: 'write' },
      { type: 'tool', name: 'Write', status: 'failed', id: 'toolu_04Write' },
      { type: 'tool', name: 'NotebookEdit', status: 'started', id: 'toolu_05Nb' },
      { type: 'tool', name: 'NotebookEdit', status: 'completed', id: 'toolu_05Nb' },
      { type: 'file_changed', path: '/work/repo/notes.ipynb', kind: 'edit' },
      { type: 'message', text: "Changed the greeting to 'hello' and added a test.", role: 'assistant' },
      { type: 'usage', input: 29, output: 412, cacheRead: 82630, cacheWrite: 5870 },
      { type: 'cost', usd: 0.0612345, source: 'reported' },
      { type: 'finished', status: 'success', reason: 'success', result: "Changed the greeting to 'hello' and added a test." },
    ]);
  });

  it('reports error_max_turns as an error even when is_error is false', () => {
    assert.deepEqual(replay(createClaudeCodeParser(), 'claude-code/max-turns.jsonl', 1), [
      { type: 'started', sessionId: '9d8c7b6a-5e4f-4321-9abc-def012345678' },
      { type: 'tool', name: 'Bash', status: 'started', id: 'toolu_11Bash' },
      { type: 'tool', name: 'Bash', status: 'failed', id: 'toolu_11Bash' },
      { type: 'tool', name: 'MultiEdit', status: 'started', id: 'toolu_12Multi' },
      { type: 'tool', name: 'MultiEdit', status: 'completed', id: 'toolu_12Multi' },
      { type: 'file_changed', path: '/work/repo/src/sum.ts', kind: 'edit' },
      { type: 'usage', input: 18, output: 130, cacheRead: 4000, cacheWrite: 4100 },
      { type: 'cost', usd: 0.1534, source: 'reported' },
      { type: 'finished', status: 'error', reason: 'error_max_turns' },
    ]);
  });

  it('ignores garbage, unknown types and malformed fields, and estimates a cost the tool did not report', () => {
    assert.deepEqual(replay(createClaudeCodeParser(), 'claude-code/drift.jsonl', 0), [
      { type: 'started', sessionId: '77777777-aaaa-4bbb-8ccc-dddddddddddd' },
      { type: 'tool', name: 'Write', status: 'started' },
      { type: 'message', text: 'Hello from a newer version.', role: 'assistant' },
      { type: 'tool', name: 'unknown', status: 'completed', id: 'toolu_never_started' },
      { type: 'tool', name: 'unknown', status: 'completed' },
      // The truncated result line is skipped; the next one has no total_cost_usd, so haiku 4.5 prices it.
      { type: 'usage', input: 0, output: 7, cacheRead: 0, cacheWrite: 0 },
      { type: 'cost', usd: 0.000035, source: 'estimated' },
      { type: 'finished', status: 'success', reason: 'success', result: 'Hello from a newer version.' },
      // A second result reports only what it adds; there is no second `finished`.
      { type: 'usage', input: 20, output: 0, cacheRead: 0, cacheWrite: 0 },
      { type: 'cost', usd: 0.00002, source: 'estimated' },
    ]);
  });

  it('uses the result errors when there is no result text', () => {
    const p = createClaudeCodeParser();
    assert.deepEqual(p.line('{"type":"result","subtype":"error_during_execution","is_error":true,"errors":["boom",7,"bang"]}'), [
      { type: 'finished', status: 'error', reason: 'error_during_execution', result: 'boom\nbang' },
    ]);
    assert.deepEqual(p.end(1), []);
  });

  it('falls back to the exit code when no result arrives', () => {
    const p = createClaudeCodeParser();
    p.line('{"type":"assistant","message":{"content":[{"type":"text","text":"halfway"}]}}');
    assert.deepEqual(p.end(0), [{ type: 'finished', status: 'success', result: 'halfway' }]);
    assert.deepEqual(p.end(0), []);
    assert.deepEqual(createClaudeCodeParser().end(null), [{ type: 'finished', status: 'error', reason: 'killed' }]);
    assert.deepEqual(createClaudeCodeParser().end(2), [{ type: 'finished', status: 'error', reason: 'exit_2' }]);
  });
});
