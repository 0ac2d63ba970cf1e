import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LazyAbort } from '../../src/core/abort.js';
import { HiveError } from '../../src/core/errors.js';

test('LazyAbort: a signal read before the abort fires its listeners once, with the reason', () => {
  const a = new LazyAbort();
  const signal = a.signal;
  assert.equal(a.signal, signal, 'one signal, made once');
  const seen: unknown[] = [];
  signal.addEventListener('abort', () => seen.push(signal.reason));
  const why = new HiveError('CANCELLED', 'by a test');
  a.abort(why);
  a.abort(new HiveError('SHUTDOWN', 'later'));
  assert.deepEqual(seen, [why]);
  assert.equal(a.aborted, true);
  assert.equal(a.reason, why, 'the first reason stays');
});

test('LazyAbort: a signal first read after the abort is already aborted with the same reason', () => {
  const a = new LazyAbort();
  assert.equal(a.aborted, false);
  assert.equal(a.reason, undefined);
  const why = new HiveError('LEASE_EXPIRED', 'lease lost');
  a.abort(why);
  assert.equal(a.aborted, true);
  assert.equal(a.signal.aborted, true);
  assert.equal(a.signal.reason, why);
});
