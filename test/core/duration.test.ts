import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HiveError } from '../../src/core/errors.js';
import { formatDuration, parseDuration } from '../../src/core/duration.js';

describe('duration', () => {
  it('parses units, compounds, decimals and bare milliseconds', () => {
    const cases: [string | number, number][] = [
      ['250ms', 250],
      ['30s', 30_000],
      ['5m', 300_000],
      ['1h', 3_600_000],
      ['2d', 172_800_000],
      ['1h30m', 5_400_000],
      ['1m30s500ms', 90_500],
      ['1.5s', 1500],
      ['0.5ms', 0],
      [' 10s ', 10_000],
      ['500', 500],
      ['0', 0],
      [1234, 1234],
      [12.9, 12],
      [0, 0],
    ];
    for (const [input, ms] of cases) assert.equal(parseDuration(input), ms, JSON.stringify(input));
  });

  it('refuses anything else with VALIDATION_FAILED naming the field', () => {
    const bad: (string | number)[] = ['', '   ', 'abc', '10x', '5 m', '1h 30m', '-5s', 'm5', '10s5', '5sx5s', 's', '1e3', -1, Number.NaN, Number.POSITIVE_INFINITY];
    for (const input of bad) {
      assert.throws(() => parseDuration(input, 'leaseMs'), (e: unknown) => {
        assert.ok(e instanceof HiveError, JSON.stringify(input));
        assert.equal(e.code, 'VALIDATION_FAILED');
        assert.match(e.message, /^leaseMs: expected a duration/);
        assert.deepEqual((e.details?.issues as { path: string }[]).map((i) => i.path), ['leaseMs']);
        return true;
      }, `should refuse ${JSON.stringify(input)}`);
    }
    assert.throws(() => parseDuration('nope'), { code: 'VALIDATION_FAILED', message: /^duration: / });
  });

  it('formats durations for reasons and logs', () => {
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(1500), '1.50s');
    assert.equal(formatDuration(30_000), '30.0s');
    assert.equal(formatDuration(90_500), '1m31s');
    assert.equal(formatDuration(3_600_000), '1h');
    assert.equal(formatDuration(86_400_000), '24h');
    assert.equal(formatDuration(5_400_000), '1h30m');
  });
});
