import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, test, type TestContext } from 'node:test';
import { AGENT_CLIS, cliSetup, createModelServer, loadScript, type AgentCli, type ModelServer } from '../../src/model-server/index.js';
import { createClaudeCodeParser, createCodexParser, createGeminiParser, type AgentEvent, type StreamParser } from '../../src/runtimes/presets/index.js';
import { ROOT, tempDir } from '../helpers/hive.js';
import { installAgentClis, type InstalledCli } from '../helpers/agent-clis.js';

/**
 * The real coding-agent CLIs (pinned in scripts/install-agent-clis.mjs) against the scripted model server: they
 * write the scripted file, run the scripted command, and print the stream that the preset parsers read. Faults:
 * a hung, stalled or down API leaves every CLI running (Hive's watchdogs must kill it); a rate limit is retried.
 * A CLI that cannot be installed (no registry) is skipped with the reason. HIVE_SKIP_AGENT_CLIS=1 skips them all.
 */

let installed = new Map<AgentCli, InstalledCli>();

before(() => void (installed = installAgentClis()), { timeout: 900_000 });

const PARSERS: Record<AgentCli, () => StreamParser> = {
  claude: () => createClaudeCodeParser(),
  codex: () => createCodexParser(),
  gemini: () => createGeminiParser(),
};
/** The tool names each CLI reports for the neutral write_file and run_shell. */
const TOOL_NAMES: Record<AgentCli, { write: string; shell: string }> = {
  claude: { write: 'Write', shell: 'Bash' },
  codex: { write: 'apply_patch', shell: 'shell' },
  gemini: { write: 'write_file', shell: 'run_shell_command' },
};

/** Variables of the machine that could point a CLI elsewhere; the run gets only the setup's. */
const FOREIGN = /^(ANTHROPIC_|CLAUDE_|OPENAI_|CODEX_|GEMINI_|GOOGLE_|VERTEX|IS_SANDBOX$)/;

interface Run {
  server: ModelServer;
  work: string;
  lines: string[];
  stderr: string;
  /** Exit code and signal, or null while running. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** Kills the process group (the CLI and whatever it started). */
  kill(): void;
  cleanup(): Promise<void>;
}

/** Returns the CLI's binary, or skips the test with the install failure. */
function binOf(t: TestContext, cli: AgentCli): string | null {
  const i = installed.get(cli);
  if (!i?.ok || !i.bin) {
    t.skip(`${cli} is not installed: ${i?.error ?? 'unknown'}`);
    return null;
  }
  return i.bin;
}

async function start(cli: AgentCli, bin: string, script: unknown, opts: { prompt?: string; model?: string } = {}): Promise<Run> {
  const t = tempDir(`hive-${cli}-`);
  const home = join(t.dir, 'home');
  const work = join(t.dir, 'work');
  mkdirSync(home);
  mkdirSync(work);
  spawnSync('git', ['init', '-q', work]);
  const server = await createModelServer({ script });
  const setup = cliSetup(cli, { url: server.url, home, prompt: opts.prompt ?? 'Write hello.txt, then run a command.', model: opts.model });
  for (const [file, content] of Object.entries(setup.files)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  const env: NodeJS.ProcessEnv = { HOME: home };
  for (const [k, v] of Object.entries(process.env)) if (!FOREIGN.test(k) && k !== 'HOME') env[k] = v;
  const child = spawn(bin, setup.args, { cwd: work, env: { ...env, ...setup.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-20_000);
  });
  let done = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      done = true;
      if (buffered) lines.push(buffered);
      resolve({ code, signal });
    });
    child.on('error', () => {
      done = true;
      resolve({ code: null, signal: null });
    });
  });
  const kill = (): void => {
    try {
      if (!done && child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return {
    server,
    work,
    lines,
    get stderr() {
      return stderr;
    },
    exit,
    running: () => !done,
    kill,
    cleanup: async () => {
      kill();
      await exit;
      await server.close();
      t.cleanup();
    },
  };
}

function parse(cli: AgentCli, lines: string[], exitCode: number | null): AgentEvent[] {
  const p = PARSERS[cli]();
  return [...lines.flatMap((l) => p.line(l)), ...p.end(exitCode)];
}

const explain = (run: Run): string => `\nstdout:\n${run.lines.join('\n').slice(-4000)}\nstderr:\n${run.stderr.slice(-2000)}\nrequests: ${run.server.requests.map((r) => `${r.kind}:${r.turn ?? '-'}:${r.status ?? '-'}`).join(' ')}`;

async function waitExit(run: Run, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const timer = setTimeout(() => run.kill(), ms);
  try {
    return await run.exit;
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const WRITE_AND_RUN = join(ROOT, 'test/fixtures/model-scripts/write-and-run.yaml');

/** Runs the write-and-run script to the end and checks the file, the command, the stream and the requests. */
async function writeAndRun(t: TestContext, cli: AgentCli, model?: string): Promise<void> {
  const bin = binOf(t, cli);
  if (!bin) return;
  const run = await start(cli, bin, loadScript(WRITE_AND_RUN), { model });
  try {
    const { code } = await waitExit(run, 90_000);
    assert.equal(code, 0, `${cli} exited ${code}${explain(run)}`);
    assert.equal(readFileSync(join(run.work, 'hello.txt'), 'utf8'), 'hello from the scripted model\n');
    assert.equal(readFileSync(join(run.work, 'ran.txt'), 'utf8'), 'shell ran\n');

    const events = parse(cli, run.lines, code);
    const names = TOOL_NAMES[cli];
    assert.equal(events[0].type, 'started', explain(run));
    const tools = events.filter((e) => e.type === 'tool').map((e) => `${e.name}:${e.status}`);
    assert.deepEqual(tools, [`${names.write}:started`, `${names.write}:completed`, `${names.shell}:started`, `${names.shell}:completed`], explain(run));
    const changed = events.filter((e) => e.type === 'file_changed');
    assert.equal(changed.length, 1, explain(run));
    assert.match(changed[0].type === 'file_changed' ? changed[0].path : '', /(^|\/)hello\.txt$/);
    const said = events.filter((e) => e.type === 'message' && e.role === 'assistant').map((e) => (e.type === 'message' ? e.text : ''));
    assert.deepEqual(said, ['I will write the file.', 'Wrote hello.txt and ran the command.']);
    const finished = events.filter((e) => e.type === 'finished').map((e) => (e.type === 'finished' ? [e.status, e.result] : []));
    assert.deepEqual(finished, [['success', 'Wrote hello.txt and ran the command.']]);
    const usage = events.reduce((u, e) => (e.type === 'usage' ? { input: u.input + e.input, output: u.output + e.output } : u), { input: 0, output: 0 });
    // the script's three turns; Gemini CLI also counts its model router's side request (10 + 5 by default)
    assert.deepEqual(usage, cli === 'gemini' ? { input: 370, output: 47 } : { input: 360, output: 42 });

    const turns = run.server.requests.filter((r) => r.kind === 'turn');
    assert.deepEqual(turns.map((r) => [r.turn, r.status]), [[0, 200], [1, 200], [2, 200]], explain(run));
    assert.equal(new Set(turns.map((r) => r.conversation)).size, 1);
    const unknown = run.server.requests.filter((r) => r.kind === 'unknown').map((r) => `${r.method} ${r.url}`);
    if (unknown.length) t.diagnostic(`unknown requests answered 404: ${unknown.join(', ')}`);
  } finally {
    await run.cleanup();
  }
}

/**
 * A hung, stalled and down API at once: `ms` after its first request to the API, every CLI is still running;
 * killing its process group ends it, and the parser reports `killed`.
 */
async function faultsLeaveItRunning(t: TestContext, cli: AgentCli, ms: number): Promise<void> {
  const bin = binOf(t, cli);
  if (!bin) return;
  const faults = ['hang', 'stall', 'down'] as const;
  const runs = await Promise.all(faults.map((fault) => start(cli, bin, [{ fault, times: 'forever' }], { prompt: 'Say hello.' })));
  try {
    await Promise.all(
      runs.map(async (run, i) => {
        const deadline = Date.now() + 45_000;
        while (!run.server.requests.some((r) => r.kind === 'turn') && run.running() && Date.now() < deadline) await sleep(50);
        assert.ok(run.server.requests.some((r) => r.kind === 'turn'), `${faults[i]}: no request reached the API${explain(run)}`);
        await sleep(ms);
      }),
    );
    for (const [i, run] of runs.entries()) {
      const fault = faults[i];
      const seen = run.server.requests.filter((r) => r.kind === 'turn');
      assert.ok(seen.every((r) => r.fault === fault), explain(run));
      assert.ok(run.running(), `${cli} exited by itself on a ${fault} API${explain(run)}`);
      run.kill();
      const { code, signal } = await run.exit;
      assert.deepEqual([code, signal], [null, 'SIGKILL']);
      const finished = parse(cli, run.lines, null).filter((e) => e.type === 'finished');
      assert.deepEqual(finished.map((e) => (e.type === 'finished' ? [e.status, e.reason] : [])), [['error', 'killed']], `${fault}${explain(run)}`);
      t.diagnostic(`${fault}: still running ${ms} ms after its first request; ${seen.length} request(s) to the API`);
    }
  } finally {
    await Promise.all(runs.map((r) => r.cleanup()));
  }
}

/** A rate limit, then an answer: the CLI retries and finishes. */
async function retriesRateLimit(t: TestContext, cli: AgentCli): Promise<void> {
  const bin = binOf(t, cli);
  if (!bin) return;
  const run = await start(cli, bin, [{ fault: 'rate_limit', retry_after: 1 }, { text: 'answered after the rate limit' }], { prompt: 'Say hello.' });
  try {
    const { code } = await waitExit(run, 60_000);
    assert.equal(code, 0, explain(run));
    const turns = run.server.requests.filter((r) => r.kind === 'turn');
    assert.deepEqual(turns.map((r) => r.status), [429, 200], explain(run));
    const finished = parse(cli, run.lines, code).filter((e) => e.type === 'finished');
    assert.deepEqual(finished.map((e) => (e.type === 'finished' ? [e.status, e.result] : [])), [['success', 'answered after the rate limit']]);
    t.diagnostic(`retried after ${turns[1].at - turns[0].at} ms`);
  } finally {
    await run.cleanup();
  }
}

for (const cli of AGENT_CLIS) {
  describe(cli, () => {
    test('writes the scripted file and runs the scripted command; the stream parses to a success', { timeout: 120_000 }, (t) => writeAndRun(t, cli));
    test('a hung, stalled or down API leaves it running until its process group is killed', { timeout: 60_000 }, (t) => faultsLeaveItRunning(t, cli, 3_000));
    test('retries a rate limit (429 + retry-after), then finishes', { timeout: 90_000 }, (t) => retriesRateLimit(t, cli));
  });
}

test('codex with -m gpt-5.5 (apply_patch and exec_command tools instead of code mode)', { timeout: 120_000 }, (t) => writeAndRun(t, 'codex', 'gpt-5.5'));

test('the install script is idempotent: a second run installs nothing', { timeout: 120_000 }, (t) => {
  if (![...installed.values()].every((i) => i.ok)) return t.skip('not every CLI is installed');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/install-agent-clis.mjs'), '--json'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { clis: Record<string, InstalledCli & { cached: boolean }> };
  for (const cli of AGENT_CLIS) {
    assert.equal(report.clis[cli].cached, true, cli);
    assert.ok(existsSync(report.clis[cli].bin!));
  }
});
