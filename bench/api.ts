import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHive } from '../src/index.js';
import { serve } from '../src/http/server.js';
import { createToken } from '../src/http/auth.js';
import type { Orchestrator } from '../src/engine/orchestrator.js';

const LOAD = fileURLToPath(new URL('./load.js', import.meta.url));

function runLoad(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOAD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited ${code}: ${out}`))));
  });
}

async function withServer<T>(fn: (hive: Orchestrator, base: string, token: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'hive-bench-api-'));
  const hive = await createHive({ dataDir: join(dir, 'data'), inline: { noop: () => undefined } });
  try {
    await hive.registerAgent({ name: 'noop', role: '', capabilities: [], runtime: { kind: 'inline', fn: 'noop' }, slots: 50, env: {}, workdir: null, limits: { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 } });
    await hive.start();
    const served = await serve(hive, { host: '127.0.0.1', port: 0 });
    const { token } = await createToken(hive.store, 'admin', 'bench');
    try {
      return await fn(hive, served.url, token);
    } finally {
      await served.app.close();
    }
  } finally {
    await hive.close({ drainMs: 0 });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** POST /api/v1/tasks and GET /api/v1/tasks/{id} at `rate` req/s from a second process. */
export function apiLatency(rate = 200, seconds = 10): Promise<Record<string, unknown>> {
  return withServer((_hive, base, token) => runLoad(['rate', base, token, String(rate), String(seconds)]));
}

/** An SSE client in a second process reads the event log while `tasks` no-op tasks run. */
export function sseRate(tasks = 10_000): Promise<Record<string, unknown>> {
  return withServer(async (hive, base, token) => {
    const before = await hive.store.lastEventSeq();
    const expected = before + tasks * 3; // enqueued, started, completed
    const reader = runLoad(['sse', base, token, String(expected)]);
    const t0 = performance.now();
    for (let i = 0; i < tasks; i += 1000) await hive.submit(Array.from({ length: Math.min(1000, tasks - i) }, (_, j) => ({ title: `sse ${i + j}` })));
    while (hive.stats.completed < tasks) await new Promise((r) => setTimeout(r, 5));
    const processedIn = (performance.now() - t0) / 1000;
    const r = await reader;
    const lagS = Math.max(0, (r.seconds as number) - processedIn);
    return { ...r, log_events: expected, log_events_per_s: Math.round(expected / processedIn), catch_up_after_last_event_s: Math.round(lagS * 1000) / 1000 };
  });
}
