import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveAgentSpec } from '../../src/core/agent-input.js';
import { HiveError } from '../../src/core/errors.js';
import { branchName, isBranchName, storedAgentSpec, withWorkspaceResult, workspaceIssues, workspaceOf, workspacePlace, type WorkspaceReport } from '../../src/core/workspace.js';
import { agentSpec } from '../helpers/hive.js';

test('branch names: the template, and the names git refuses', () => {
  assert.equal(branchName('hive/{agent}/{task}', 'coder', 12), 'hive/coder/12');
  for (const ok of ['hive/coder/1', 'feat/x-1', 'a.b/c_d']) assert.ok(isBranchName(ok), ok);
  for (const bad of ['', '@', '-x', 'a..b', 'a b', 'a/', 'a//b', '.a', 'a/.b', 'x.lock', 'a/b.lock/c', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[b', 'a\\b', 'a@{1}', 'a.']) assert.ok(!isBranchName(bad), bad);
});

test('workspace checks name each bad field', () => {
  const agent = { name: 'coder', slots: 1, workdir: null };
  assert.deepEqual(workspaceIssues({ repo: '/r', mode: 'worktree' }, agent), []);
  const paths = (ws: unknown, a = agent): string[] => workspaceIssues(ws, a).map((i) => i.path);
  assert.deepEqual(paths(null), ['workspace']);
  assert.deepEqual(paths({ repo: 'rel', mode: 'x' }), ['workspace.repo', 'workspace.mode']);
  assert.deepEqual(paths({ repo: '/r', mode: 'worktree', colour: 1 }), ['workspace.colour']);
  assert.deepEqual(paths({ repo: '/r', mode: 'worktree', branch: 'b/{agent}' }), ['workspace.branch']);
  assert.deepEqual(paths({ repo: '/r', mode: 'worktree', branch: 'b/{task}/{title}' }), ['workspace.branch']);
  assert.deepEqual(paths({ repo: '/r', mode: 'worktree', branch: 'b {task}' }), ['workspace.branch']);
  assert.deepEqual(paths({ repo: '/r', mode: 'worktree', root: 'rel', cleanup: 'sometimes', setup: ' ', base: '-x' }), ['workspace.base', 'workspace.root', 'workspace.cleanup', 'workspace.setup']);
  assert.deepEqual(paths({ repo: '/r', mode: 'shared', root: '/w' }, { ...agent, slots: 2 }), ['workspace.root', 'slots']);
  assert.deepEqual(paths({ repo: '/r', mode: 'worktree' }, { ...agent, workdir: '/w' as unknown as null }), ['workdir']);
  assert.deepEqual(paths({ repo: '/r', mode: 'worktree' }, { ...agent, name: 'x.lock' }), ['workspace.branch'], 'the default branch would be invalid');
});

test('the workspace is kept in the runtime JSON; the top-level field wins; resolveAgentSpec checks it', () => {
  const spec = agentSpec('coder', [], { kind: 'claude-code', model: 'm' }, 1, { workspace: { repo: '/r', mode: 'worktree', cleanup: 'never' } });
  const stored = storedAgentSpec(spec);
  assert.equal('workspace' in stored, false);
  assert.deepEqual(stored.runtime, { kind: 'claude-code', model: 'm', workspace: { repo: '/r', mode: 'worktree', cleanup: 'never' } });
  assert.deepEqual(workspaceOf(stored), { repo: '/r', mode: 'worktree', cleanup: 'never' });
  assert.equal(workspaceOf({ ...stored, workspace: null }), null, 'an explicit null removes it');
  assert.deepEqual(storedAgentSpec({ ...stored, workspace: null }).runtime, { kind: 'claude-code', model: 'm' });
  resolveAgentSpec(stored); // a preset accepts its stored workspace
  assert.throws(() => resolveAgentSpec({ ...spec, slots: 2, workspace: { repo: '/r', mode: 'shared' } }), (e: HiveError) => e.code === 'VALIDATION_FAILED' && /slots: a shared workspace has one writer/.test(e.message));
  assert.throws(() => resolveAgentSpec({ ...spec, workspace: 'yes' as never }), (e: HiveError) => e.code === 'VALIDATION_FAILED' && /workspace: expected/.test(e.message));
});

test('places and results', () => {
  assert.deepEqual(workspacePlace({ repo: '/r', mode: 'worktree' }, 'a', 3, '/data/'), { worktree: '/data/worktrees/a/3', branch: 'hive/a/3' });
  assert.deepEqual(workspacePlace({ repo: '/r', mode: 'worktree', root: '/w/', branch: 'x/{task}' }, 'a', 3, '/data'), { worktree: '/w/a/3', branch: 'x/3' });
  assert.deepEqual(workspacePlace({ repo: '/r', mode: 'shared' }, 'a', 3, '/data'), { worktree: '/r', branch: null });
  const report = { branch: 'b' } as WorkspaceReport;
  assert.deepEqual(withWorkspaceResult({ ok: true, workspace: 'theirs' }, report), { ok: true, workspace: report });
  assert.deepEqual(withWorkspaceResult([1], report), { value: [1], workspace: report });
  assert.deepEqual(withWorkspaceResult('text', report), { value: 'text', workspace: report });
  assert.deepEqual(withWorkspaceResult(undefined, report), { workspace: report });
});
