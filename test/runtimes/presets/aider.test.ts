import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAiderParser, parseTokenCount } from '../../../src/runtimes/presets/aider.js';
import { replay } from './helpers.js';

describe('Aider text parser', () => {
  it('maps usage reports, applied edits and commits', () => {
    assert.deepEqual(replay(createAiderParser(), 'aider/success-with-edits.txt', 0), [
      { type: 'usage', input: 2300, output: 512, cacheRead: 0, cacheWrite: 0 },
      { type: 'cost', usd: 0.01, source: 'reported' },
      { type: 'file_changed', path: 'src/greet.py', kind: 'edit' },
      { type: 'file_changed', path: 'tests/test_greet.py', kind: 'edit' },
      { type: 'message', text: 'Commit 1a2b3c4 feat: Change greeting to hello and add test', role: 'info' },
      // 12k sent includes the 3.2k written to and the 8.1k read from the cache.
      { type: 'usage', input: 700, output: 1100, cacheRead: 8100, cacheWrite: 3200 },
      { type: 'cost', usd: 0.02, source: 'reported' },
      { type: 'finished', status: 'success' },
    ]);
  });

  it('reads the older comma-separated form, "request" costs and lines without a cost', () => {
    assert.deepEqual(replay(createAiderParser(), 'aider/old-format.txt', 1), [
      { type: 'usage', input: 1234, output: 56, cacheRead: 0, cacheWrite: 0 },
      { type: 'cost', usd: 0.0066, source: 'reported' },
      { type: 'file_changed', path: 'app.py', kind: 'edit' },
      { type: 'message', text: 'Commit 89abcdef fix: handle empty input', role: 'info' },
      { type: 'usage', input: 1935, output: 74, cacheRead: 100, cacheWrite: 0 },
      { type: 'usage', input: 1500000, output: 2000, cacheRead: 0, cacheWrite: 0 },
      { type: 'cost', usd: 4.52, source: 'reported' },
      { type: 'finished', status: 'error', reason: 'exit_1' },
    ]);
  });

  it('ignores look-alike lines and strips colour codes', () => {
    assert.deepEqual(replay(createAiderParser(), 'aider/drift.txt', null), [
      { type: 'usage', input: 900, output: 45, cacheRead: 0, cacheWrite: 0 },
      { type: 'cost', usd: 0.00036, source: 'reported' },
      { type: 'file_changed', path: 'src/spaced.py', kind: 'edit' },
      { type: 'finished', status: 'error', reason: 'killed' },
    ]);
  });

  it('parses token counts with separators and suffixes', () => {
    assert.deepEqual(
      ['512', '1,234', '2.3k', '12k', '1.5M', '3m', '7.25K', 'lots', '', undefined].map(parseTokenCount),
      [512, 1234, 2300, 12000, 1500000, 3000000, 7250, 0, 0, 0],
    );
  });
});
