import { spawn } from 'node:child_process';
import type { HookCall, HookExecutor } from '../core/hooks.js';

const TAIL = 500;

/**
 * Runs hook calls for real: a command through `/bin/sh -c` in its own process group (the whole group is
 * killed on timeout), or a webhook POST of the JSON payload. `baseEnv` is the allow-listed environment
 * agents get too; the orchestrator's own secrets are not passed on.
 */
export function createHookExecutor(baseEnv: Record<string, string>): HookExecutor {
  return {
    run(call: HookCall, signal: AbortSignal): Promise<string | null> {
      return call.hook.command !== undefined ? runCommand(call.hook.command, { ...baseEnv, ...call.env }, call.hook.timeoutMs, signal) : postWebhook(call.hook.webhook!, call, signal);
    },
  };
}

function runCommand(command: string, env: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<string | null> {
  return new Promise((resolve) => {
    let stderr = '';
    let why: string | null = null;
    const child = spawn('/bin/sh', ['-c', command], { env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    const kill = (reason: string): void => {
      why ??= reason;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => kill(`timed out after ${timeoutMs} ms`), timeoutMs);
    const onAbort = (): void => kill('the orchestrator stopped');
    signal.addEventListener('abort', onAbort, { once: true });
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-TAIL)));
    child.on('error', (err) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(`cannot start /bin/sh: ${err.message}`);
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      const last = stderr.trim().split('\n').at(-1) ?? '';
      if (why) resolve(why);
      else if (code === 0) resolve(null);
      else resolve(`${code === null ? `killed by ${sig}` : `exit code ${code}`}${last ? `: ${last}` : ''}`);
    });
  });
}

async function postWebhook(url: string, call: HookCall, signal: AbortSignal): Promise<string | null> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'hive-hooks' },
      body: JSON.stringify(call.payload),
      signal: AbortSignal.any([signal, AbortSignal.timeout(call.hook.timeoutMs)]),
      redirect: 'error',
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? null : `HTTP ${res.status} from ${url}`;
  } catch (err) {
    const e = err as Error;
    return e.name === 'TimeoutError' ? `timed out after ${call.hook.timeoutMs} ms (${url})` : `POST ${url} failed: ${e.message}${(e.cause as Error)?.message ? ` (${(e.cause as Error).message})` : ''}`;
  }
}
