import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_TRANSITIONS, assertAgentTransition, canAgentTransition, DISPATCHABLE } from '../../src/core/agent-state.js';
import { HiveError } from '../../src/core/errors.js';
import { AGENT_STATUSES } from '../../src/core/types.js';

describe('agent-state', () => {
  it('has a row for every status naming only known statuses', () => {
    assert.deepEqual(Object.keys(AGENT_TRANSITIONS).sort(), [...AGENT_STATUSES].sort());
    for (const [from, tos] of Object.entries(AGENT_TRANSITIONS)) for (const to of tos) assert.ok(AGENT_STATUSES.includes(to), `${from} -> ${to}`);
  });

  it('follows inactive -> starting -> active <-> busy, and staying put is always allowed', () => {
    assert.ok(canAgentTransition('inactive', 'starting'));
    assert.ok(canAgentTransition('starting', 'active'));
    assert.ok(canAgentTransition('active', 'busy'));
    assert.ok(canAgentTransition('busy', 'active'));
    assert.ok(canAgentTransition('shutting_down', 'stopped'));
    assert.ok(canAgentTransition('error', 'starting'), 'an agent in error can be restarted');
    for (const s of AGENT_STATUSES) assert.ok(canAgentTransition(s, s), `${s} -> ${s}`);
    assert.ok(!canAgentTransition('inactive', 'active'), 'must start first');
    assert.ok(!canAgentTransition('inactive', 'busy'));
    assert.ok(!canAgentTransition('stopped', 'active'));
    assert.ok(!canAgentTransition('shutting_down', 'active'));
    for (const s of AGENT_STATUSES) assert.equal(canAgentTransition(s, 'stopped'), s === 'stopped' || AGENT_TRANSITIONS[s].includes('stopped'));
  });

  it('assertAgentTransition throws INVALID_TRANSITION naming the agent and both statuses', () => {
    assert.doesNotThrow(() => assertAgentTransition('a', 'active', 'maintenance'));
    assert.throws(() => assertAgentTransition('coder', 'stopped', 'busy'), (e: unknown) => {
      assert.ok(e instanceof HiveError);
      assert.equal(e.code, 'INVALID_TRANSITION');
      assert.equal(e.message, 'agent coder is stopped; cannot become busy');
      assert.deepEqual(e.details, { agent: 'coder', from: 'stopped', to: 'busy' });
      return true;
    });
  });

  it('only active and busy agents take tasks', () => {
    assert.deepEqual([...DISPATCHABLE].sort(), ['active', 'busy']);
  });
});
