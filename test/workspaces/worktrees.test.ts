import { test } from 'node:test';
import { attemptLogPath } from '../../src/engine/scheduler.js';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HiveError } from '../../src/core/errors.js';
import type { WorkspaceReport, WorkspaceSpec } from '../../src/core/workspace.js';
import type { AgentSpec } from '../../src/core/store.js';
import { agentSpec, tempDir, testHive, waitFinal, waitFor } from '../helpers/hive.js';
import { branches, commitFile, makeRepo, sh } from '../helpers/git.js';

/** A command agent running a shell script file, with a git workspace. */
function wsAgent(name: string, caps: string[], script: string, workspace: WorkspaceSpec, extra: Partial<AgentSpec> = {}): AgentSpec {
  return agentSpec(name, caps, { kind: 'command', command: ['/bin/sh', script] }, 1, { workspace, ...extra });
}

function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `set -e\n${body}\n`);
  return path;
}

/** Writes task-<id>.txt, commits it, and prints where it ran. */
const COMMIT = `echo "$HIVE_TASK_ID" > "task-$HIVE_TASK_ID.txt"
git add -A
git commit -qm "task $HIVE_TASK_ID"
printf '{"pwd":"%s","worktree":"%s","branch":"%s","base":"%s"}\\n' "$(pwd -P)" "$HIVE_WORKTREE" "$HIVE_BRANCH" "$HIVE_BASE_COMMIT"`;

const ws = (result: unknown): WorkspaceReport => (result as { workspace: WorkspaceReport }).workspace;

async function rejects(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof HiveError, `a HiveError, got ${err}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

test('each task works in its own worktree on its own branch from the base; branch, base commit and diff stat are in the result; on_success removes the worktree', async () => {
  const { hive, dir, cleanup } = await testHive();
  try {
    const { repo, head: first } = makeRepo(join(dir, 'repo'));
    sh(repo, 'checkout', '-q', '-b', 'develop');
    const base = commitFile(repo, 'develop.txt', 'on develop\n');
    sh(repo, 'checkout', '-q', 'main');
    const run = script(dir, 'commit.sh', COMMIT);
    await hive.registerAgent({ ...wsAgent('coder', ['code'], run, { repo, mode: 'worktree', base: 'develop' }), slots: 2 });
    await hive.start();
    const ids = (await hive.submit([{ title: 'one', capabilities: ['code'] }, { title: 'two', capabilities: ['code'] }])).map((r) => r.task.id);
    await waitFinal(hive, ids);
    const data = hive.options.dataDir;
    for (const id of ids) {
      const t = await hive.getTask(id);
      assert.equal(t.status, 'completed', t.error ?? '');
      const r = t.result as { pwd: string; worktree: string; branch: string; base: string };
      const w = ws(t.result);
      const path = join(data, 'worktrees', 'coder', String(id));
      // the agent ran in its worktree, told where it is
      assert.equal(r.pwd, realpathSync(join(data, 'worktrees')) + `/coder/${id}`);
      assert.equal(r.worktree, path);
      assert.equal(r.branch, `hive/coder/${id}`);
      assert.equal(r.base, base);
      assert.deepEqual(
        { mode: w.mode, worktree: w.worktree, branch: w.branch, base: w.base, baseCommit: w.baseCommit, commits: w.commits, diffStat: w.diffStat, files: w.filesChanged, dirty: w.dirty, removed: w.removed },
        { mode: 'worktree', worktree: path, branch: `hive/coder/${id}`, base: 'develop', baseCommit: base, commits: 1, diffStat: '1 file changed, +1 -0', files: 1, dirty: false, removed: true },
      );
      // the branch holds the task's commit on top of the base; the worktree is gone, the branch stays
      assert.equal(sh(repo, 'rev-parse', `hive/coder/${id}~1`), base);
      assert.equal(sh(repo, 'show', `hive/coder/${id}:task-${id}.txt`), String(id));
      assert.equal(w.head, sh(repo, 'rev-parse', `hive/coder/${id}`));
      assert.ok(!existsSync(path), 'on_success: the worktree was removed');
      assert.match(readFileSync(attemptLogPath(data, id, 1), 'utf8'), new RegExp(`created the worktree .*coder/${id} on branch hive/coder/${id} from develop`));
    }
    assert.deepEqual(branches(repo), ['develop', ...ids.map((id) => `hive/coder/${id}`), 'main'].sort());
    // the repository itself was not touched
    assert.equal(sh(repo, 'rev-parse', 'HEAD'), first);
    assert.equal(sh(repo, 'status', '--porcelain'), '');
    assert.equal(sh(repo, 'worktree', 'list').split('\n').length, 1);
  } finally {
    await cleanup();
  }
});

test('.worktreeinclude files are copied in; setup runs once per worktree; a retry reuses the worktree and does not rerun setup', async () => {
  const { hive, dir, cleanup } = await testHive();
  try {
    const { repo } = makeRepo(join(dir, 'repo'), { '.gitignore': '.env\nconfig/local.json\n', '.worktreeinclude': '# files git does not track\n.env\nconfig/local.json\nnot-there.txt\n' });
    writeFileSync(join(repo, '.env'), 'TOKEN=from-the-repo\n');
    mkdirSync(join(repo, 'config'));
    writeFileSync(join(repo, 'config', 'local.json'), '{"local":true}\n');
    const setupLog = join(dir, 'setup.log');
    const run = script(
      dir,
      'flaky.sh',
      `grep -q TOKEN=from-the-repo .env
test -f config/local.json
test -f setup-was-here
if [ "$HIVE_ATTEMPT" = 1 ]; then echo draft > wip.txt; echo "attempt 1 fails" >&2; exit 1; fi
test -f wip.txt
git add wip.txt
git commit -qm "wip done"
echo '{"ok":true}'`,
    );
    await hive.registerAgent(wsAgent('builder', ['build'], run, { repo, mode: 'worktree', setup: `echo "setup in $(pwd) for $HIVE_TASK_ID" >> '${setupLog}'; touch setup-was-here` }));
    await hive.start();
    const t = await hive.enqueue({ title: 'build', capabilities: ['build'], maxAttempts: 2, backoffMs: 10, backoffCapMs: 20 });
    await waitFinal(hive, [t.id]);
    const done = await hive.getTask(t.id);
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.equal(done.attempts, 2);
    assert.deepEqual((await hive.attempts(t.id)).map((a) => a.status), ['failed', 'completed']);
    assert.equal(readFileSync(setupLog, 'utf8').trim().split('\n').length, 1, 'setup ran once');
    const w = ws(done.result);
    assert.equal((done.result as { ok: boolean }).ok, true);
    // the ignored copies are not part of the diff; setup's marker and wip.txt are
    assert.equal(w.commits, 1);
    assert.equal(w.diffStat, '2 files changed, +1 -0');
    const log1 = readFileSync(attemptLogPath(hive.options.dataDir, t.id, 1), 'utf8');
    assert.match(log1, /copied \.env, config\/local\.json/);
    assert.match(log1, /setup: echo/);
    assert.match(log1, /attempt 1 fails/);
    const log2 = readFileSync(attemptLogPath(hive.options.dataDir, t.id, 2), 'utf8');
    assert.match(log2, /reusing the worktree .*builder\/\d+ on branch hive\/builder\/\d+/);
    assert.doesNotMatch(log2, /setup: echo/);
  } finally {
    await cleanup();
  }
});

test('a failing setup command fails the attempt with WORKSPACE_FAILED, its output in the task error and the attempt log', async () => {
  const { hive, dir, cleanup } = await testHive();
  try {
    const { repo } = makeRepo(join(dir, 'repo'));
    const ran = join(dir, 'agent-ran');
    await hive.registerAgent(wsAgent('setupfail', ['s'], script(dir, 'touch.sh', `touch '${ran}'`), { repo, mode: 'worktree', setup: 'echo installing; echo "npm ERR! missing package.json" >&2; exit 3' }));
    await hive.start();
    const t = await hive.enqueue({ title: 'never runs', capabilities: ['s'], maxAttempts: 2, backoffMs: 10, backoffCapMs: 20 });
    await waitFinal(hive, [t.id]);
    const dead = await hive.getTask(t.id);
    assert.equal(dead.status, 'dead');
    assert.match(dead.error ?? '', /^WORKSPACE_FAILED: setup command failed \(exit code 3\) in .*setupfail\/\d+: installing \| npm ERR! missing package.json$/);
    const attempts = await hive.attempts(t.id);
    assert.deepEqual(attempts.map((a) => a.errorCode), ['WORKSPACE_FAILED', 'WORKSPACE_FAILED']);
    // the retry ran setup again (it never succeeded) in the same worktree, and the agent never ran
    const log2 = readFileSync(attemptLogPath(hive.options.dataDir, t.id, 2), 'utf8');
    assert.match(log2, /reusing the worktree/);
    assert.match(log2, /npm ERR! missing package.json/);
    assert.match(log2, /setup failed: exit code 3/);
    assert.ok(!existsSync(ran));
  } finally {
    await cleanup();
  }
});

test('cleanup policies: always removes a failed attempt\'s worktree, never keeps a successful one, on_success keeps a failed one and one with uncommitted changes', async () => {
  const { hive, dir, cleanup } = await testHive();
  try {
    const { repo } = makeRepo(join(dir, 'repo'));
    const commit = script(dir, 'commit.sh', COMMIT);
    const fail = script(dir, 'fail.sh', 'echo work > half-done.txt; exit 1');
    const dirty = script(dir, 'dirty.sh', "echo change >> README.md; echo '[1,2]'");
    await hive.registerAgent(wsAgent('keeper', ['never'], commit, { repo, mode: 'worktree', cleanup: 'never' }));
    await hive.registerAgent(wsAgent('sweeper', ['always'], fail, { repo, mode: 'worktree', cleanup: 'always' }));
    await hive.registerAgent(wsAgent('failer', ['onfail'], fail, { repo, mode: 'worktree' }));
    await hive.registerAgent(wsAgent('dirtier', ['dirty'], dirty, { repo, mode: 'worktree', branch: 'work/{task}-{agent}' }));
    await hive.start();
    const [never, always, onfail, dirt] = (await hive.submit(['never', 'always', 'onfail', 'dirty'].map((c) => ({ title: c, capabilities: [c], maxAttempts: 1 })))).map((r) => r.task.id);
    await waitFinal(hive, [never, always, onfail, dirt]);
    const wt = (agent: string, id: number): string => join(hive.options.dataDir, 'worktrees', agent, String(id));
    const t1 = await hive.getTask(never);
    assert.equal(t1.status, 'completed');
    assert.equal(ws(t1.result).removed, false);
    assert.ok(existsSync(join(wt('keeper', never), `task-${never}.txt`)), 'never: kept');
    assert.equal((await hive.getTask(always)).status, 'dead');
    assert.ok(!existsSync(wt('sweeper', always)), 'always: removed after a failure');
    assert.equal((await hive.getTask(onfail)).status, 'dead');
    assert.ok(existsSync(join(wt('failer', onfail), 'half-done.txt')), 'on_success: a failed attempt keeps its worktree');
    const t4 = await hive.getTask(dirt);
    assert.equal(t4.status, 'completed');
    // a result that is not an object is wrapped
    assert.deepEqual((t4.result as { value: unknown }).value, [1, 2]);
    const w4 = ws(t4.result);
    assert.deepEqual([w4.branch, w4.dirty, w4.removed, w4.commits, w4.diffStat], [`work/${dirt}-dirtier`, true, false, 0, '1 file changed, +1 -0']);
    assert.match(w4.note ?? '', /uncommitted changes/);
    assert.ok(existsSync(wt('dirtier', dirt)), 'on_success: uncommitted changes keep the worktree');
    // every branch stays
    for (const b of [`hive/keeper/${never}`, `hive/sweeper/${always}`, `hive/failer/${onfail}`, `work/${dirt}-dirtier`]) assert.ok(branches(repo).includes(b), b);
  } finally {
    await cleanup();
  }
});

test('shared mode: the attempt runs in the repository itself; one writer: slots 1, no second agent on the repository', async () => {
  const { hive, dir, cleanup } = await testHive();
  try {
    const { repo, head } = makeRepo(join(dir, 'repo'));
    const append = script(dir, 'append.sh', `mkdir writer.lock
echo "$HIVE_TASK_ID" >> log.txt
sleep 0.1
rmdir writer.lock
printf '{"pwd":"%s","branch":"%s"}\\n' "$(pwd -P)" "$HIVE_BRANCH"`);
    const shared: WorkspaceSpec = { repo, mode: 'shared' };
    await rejects(hive.registerAgent({ ...wsAgent('wide', ['w'], append, shared), slots: 2 }), 'VALIDATION_FAILED', /slots: a shared workspace has one writer: slots must be 1, got 2/);
    await rejects(hive.registerAgent(wsAgent('bad', ['w'], append, { ...shared, branch: 'x/{task}' })), 'VALIDATION_FAILED', /workspace\.branch: only for mode worktree/);
    await hive.registerAgent(wsAgent('writer', ['w'], append, shared));
    await rejects(hive.registerAgent(wsAgent('second', ['w'], append, shared)), 'CONFLICT', /agent second: its shared repository .*repo overlaps the shared repository .*repo of agent writer/);
    await rejects(hive.registerAgent(agentSpec('plain', ['w'], { kind: 'command', command: 'true' }, 1, { workdir: join(repo, 'src') })), 'CONFLICT', /agent plain: its workdir .*repo\/src overlaps the shared repository .*repo of agent writer/);
    // re-registering the same agent is an update, not a conflict
    await hive.registerAgent(wsAgent('writer', ['w'], append, shared));
    await hive.start();
    const ids = (await hive.submit([1, 2, 3].map((i) => ({ title: `w${i}`, capabilities: ['w'] })))).map((r) => r.task.id);
    await waitFinal(hive, ids);
    for (const id of ids) {
      const t = await hive.getTask(id);
      assert.equal(t.status, 'completed', t.error ?? '');
      assert.deepEqual(t.result && { pwd: (t.result as { pwd: string }).pwd, branch: (t.result as { branch: string }).branch }, { pwd: realpathSync(repo), branch: 'main' });
      const w = ws(t.result);
      assert.deepEqual([w.mode, w.worktree, w.branch, w.baseCommit, w.removed], ['shared', repo, 'main', head, false]);
    }
    assert.deepEqual(readFileSync(join(repo, 'log.txt'), 'utf8').trim().split('\n').map(Number).sort(), ids);
    assert.deepEqual(branches(repo), ['main']);
  } finally {
    await cleanup();
  }
});

test('refusals: paths outside the allowed roots (symlinks included), a non-repository, a subdirectory, worktrees inside the repository, two agents on one worktree', async () => {
  const t0 = tempDir();
  const dir = t0.dir;
  const allowed = join(dir, 'allowed');
  const { hive, cleanup } = await testHive({ workspaceRoots: [allowed] });
  try {
    const { repo } = makeRepo(join(allowed, 'repo'));
    const outside = makeRepo(join(dir, 'outside')).repo;
    const run = script(dir, 'commit.sh', COMMIT);
    await rejects(hive.registerAgent(wsAgent('o1', [], run, { repo: outside, mode: 'worktree' })), 'VALIDATION_FAILED', new RegExp(`workspace\\.repo: ${outside} is outside the allowed workspace roots \\(${allowed}, .*data\\)`));
    await rejects(hive.registerAgent(wsAgent('o2', [], run, { repo, mode: 'worktree', root: join(dir, 'elsewhere') })), 'VALIDATION_FAILED', /workspace\.root: .*elsewhere is outside the allowed workspace roots/);
    await rejects(hive.registerAgent(agentSpec('o3', [], { kind: 'command', command: 'true' }, 1, { workdir: join(dir, 'w') })), 'VALIDATION_FAILED', /workdir: .*\/w is outside the allowed workspace roots/);
    symlinkSync(outside, join(allowed, 'link'));
    await rejects(hive.registerAgent(wsAgent('o4', [], run, { repo: join(allowed, 'link'), mode: 'worktree' })), 'VALIDATION_FAILED', /link is outside the allowed workspace roots/);
    mkdirSync(join(allowed, 'plain'));
    await rejects(hive.registerAgent(wsAgent('o5', [], run, { repo: join(allowed, 'plain'), mode: 'worktree' })), 'VALIDATION_FAILED', /workspace\.repo: .*plain is not a git repository/);
    mkdirSync(join(repo, 'sub'));
    await rejects(hive.registerAgent(wsAgent('o6', [], run, { repo: join(repo, 'sub'), mode: 'worktree' })), 'VALIDATION_FAILED', /sub is inside the repository .*repo; give its top-level directory/);
    await rejects(hive.registerAgent(wsAgent('o7', [], run, { repo, mode: 'worktree', root: join(repo, 'wt') })), 'VALIDATION_FAILED', /workspace\.root: .*repo\/wt is inside the repository .*; worktrees go outside it/);
    await rejects(hive.registerAgent(wsAgent('o8', [], run, { repo, mode: 'worktree', branch: 'hive/{agent}' })), 'VALIDATION_FAILED', /workspace\.branch: expected a branch name template holding \{task\}/);
    await rejects(hive.registerAgent(wsAgent('o9', [], run, { repo, mode: 'worktree' }, { workdir: join(allowed, 'w') })), 'VALIDATION_FAILED', /workdir: an agent with a workspace works in it/);
    // two agents on one worktree: at registration, and a directory in the way at run time
    await hive.registerAgent(wsAgent('coder', ['c'], run, { repo, mode: 'worktree' }));
    await rejects(hive.registerAgent(agentSpec('intruder', [], { kind: 'command', command: 'true' }, 1, { workdir: join(hive.options.dataDir, 'worktrees', 'coder', '1') })), 'CONFLICT', /agent intruder: its workdir .* overlaps the worktree directory .*worktrees\/coder of agent coder/);
    await hive.start();
    const t = await hive.enqueue({ title: 'blocked', capabilities: ['c'], maxAttempts: 1 });
    mkdirSync(join(hive.options.dataDir, 'worktrees', 'coder', String(t.id)), { recursive: true });
    await waitFinal(hive, [t.id]);
    assert.match((await hive.getTask(t.id)).error ?? '', /^WORKSPACE_FAILED: .*coder\/\d+ exists and is not the worktree of task \d+ of agent coder; two agents cannot share a worktree/);
  } finally {
    await cleanup();
    t0.cleanup();
  }
});

test('hive worktree list/prune (library): a worktree whose task is final or unknown is an orphan and is removed; a live one stays; branches stay', async () => {
  const { hive, dir, cleanup } = await testHive();
  try {
    const { repo } = makeRepo(join(dir, 'repo'));
    await hive.registerAgent(wsAgent('keeper', ['k'], script(dir, 'commit.sh', COMMIT), { repo, mode: 'worktree', cleanup: 'never' }));
    await hive.registerAgent(wsAgent('retrier', ['r'], script(dir, 'fail.sh', 'echo x > x.txt; exit 1'), { repo, mode: 'worktree' }));
    await hive.start();
    const done = await hive.enqueue({ title: 'done', capabilities: ['k'] });
    const waiting = await hive.enqueue({ title: 'waits for its retry', capabilities: ['r'], maxAttempts: 2, backoffMs: 600_000, backoffCapMs: 600_000 });
    await waitFinal(hive, [done.id]);
    await waitFor(async () => (await hive.getTask(waiting.id)).status === 'pending', 10_000, 'the retry to wait');
    // an orphan of an unknown task: a directory under the default root with no git metadata
    const ghost = join(hive.options.dataDir, 'worktrees', 'ghost', '999');
    mkdirSync(ghost, { recursive: true });
    const list = await hive.worktrees();
    assert.deepEqual(
      list.map((w) => [w.agent, w.taskId, w.taskStatus, w.live, w.branch, Boolean(w.broken)]),
      [
        ['ghost', 999, null, false, null, true],
        ['keeper', done.id, 'completed', false, `hive/keeper/${done.id}`, false],
        ['retrier', waiting.id, 'pending', true, `hive/retrier/${waiting.id}`, false],
      ],
    );
    assert.equal(list[1].repo, repo);
    const dry = await hive.pruneWorktrees({ dryRun: true });
    assert.deepEqual(dry.map((w) => w.taskId), [999, done.id]);
    assert.equal((await hive.worktrees()).length, 3, 'a dry run removes nothing');
    const pruned = await hive.pruneWorktrees();
    assert.deepEqual(pruned.map((w) => w.taskId), [999, done.id]);
    assert.deepEqual((await hive.worktrees()).map((w) => w.taskId), [waiting.id]);
    assert.ok(!existsSync(ghost) && !existsSync(list[1].path));
    assert.ok(branches(repo).includes(`hive/keeper/${done.id}`), 'the branch stays');
    assert.doesNotMatch(sh(repo, 'worktree', 'list'), new RegExp(`keeper/${done.id}`));
  } finally {
    await cleanup();
  }
});

test('hook payloads carry the task\'s worktree and branch', async () => {
  const t0 = tempDir();
  const out = join(t0.dir, 'hooks.txt');
  const { hive, dir, cleanup } = await testHive({ hooks: [{ command: `echo "$HIVE_EVENT $HIVE_BRANCH $HIVE_WORKTREE" >> '${out}'`, events: ['task.started', 'task.completed'], agents: [], timeoutMs: 5_000 }] });
  try {
    const { repo } = makeRepo(join(dir, 'repo'));
    await hive.registerAgent(wsAgent('hooked', ['h'], script(dir, 'commit.sh', COMMIT), { repo, mode: 'worktree' }));
    await hive.start();
    const t = await hive.enqueue({ title: 'h', capabilities: ['h'] });
    await waitFinal(hive, [t.id]);
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').trim().split('\n').length >= 2, 10_000, 'both hooks');
    const path = join(hive.options.dataDir, 'worktrees', 'hooked', String(t.id));
    assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n').sort(), [`task.completed hive/hooked/${t.id} ${path}`, `task.started hive/hooked/${t.id} ${path}`]);
  } finally {
    await cleanup();
    t0.cleanup();
  }
});

test('env allow-list: a secret in the orchestrator\'s environment reaches neither the agent nor its setup command, unless the agent\'s env sets it', async () => {
  const saved = process.env.ANTHROPIC_API_KEY;
  process.env.ANTHROPIC_API_KEY = 'sk-ant-orchestrator-secret';
  const { hive, dir, cleanup } = await testHive(); // the default: agents start from an allow-listed copy of process.env
  try {
    const { repo } = makeRepo(join(dir, 'repo'));
    const setupSaw = join(dir, 'setup-saw');
    const show = script(dir, 'show.sh', `printf '{"key":"%s","home":"%s","setup":"%s"}\\n' "\${ANTHROPIC_API_KEY:-unset}" "\${HOME:+set}" "$(cat '${setupSaw}')"`);
    const setup = `echo "\${ANTHROPIC_API_KEY:-unset}" > '${setupSaw}'`;
    await hive.registerAgent(wsAgent('plain', ['p'], show, { repo, mode: 'worktree', setup }));
    await hive.registerAgent(wsAgent('keyed', ['k'], show, { repo, mode: 'worktree', setup }, { env: { ANTHROPIC_API_KEY: 'sk-ant-agent-own' } }));
    await hive.start();
    const a = await hive.enqueue({ title: 'a', capabilities: ['p'] });
    await waitFinal(hive, [a.id]);
    const b = await hive.enqueue({ title: 'b', capabilities: ['k'] });
    await waitFinal(hive, [b.id]);
    const ra = (await hive.getTask(a.id)).result as Record<string, string>;
    const rb = (await hive.getTask(b.id)).result as Record<string, string>;
    assert.deepEqual([ra.key, ra.setup, ra.home], ['unset', 'unset', 'set']);
    assert.deepEqual([rb.key, rb.setup], ['sk-ant-agent-own', 'sk-ant-agent-own']);
  } finally {
    if (saved === undefined) delete process.env.ANTHROPIC_API_KEY;
    else process.env.ANTHROPIC_API_KEY = saved;
    await cleanup();
  }
});

test('a worktree on the task\'s branch left without Hive\'s metadata (a crash right after git worktree add) is adopted', async () => {
  const { hive, dir, cleanup } = await testHive();
  try {
    const { repo, head } = makeRepo(join(dir, 'repo'));
    await hive.registerAgent(wsAgent('coder', ['c'], script(dir, 'commit.sh', COMMIT), { repo, mode: 'worktree' }));
    const t = await hive.enqueue({ title: 'after a crash', capabilities: ['c'] });
    const path = join(hive.options.dataDir, 'worktrees', 'coder', String(t.id));
    sh(repo, 'worktree', 'add', '-q', '-b', `hive/coder/${t.id}`, path, 'main');
    await hive.start();
    await waitFinal(hive, [t.id]);
    const done = await hive.getTask(t.id);
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.deepEqual([ws(done.result).baseCommit, ws(done.result).commits, ws(done.result).removed], [head, 1, true]);
    assert.match(readFileSync(attemptLogPath(hive.options.dataDir, t.id, 1), 'utf8'), /reusing the worktree/);
  } finally {
    await cleanup();
  }
});
