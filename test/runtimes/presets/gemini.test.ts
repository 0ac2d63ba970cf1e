import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGeminiParser } from '../../../src/runtimes/presets/gemini.js';
import { replay } from './helpers.js';

describe('Gemini CLI stream-json parser', () => {
  it('maps a successful run, merging assistant deltas between other events', () => {
    assert.deepEqual(replay(createGeminiParser(), 'gemini/success-with-edits.jsonl', 0), [
      { type: 'started', sessionId: 'c0ffee00-1111-4222-8333-444455556666' },
      { type: 'message', text: "I'll read the file first.", role: 'assistant' },
      { type: 'tool', name: 'read_file', status: 'started', id: 'read_file-1760097601200-1' },
      { type: 'tool', name: 'read_file', status: 'completed', id: 'read_file-1760097601200-1' },
      { type: 'tool', name: 'replace', status: 'started', id: 'replace-1760097602000-2' },
      { type: 'tool', name: 'replace', status: 'completed', id: 'replace-1760097602000-2' },
      { type: 'file_changed', path: '/work/repo/src/greet.ts', kind: 'edit' },
      { type: 'tool', name: 'write_file', status: 'started', id: 'write_file-1760097602200-3' },
      { type: 'tool', name: 'write_file', status: 'completed', id: 'write_file-1760097602200-3' },
      { type: 'file_changed', path: '/work/repo/test/greet.test.ts', kind: 'write' },
      { type: 'tool', name: 'write_file', status: 'started', id: 'write_file-1760097602400-4' },
      { type: 'tool', name: 'write_file', status: 'failed', id: 'write_file-1760097602400-4' },
      { type: 'tool', name: 'run_shell_command', status: 'started', id: 'run_shell_command-1760097603000-5' },
      { type: 'tool', name: 'run_shell_command', status: 'completed', id: 'run_shell_command-1760097603000-5' },
      { type: 'message', text: 'Done: the greeting is now hello.', role: 'assistant' },
      // 8000 uncached + 20000 cached input; output 1500 + 1000 thinking tokens (total - input - output).
      { type: 'usage', input: 8000, output: 2500, cacheRead: 20000, cacheWrite: 0 },
      { type: 'cost', usd: 0.0375, source: 'estimated' },
      { type: 'finished', status: 'success', result: 'Done: the greeting is now hello.' },
    ]);
  });

  it('ends a turn-limited run by exit code 53 when no result is printed', () => {
    assert.deepEqual(replay(createGeminiParser(), 'gemini/turn-limit-exit.jsonl', 53), [
      { type: 'started', sessionId: 'd00d0000-1111-4222-8333-444455556666' },
      { type: 'message', text: 'Working on it.', role: 'assistant' },
      { type: 'tool', name: 'list_directory', status: 'started', id: 'list_directory-1-1' },
      { type: 'tool', name: 'list_directory', status: 'completed', id: 'list_directory-1-1' },
      { type: 'message', text: 'Loop detected, stopping execution', role: 'warning' },
      { type: 'message', text: 'Maximum session turns exceeded', role: 'error' },
      { type: 'finished', status: 'error', reason: 'turn_limit', result: 'Maximum session turns exceeded' },
    ]);
  });

  it('maps an error result with a fatal error type', () => {
    assert.deepEqual(replay(createGeminiParser(), 'gemini/error-result.jsonl', 53), [
      { type: 'started', sessionId: 'e1e1e1e1-1111-4222-8333-444455556666' },
      { type: 'message', text: 'Partial answer', role: 'assistant' },
      { type: 'usage', input: 2000, output: 100, cacheRead: 0, cacheWrite: 0 },
      { type: 'cost', usd: 0.00085, source: 'estimated' },
      {
        type: 'finished',
        status: 'error',
        reason: 'turn_limit',
        result: 'Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns in settings.json.',
      },
    ]);
  });

  it('names the documented exit codes', () => {
    const reasons = [0, 1, 41, 42, 44, 52, 53, 54, 130, null].map((code) => createGeminiParser().end(code)[0]);
    assert.deepEqual(reasons, [
      { type: 'finished', status: 'success' },
      { type: 'finished', status: 'error', reason: 'exit_1' },
      { type: 'finished', status: 'error', reason: 'auth_error' },
      { type: 'finished', status: 'error', reason: 'input_error' },
      { type: 'finished', status: 'error', reason: 'sandbox_error' },
      { type: 'finished', status: 'error', reason: 'config_error' },
      { type: 'finished', status: 'error', reason: 'turn_limit' },
      { type: 'finished', status: 'error', reason: 'tool_execution_error' },
      { type: 'finished', status: 'error', reason: 'cancelled' },
      { type: 'finished', status: 'error', reason: 'killed' },
    ]);
  });

  it('flushes buffered deltas at the end', () => {
    const p = createGeminiParser();
    assert.deepEqual(p.line('{"type":"message","role":"assistant","content":"cut ","delta":true}'), []);
    assert.deepEqual(p.line('{"type":"message","role":"assistant","content":"off","delta":true}'), []);
    assert.deepEqual(p.end(1), [
      { type: 'message', text: 'cut off', role: 'assistant' },
      { type: 'finished', status: 'error', reason: 'exit_1' },
    ]);
  });

  it('ignores garbage and unknown shapes, and prices with the requested model when init names an unpriced one', () => {
    assert.deepEqual(replay(createGeminiParser({ model: 'gemini-2.5-flash' }), 'gemini/drift.jsonl', 0), [
      { type: 'started', sessionId: 'f2f2f2f2-1111-4222-8333-444455556666' },
      { type: 'message', text: 'Hello', role: 'assistant' },
      { type: 'tool', name: 'replace', status: 'started' },
      { type: 'tool', name: 'unknown', status: 'completed', id: 'never-announced' },
      { type: 'tool', name: 'write_file', status: 'started', id: 'w1' },
      { type: 'tool', name: 'write_file', status: 'completed', id: 'w1' },
      { type: 'tool', name: 'write_file', status: 'started', id: 'w2' },
      { type: 'tool', name: 'write_file', status: 'completed', id: 'w2' },
      { type: 'file_changed', path: '/work/repo/ok.txt', kind: 'write' },
      { type: 'message', text: 'Final words.', role: 'assistant' },
      { type: 'usage', input: 750, output: 50, cacheRead: 250, cacheWrite: 0 },
      { type: 'cost', usd: 0.0003575, source: 'estimated' },
      { type: 'finished', status: 'success', result: 'Final words.' },
      { type: 'usage', input: 500, output: 30, cacheRead: 0, cacheWrite: 0 },
      { type: 'cost', usd: 0.000225, source: 'estimated' },
    ]);
  });
});
