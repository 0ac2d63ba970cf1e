import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { RunJson } from '../../src/core/present-workflow.js';
import { createHive } from '../../src/index.js';
import type { AgentCli } from '../../src/model-server/index.js';
import { findProcessesWithEnv } from '../../src/runtimes/process.js';
import { binsOrSkip, cleanEnv, installAgentClis, type InstalledCli } from '../helpers/agent-clis.js';
import { HIVE_BIN, ROOT, tempDir } from '../helpers/hive.js';

/**
 * `hive run WORKFLOW --scripted-model FILE`, the dry run, as a real process with the real Claude Code, Codex CLI and
 * Gemini CLI (installed into the cache like test/model-server/real-clis.test.ts; skipped with the reason when they
 * cannot be). The refusals need no CLI.
 */

let installed = new Map<AgentCli, InstalledCli>();
before(() => void (installed = installAgentClis()), { timeout: 900_000 });

const SCRIPT = join(ROOT, 'test/fixtures/model-scripts/feature-dry-run.yaml');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `node bin/hive.js ...args` in `cwd`, with HOME set to a fresh directory and none of the machine's model API variables. */
function hive(cwd: string, home: string, args: string[], timeoutMs = 120_000): Promise<Exit> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HIVE_BIN, ...args], { cwd, env: cleanEnv({ HOME: home }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.invalid' } });
  assert.equal(r.status, 0, r.stderr);
}

/** A temp dir with a git repository `repo/`, a fresh `home/`, and hive.yaml with the given agents and the feature workflow. */
function project(agents: string): { dir: string; repo: string; home: string; cleanup: () => void } {
  const t = tempDir('hive-run-test-');
  const repo = join(t.dir, 'repo');
  const home = join(t.dir, 'home');
  mkdirSync(home);
  git(t.dir, 'init', '-q', '-b', 'main', repo);
  writeFileSync(join(repo, 'README.md'), '# greet\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'initial commit');
  writeFileSync(
    join(t.dir, 'hive.yaml'),
    `agents:\n${agents}\n` +
      `workflows:
  - name: feature
    inputs:
      spec: { type: string, required: true }
    steps:
      plan:      { caps: [plan], prompt: "Plan this feature: {{inputs.spec}}" }
      implement: { caps: [code], needs: [plan], prompt: "Implement this plan: {{steps.plan.output}}" }
      review:    { caps: [review], needs: [implement], prompt: "Review the change: {{steps.implement.output}}" }
`,
  );
  return { dir: t.dir, repo, home, cleanup: t.cleanup };
}

const presetAgents = (bins: Record<AgentCli, string>): string => `
  - name: planner
    runtime: claude-code
    binary: ${bins.claude}
    capabilities: [plan]
    workdir: ./repo
  - name: coder
    runtime: codex
    binary: ${bins.codex}
    capabilities: [code]
    workdir: ./repo
  - name: reviewer
    runtime: gemini
    binary: ${bins.gemini}
    capabilities: [review]
    workdir: ./repo`;

test('hive run feature --scripted-model: plan on Claude Code -> implement on Codex -> review on Gemini CLI, real CLIs, exit 0', { timeout: 180_000 }, async (t) => {
  const bins = binsOrSkip(t, installed, ['claude', 'codex', 'gemini']);
  if (!bins) return;
  const p = project(presetAgents(bins));
  try {
    const r = await hive(p.dir, p.home, ['run', 'feature', '--scripted-model', SCRIPT, '--input', 'spec=a greeting function', '--json', '--keep']);
    const explain = `\nexit ${r.code}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-4000)}`;
    assert.equal(r.code, 0, explain);
    t.diagnostic(`hive run took ${r.ms} ms`);

    // the CLIs did the scripted work in the agents' workdir
    assert.equal(readFileSync(join(p.repo, 'PLAN.md'), 'utf8'), '1. Add greet(name) to greet.js\n');
    assert.equal(readFileSync(join(p.repo, 'greet.js'), 'utf8'), 'export const greet = (name) => `hello ${name}`;\n');
    assert.equal(readFileSync(join(p.repo, 'REVIEW.md'), 'utf8'), '1\nreview: approved\n');

    // the run: completed, three completed steps on the three agents, usage on each
    const run = JSON.parse(r.stdout) as RunJson & { dryRun: { data: string; agents: string[]; modelServer: { requests: number; turns: number; done: number; side: number } } };
    assert.equal(run.status, 'completed', explain);
    assert.deepEqual(run.steps!.map((s) => [s.name, s.status, s.agent]), [['plan', 'completed', 'planner'], ['implement', 'completed', 'coder'], ['review', 'completed', 'reviewer']]);
    for (const s of run.steps!) assert.ok(s.usage.inputTokens > 0 && s.usage.outputTokens > 0, `${s.name} usage ${JSON.stringify(s.usage)}`);
    assert.deepEqual(run.steps!.map((s) => s.output), ["PLAN: add greet(name) to greet.js, returning 'hello NAME'.", 'Implemented greet() in greet.js.', 'Review: approved.']);
    assert.deepEqual(run.dryRun.agents, ['planner', 'coder', 'reviewer']);
    assert.equal(run.dryRun.modelServer.turns, 6, 'each CLI took its two turns, none ran past the script');
    assert.equal(run.dryRun.modelServer.done, 0);
    assert.ok(run.dryRun.modelServer.requests >= 6);
    // the progress lines and the summary went to stderr
    assert.match(r.stderr, /run 1 step implement running \(task 2\)/);
    assert.match(r.stderr, /✓ plan\s+completed/);
    assert.match(r.stderr, /model server: \d+ request\(s\), 6 scripted turn\(s\)/);

    // {{steps.plan.output}} reached Codex's prompt; nothing is left running; the data directory was a temporary one
    const data = run.dryRun.data;
    assert.match(r.stderr, new RegExp(`hive run: data ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(temporary\\)`));
    assert.deepEqual(findProcessesWithEnv('HIVE_DATA_DIR', data), []);
    const h = await createHive({ dataDir: data });
    try {
      const tasks = await h.listTasks();
      assert.equal(tasks.find((x) => x.id === 2)?.prompt, "Implement this plan: PLAN: add greet(name) to greet.js, returning 'hello NAME'.");
      assert.ok((await h.listAgents()).every((a) => a.running === 0));
    } finally {
      await h.close({ drainMs: 0 });
    }
    // no CLI wrote to HOME: each kept its state in the dry run's own directory
    assert.deepEqual(readdirSync(p.home), []);
    const kept = /kept (\S+)/.exec(r.stderr)?.[1];
    assert.ok(kept && existsSync(join(kept, 'agents', 'reviewer', '.gemini', 'settings.json')), explain);
    spawnSync('rm', ['-rf', kept]);
  } finally {
    p.cleanup();
  }
});

test('hive run: a step that fails ends the dry run with exit 1, and the temporary directory is removed', { timeout: 120_000 }, async (t) => {
  const bins = binsOrSkip(t, installed, ['codex']);
  if (!bins) return;
  // Codex gives up on a rate limit that never ends after about 6 s (docs/agents.md)
  const p = project(`
  - name: coder
    runtime: codex
    binary: ${bins.codex}
    capabilities: [plan, code, review]
    workdir: ./repo`);
  try {
    writeFileSync(join(p.dir, 'limited.yaml'), 'turns:\n  - fault: rate_limit\n    times: forever\n');
    writeFileSync(join(p.dir, 'hive.yaml'), `${readFileSync(join(p.dir, 'hive.yaml'), 'utf8')}defaults:\n  max_attempts: 1\n`);
    const r = await hive(p.dir, p.home, ['run', 'feature', '--scripted-model', 'limited.yaml', '--input', 'spec=x']);
    const explain = `\nexit ${r.code}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;
    assert.equal(r.code, 1, explain);
    assert.match(r.stderr, /^error TASK_FAILED: dry run of feature: run 1 failed/m, explain);
    assert.match(r.stdout, /✗ plan\s+failed/, explain);
    assert.match(r.stdout, /⊘ implement\s+cancelled/, explain);
    const data = /hive run: data (\S+) \(temporary\)/.exec(r.stdout)?.[1];
    assert.ok(data, explain);
    assert.equal(existsSync(data), false, 'the temporary data directory is removed');
    assert.deepEqual(findProcessesWithEnv('HIVE_DATA_DIR', data), []);
    t.diagnostic(`failed dry run took ${r.ms} ms`);
  } finally {
    p.cleanup();
  }
});

test('hive run refuses: without --scripted-model, a step only aider could run, a step no agent can run, a --data that is not empty', { timeout: 60_000 }, async () => {
  const p = project(`
  - name: planner
    runtime: command
    command: ["true"]
    capabilities: [plan, code]
  - name: aider
    runtime: aider
    capabilities: [review]`);
  try {
    let r = await hive(p.dir, p.home, ['run', 'feature', '--input', 'spec=x']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error VALIDATION_FAILED: --scripted-model FILE is required: hive run is the dry run.*hive workflow run feature --wait/);

    writeFileSync(join(p.dir, 'ok.yaml'), '- text: ok\n');
    r = await hive(p.dir, p.home, ['run', 'feature', '--scripted-model', 'ok.yaml', '--input', 'spec=x']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error VALIDATION_FAILED: workflows\.0: workflow feature: steps\.review: only aider \(runtime aider\) can run it, and a dry run leaves it out/);

    r = await hive(p.dir, p.home, ['run', 'nope', '--scripted-model', 'ok.yaml']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error WORKFLOW_NOT_FOUND: workflow nope is not defined/);

    writeFileSync(join(p.dir, 'other.yaml'), 'name: other\nsteps:\n  a: { caps: [deploy] }\n');
    r = await hive(p.dir, p.home, ['run', 'other', '--scripted-model', 'ok.yaml', '--file', 'other.yaml']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /steps\.a: no agent in the configuration has capabilities deploy/);

    mkdirSync(join(p.dir, 'busy'));
    writeFileSync(join(p.dir, 'busy', 'hive.db'), '');
    r = await hive(p.dir, p.home, ['--data', 'busy', 'run', 'feature', '--scripted-model', 'ok.yaml', '--input', 'spec=x']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error VALIDATION_FAILED: .*busy is not empty; a dry run keeps its data in a new or empty directory/);

    r = await hive(p.dir, p.home, ['run', 'feature', '--scripted-model', 'missing.yaml']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error VALIDATION_FAILED: --scripted-model: cannot read missing\.yaml/);
    assert.deepEqual(readdirSync(p.home), []);
  } finally {
    p.cleanup();
  }
});
