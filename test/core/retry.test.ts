import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../src/core/retry.js';

const policy = { maxAttempts: 10, backoffMs: 1000, backoffCapMs: 30_000 };

describe('retry', () => {
  it('grows exponentially with the attempt that failed (random just below 1 gives the ceiling)', () => {
    const max = () => 0.999;
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, max)), [999, 1998, 3996, 7992, 15984]);
  });

  it('is capped', () => {
    const max = () => 0.999;
    assert.equal(backoffDelay(policy, 6, max), Math.floor(0.999 * 30_000));
    assert.equal(backoffDelay(policy, 60, max), Math.floor(0.999 * 30_000));
    assert.equal(backoffDelay(policy, 2000, max), Math.floor(0.999 * 30_000), 'no overflow for huge attempt numbers');
  });

  it('is full jitter: from 0 (random 0) up to the exponential bound, an integer', () => {
    for (let n = 1; n <= 8; n++) {
      assert.equal(backoffDelay(policy, n, () => 0), 0);
      const bound = Math.min(policy.backoffCapMs, policy.backoffMs * 2 ** (n - 1));
      assert.ok(backoffDelay(policy, n, () => 0.999) < bound);
      assert.equal(backoffDelay(policy, n, () => 0.5), Math.floor(bound / 2));
    }
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(policy, 3, Math.random);
      assert.ok(Number.isInteger(d) && d >= 0 && d < 4000);
    }
  });

  it('treats attempt 0 like attempt 1 and a zero base as no delay', () => {
    assert.equal(backoffDelay(policy, 0, () => 0.5), 500);
    assert.equal(backoffDelay({ ...policy, backoffMs: 0 }, 5, () => 0.999), 0);
  });

});
