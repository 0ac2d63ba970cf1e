import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHive, type CreateHiveOptions } from '../../src/index.js';
import type { Orchestrator } from '../../src/engine/orchestrator.js';
import type { AgentSpec } from '../../src/core/store.js';
import type { HiveEvent, RuntimeSpec } from '../../src/core/types.js';

/** Repository root (tests run compiled from dist/test/...). */
export const ROOT = new URL('../../../', import.meta.url).pathname;
export const HIVE_BIN = join(ROOT, 'bin/hive.js');

export function tempDir(prefix = 'hive-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function agentSpec(name: string, capabilities: string[], runtime: RuntimeSpec, slots = 1, extra: Partial<AgentSpec> = {}): AgentSpec {
  return { name, role: '', capabilities, runtime, slots, env: {}, workdir: null, limits: { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 }, ...extra };
}

/** A started-or-not orchestrator on a fresh data dir, with fast timers. */
export async function testHive(opts: CreateHiveOptions = {}): Promise<{ hive: Orchestrator; dir: string; cleanup: () => Promise<void> }> {
  const t = tempDir();
  const hive = await createHive({ dataDir: join(t.dir, 'data'), pollMs: 10, reapIntervalMs: 50, killGraceMs: 500, drainMs: 2_000, ...opts });
  return {
    hive,
    dir: t.dir,
    cleanup: async () => {
      await hive.close({ drainMs: 0 });
      t.cleanup();
    },
  };
}

/** Resolves when every task id is in a final status (completed, dead, cancelled), or rejects after `ms`. */
export async function waitFinal(hive: Orchestrator, ids: number[], ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const tasks = await Promise.all(ids.map((id) => hive.getTask(id)));
    if (tasks.every((t) => ['completed', 'dead', 'cancelled'].includes(t.status))) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for tasks: ${tasks.map((t) => `${t.id}=${t.status}`).join(', ')}`);
    await sleep(10);
  }
}

export async function waitFor(cond: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function allEvents(hive: Orchestrator): Promise<HiveEvent[]> {
  const out: HiveEvent[] = [];
  for (;;) {
    const page = await hive.events(out.at(-1)?.seq ?? 0, 10_000);
    out.push(...page);
    if (page.length < 10_000) return out;
  }
}

export interface UpProcess {
  /** http://127.0.0.1:PORT */
  base: string;
  output: () => string;
  /** SIGTERM, then the exit code. */
  stop: () => Promise<number | null>;
}

/** Starts `hive up --quiet --port 0 ...args` as a real process and waits for its API address. */
export async function startUp(cwd: string, args: string[] = []): Promise<UpProcess> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [HIVE_BIN, 'up', '--quiet', '--port', '0', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const re = /API on (http:\/\/\S+)\/api\/v1/;
  await waitFor(() => re.test(out) || child.exitCode !== null, 20_000, 'hive up to print its API address');
  if (!re.test(out)) throw new Error(`hive up exited: ${out}`);
  return {
    base: re.exec(out)![1],
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
