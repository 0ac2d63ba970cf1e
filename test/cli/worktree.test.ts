import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/cli/config.js';
import { createHive } from '../../src/index.js';
import type { WorktreeStatus } from '../../src/core/workspace.js';
import { HIVE_BIN, startUp, tempDir, waitFinal } from '../helpers/hive.js';
import { branches, makeRepo } from '../helpers/git.js';

function hive(dir: string, ...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [HIVE_BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, HIVE_CONFIG: '', HIVE_SERVER: '', HIVE_DATA: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const invalid = (re: RegExp) => (e: Error & { code?: string }): boolean => e.code === 'CONFIG_INVALID' && re.test(e.message);

test('hive.yaml: workspace on an agent (paths relative to the file), workspace_roots, and what is refused', () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'hive.yaml');
    const write = (text: string): void => writeFileSync(file, text);
    write(`agents:
  - name: coder
    command: ["true"]
    workspace: { repo: ./repo, base: develop, branch: "feat/{agent}-{task}", root: ./wt, cleanup: always, setup: npm ci }
  - name: solo
    command: ["true"]
    workspace: { repo: ./other, mode: shared }
`);
    const c = loadConfig({ config: file }, {}, t.dir);
    assert.deepEqual(c.workspaceRoots, [t.dir]);
    assert.deepEqual(c.agents[0].workspace, { repo: join(t.dir, 'repo'), mode: 'worktree', base: 'develop', branch: 'feat/{agent}-{task}', root: join(t.dir, 'wt'), cleanup: 'always', setup: 'npm ci' });
    assert.deepEqual(c.agents[1].workspace, { repo: join(t.dir, 'other'), mode: 'shared' });

    write(`agents:\n  - name: coder\n    command: ["true"]\n    workspace: { repo: /srv/elsewhere }\n`);
    assert.throws(() => loadConfig({ config: file }, {}, t.dir), invalid(/agents\.0\.workspace\.repo: \/srv\/elsewhere is outside the allowed workspace roots/));
    write(`workspace_roots: [/srv]\nagents:\n  - name: coder\n    command: ["true"]\n    workspace: { repo: /srv/elsewhere }\n`);
    assert.deepEqual(loadConfig({ config: file }, {}, t.dir).workspaceRoots, ['/srv']);
    write(`agents:\n  coder:\n    command: ["true"]\n    workdir: ../up\n`);
    assert.throws(() => loadConfig({ config: file }, {}, t.dir), invalid(/agents\.coder\.workdir: .*\/up is outside the allowed workspace roots/));
    write(`agents:\n  - name: coder\n    command: ["true"]\n    slots: 2\n    workspace: { repo: ./repo, mode: shared }\n`);
    assert.throws(() => loadConfig({ config: file }, {}, t.dir), invalid(/agents\.0\.slots: a shared workspace has one writer/));
    write(`agents:\n  - name: coder\n    command: ["true"]\n    workspace: { repo: ./repo, branch: "hive/{agent}" }\n`);
    assert.throws(() => loadConfig({ config: file }, {}, t.dir), invalid(/agents\.0\.workspace\.branch: expected a branch name template holding \{task\}/));
    write(`agents:\n  - name: coder\n    command: ["true"]\n    workspace: { repo: ./repo, mode: copy }\n`);
    assert.throws(() => loadConfig({ config: file }, {}, t.dir), invalid(/agents\.0\.workspace\.mode/));
    write(`agents:\n  - name: coder\n    command: ["true"]\n    workspace: { repo: ./repo, colour: red }\n`);
    assert.throws(() => loadConfig({ config: file }, {}, t.dir), invalid(/agents\.0\.workspace: Unrecognized key: "colour"/));
  } finally {
    t.cleanup();
  }
});

test('hive worktree list and prune on the data directory: orphans of final tasks are removed, branches stay; refused with --server', async () => {
  const t = tempDir();
  try {
    const { repo } = makeRepo(join(t.dir, 'repo'));
    writeFileSync(join(t.dir, 'commit.sh'), 'set -e\necho "$HIVE_TASK_ID" > "t$HIVE_TASK_ID.txt"\ngit add -A\ngit commit -qm task\n');
    writeFileSync(
      join(t.dir, 'hive.yaml'),
      `data: ./data
agents:
  - name: coder
    capabilities: [code]
    command: ["/bin/sh", "${join(t.dir, 'commit.sh')}"]
    workspace: { repo: ./repo, cleanup: never }
`,
    );
    // run one task through the library on the same configuration, as hive up would
    const config = loadConfig({}, {}, t.dir);
    const h = await createHive({ ...config.options, pollMs: 10, workspaceRoots: config.workspaceRoots });
    await h.start({ agents: config.agents });
    const task = await h.enqueue({ title: 'x', capabilities: ['code'] });
    await waitFinal(h, [task.id]);
    assert.equal((await h.getTask(task.id)).status, 'completed');
    await h.close();
    const path = join(t.dir, 'data', 'worktrees', 'coder', String(task.id));

    const shown = hive(t.dir, 'agent', 'show', 'coder');
    assert.match(shown.out, new RegExp(`workspace     worktree per task of ${repo} \\(branch hive/\\{agent\\}/\\{task\\}, base its current branch, cleanup never\\)`));
    const list = hive(t.dir, 'worktree', 'list', '--json');
    assert.equal(list.code, 0, list.err);
    const entries = JSON.parse(list.out) as WorktreeStatus[];
    assert.deepEqual(entries.map((e) => [e.path, e.repo, e.agent, e.taskId, e.branch, e.taskStatus, e.live]), [[path, repo, 'coder', task.id, `hive/coder/${task.id}`, 'completed', false]]);
    const table = hive(t.dir, 'worktree', 'list');
    assert.match(table.out, /^TASK\s+STATUS\s+LIVE\s+AGENT\s+BRANCH\s+PATH\n/);
    assert.match(table.out, new RegExp(`${task.id}\\s+completed\\s+no\\s+coder\\s+hive/coder/${task.id}\\s+${path}`));

    const dry = hive(t.dir, 'worktree', 'prune', '--dry-run');
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /would remove 1 worktree\(s\)/);
    assert.ok(existsSync(path));
    const pruned = hive(t.dir, 'worktree', 'prune', '--json');
    assert.equal(pruned.code, 0, pruned.err);
    assert.deepEqual((JSON.parse(pruned.out) as WorktreeStatus[]).map((e) => e.path), [path]);
    assert.ok(!existsSync(path));
    assert.ok(branches(repo).includes(`hive/coder/${task.id}`));
    assert.equal(hive(t.dir, 'worktree', 'list').out, 'no worktrees\n');
    assert.equal(hive(t.dir, 'worktree', 'prune').out, 'no orphaned worktrees\n');

    const remote = hive(t.dir, '--server', 'http://127.0.0.1:9', '--token', 'x', 'worktree', 'list');
    assert.equal(remote.code, 2);
    assert.match(remote.err, /^error VALIDATION_FAILED: hive worktree works on the data directory and the worktrees on this machine/);
    // a workdir outside the roots is refused at registration through the CLI too
    mkdirSync(join(t.dir, 'inside'));
    assert.equal(hive(t.dir, 'agent', 'add', 'ok', '--command', 'true', '--workdir', 'inside').code, 0);
    const out = hive(t.dir, 'agent', 'add', 'far', '--command', 'true', '--workdir', '/');
    assert.equal(out.code, 2);
    assert.match(out.err, /^error VALIDATION_FAILED: invalid agent far: workdir: \/ is outside the allowed workspace roots/);
  } finally {
    t.cleanup();
  }
});

test('hive agent add: preset, watchdog, tmux and workspace flags, locally and with --server (same stored agent); workspace flags without --workspace are refused', async () => {
  const t = tempDir();
  try {
    makeRepo(join(t.dir, 'app'));
    const flags = ['--runtime', 'claude-code', '--model', 'claude-sonnet-4', '--permission-mode', 'acceptEdits', '--max-turns', '7', '--extra-arg', '--verbose', '--binary', '/opt/claude', '--tmux',
      '--cap', 'code', '--slots', '2', '--idle-timeout', '5m', '--exit-grace', '10s', '--workspace', 'app', '--base', 'main', '--branch', 'ai/{agent}/{task}', '--cleanup', 'never', '--setup', 'npm ci'];
    const local = hive(t.dir, 'agent', 'add', 'claude', ...flags, '--json');
    assert.equal(local.code, 0, local.err);
    const want = {
      runtime: { kind: 'claude-code', model: 'claude-sonnet-4', permissionMode: 'acceptEdits', maxTurns: 7, extraArgs: ['--verbose'], binary: '/opt/claude', tmux: true,
        workspace: { repo: join(t.dir, 'app'), mode: 'worktree', base: 'main', branch: 'ai/{agent}/{task}', cleanup: 'never', setup: 'npm ci' } },
      limits: { idleTimeoutMs: 300_000, exitGraceMs: 10_000 },
    };
    const a = JSON.parse(local.out);
    assert.deepEqual(a.runtime, want.runtime);
    assert.equal(a.limits.idleTimeoutMs, want.limits.idleTimeoutMs);
    assert.equal(a.limits.exitGraceMs, want.limits.exitGraceMs);
    assert.equal(a.slots, 2);

    const bad = hive(t.dir, 'agent', 'add', 'x', '--command', 'true', '--base', 'main');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^error VALIDATION_FAILED: .*workspace\.base.*needs --workspace <repo>/);
    const mode = hive(t.dir, 'agent', 'add', 'x', '--command', 'true', '--workspace', 'app', '--workspace-mode', 'copy');
    assert.equal(mode.code, 2);
    assert.match(mode.err, /^error VALIDATION_FAILED: invalid agent: workspace\.mode/);

    const up = await startUp(t.dir);
    try {
      const token = readFileSync(join(t.dir, '.hive', 'admin.token'), 'utf8').trim();
      const remote = hive(t.dir, '--server', up.base, '--token', token, 'agent', 'add', 'claude2', ...flags, '--json');
      assert.equal(remote.code, 0, remote.err);
      const b = JSON.parse(remote.out);
      assert.deepEqual(b.runtime, want.runtime);
      assert.equal(b.limits.idleTimeoutMs, want.limits.idleTimeoutMs);
      assert.equal(b.limits.exitGraceMs, want.limits.exitGraceMs);
      const far = hive(t.dir, '--server', up.base, '--token', token, 'agent', 'add', 'far', '--command', 'true', '--workspace', '/');
      assert.equal(far.code, 2);
      assert.match(far.err, /^error VALIDATION_FAILED: .*workspace\.repo/);
    } finally {
      await up.stop();
    }
  } finally {
    t.cleanup();
  }
});
