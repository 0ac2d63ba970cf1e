import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findCycle, topoOrder } from '../../src/core/dag.js';

const graph = (edges: Record<string, string[]>) => (n: string): string[] => edges[n] ?? [];

describe('dag', () => {
  it('findCycle returns null for an acyclic graph', () => {
    assert.equal(findCycle(['a', 'b', 'c', 'd'], graph({ b: ['a'], c: ['a'], d: ['b', 'c'] })), null);
    assert.equal(findCycle([], graph({})), null);
  });

  it('findCycle returns the cycle, first node repeated at the end, and nothing outside it', () => {
    const cycle = findCycle(['entry', 'a', 'b', 'c'], graph({ entry: ['a'], a: ['b'], b: ['c'], c: ['a'] }));
    assert.deepEqual(cycle, ['a', 'b', 'c', 'a']);
    assert.deepEqual(findCycle(['self'], graph({ self: ['self'] })), ['self', 'self']);
    const two = findCycle(['x', 'y'], graph({ x: ['y'], y: ['x'] }))!;
    assert.equal(two.length, 3);
    assert.equal(two[0], two[2]);
    assert.deepEqual(new Set(two), new Set(['x', 'y']));
  });

  it('findCycle finds a cycle reachable only from a later node', () => {
    assert.deepEqual(findCycle(['ok', 'p', 'q'], graph({ p: ['q'], q: ['p'] })), ['p', 'q', 'p']);
  });

  it('topoOrder puts dependencies first, every node once', () => {
    const deps = graph({ deploy: ['test', 'build'], test: ['build'], lint: [] });
    const order = topoOrder(['deploy', 'lint', 'test', 'build'], deps);
    assert.deepEqual([...order].sort(), ['build', 'deploy', 'lint', 'test']);
    const pos = (n: string): number => order.indexOf(n);
    assert.ok(pos('build') < pos('test') && pos('test') < pos('deploy'));
    // a diamond
    const d = topoOrder(['d', 'c', 'b', 'a'], graph({ d: ['b', 'c'], b: ['a'], c: ['a'] }));
    assert.equal(d[0], 'a');
    assert.equal(d[3], 'd');
    // independent nodes keep their order
    assert.deepEqual(topoOrder(['x', 'y', 'z'], graph({})), ['x', 'y', 'z']);
  });
});
