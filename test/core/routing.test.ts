import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capsFromKey, capsKey, holdsAll, normalizeCaps, route, unroutableReason, type Candidate, type SlotOffer } from '../../src/core/routing.js';

const offer = (agentId: number, name: string, caps: string[], free: number, recentFailures = 0): SlotOffer => ({ agentId, name, capabilities: new Set(caps), free, recentFailures });
const cand = (id: number, capabilities: string[] = [], locks: string[] = []): Candidate => ({ id, capabilities, locks });

describe('routing', () => {
  it('capsKey is canonical: trimmed, de-duplicated, sorted, comma-joined; capsFromKey inverts it', () => {
    assert.equal(capsKey(['py', ' backend', 'py', '', '  ']), 'backend,py');
    assert.equal(capsKey([]), '');
    assert.equal(capsKey(['b', 'a']), capsKey(['a', 'b']));
    assert.deepEqual(normalizeCaps(['z', 'a', 'z']), ['a', 'z']);
    assert.deepEqual(capsFromKey(''), []);
    assert.deepEqual(capsFromKey('backend,py'), ['backend', 'py']);
    assert.deepEqual(capsFromKey(capsKey(['x', 'w'])), ['w', 'x']);
  });

  it('holdsAll requires every capability; unroutableReason names them', () => {
    const held = new Set(['py', 'go']);
    assert.ok(holdsAll(held, []));
    assert.ok(holdsAll(held, ['py', 'go']));
    assert.ok(!holdsAll(held, ['py', 'rust']));
    assert.equal(unroutableReason(['gpu', 'py']), 'no agent with capabilities [gpu, py]');
  });

  it('routes a task only to an agent holding all its capabilities', () => {
    const out = route([cand(1, ['py', 'review']), cand(2, ['py']), cand(3, ['rust'])], [offer(10, 'pyOnly', ['py'], 5), offer(20, 'reviewer', ['py', 'review'], 1)], new Set());
    assert.deepEqual(out, [
      { taskId: 1, agentId: 20 },
      { taskId: 2, agentId: 10 },
    ]);
  });

  it('picks the least-loaded agent: most free slots, then fewest recent failures, then name', () => {
    assert.deepEqual(route([cand(1)], [offer(1, 'a', [], 2, 0), offer(2, 'b', [], 3, 9)], new Set()), [{ taskId: 1, agentId: 2 }]);
    assert.deepEqual(route([cand(1)], [offer(1, 'a', [], 3, 2), offer(2, 'b', [], 3, 1)], new Set()), [{ taskId: 1, agentId: 2 }]);
    assert.deepEqual(route([cand(1)], [offer(2, 'b', [], 3, 1), offer(1, 'a', [], 3, 1)], new Set()), [{ taskId: 1, agentId: 1 }], 'name breaks the last tie');
    // free slots are consumed as tasks are assigned: work spreads
    const spread = route([cand(1), cand(2), cand(3), cand(4)], [offer(1, 'a', [], 2), offer(2, 'b', [], 2)], new Set());
    assert.deepEqual(spread.map((a) => a.agentId), [1, 2, 1, 2]);
  });

  it('keeps candidate order, stops when slots run out, and skips tasks no offer can take', () => {
    const out = route([cand(5), cand(6, ['gpu']), cand(7), cand(8)], [offer(1, 'a', [], 2)], new Set());
    assert.deepEqual(out.map((a) => a.taskId), [5, 7]);
    assert.deepEqual(route([cand(1)], [offer(1, 'a', [], 0)], new Set()), [], 'an offer with no free slot takes nothing');
    assert.deepEqual(route([cand(1)], [], new Set()), []);
  });

  it('never assigns two tasks sharing a lock in one round, nor a task whose lock is held', () => {
    const offers = [offer(1, 'a', [], 10)];
    const out = route([cand(1, [], ['repo']), cand(2, [], ['repo', 'db']), cand(3, [], ['db']), cand(4, [], ['docs'])], offers, new Set());
    assert.deepEqual(out.map((a) => a.taskId), [1, 3, 4]);
    const held = route([cand(1, [], ['repo']), cand(2, [], ['other'])], offers, new Set(['repo']));
    assert.deepEqual(held.map((a) => a.taskId), [2]);
    // a task skipped for lack of an agent does not take its lock
    const noAgent = route([cand(1, ['gpu'], ['L']), cand(2, [], ['L'])], offers, new Set());
    assert.deepEqual(noAgent.map((a) => a.taskId), [2]);
  });

  it('mutates nothing it is given', () => {
    const offers = [offer(1, 'a', [], 2)];
    const held = new Set(['x']);
    route([cand(1, [], ['y']), cand(2)], offers, held);
    assert.equal(offers[0].free, 2);
    assert.deepEqual([...held], ['x']);
  });
});
