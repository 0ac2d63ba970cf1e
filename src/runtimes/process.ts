import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Process helpers shared by the command and worker runtimes and by the engine's crash recovery.
 * Linux-first: pid start times and environment scans read /proc. Where /proc is missing, start times are null
 * and liveness falls back to `kill(pid, 0)`.
 */

/**
 * The base environment agents start from: what programs need to find their tools, home, locale, terminal,
 * temp dir, time zone and network (proxies, CA bundles). Everything else in the orchestrator's environment
 * (API keys, tokens, HIVE_* settings, NODE_OPTIONS hooks) stays out; give an agent a secret explicitly with
 * its `env`. Proxy variables are passed on because an agent behind a proxy cannot reach its model otherwise.
 * An entry ending in `*` allows every name with that prefix.
 */
export const DEFAULT_ENV_ALLOW: readonly string[] = Object.freeze([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TERM',
  'COLORTERM',
  'TZ',
  'TMPDIR',
  'XDG_CONFIG_HOME',
  'XDG_CACHE_HOME',
  'XDG_DATA_HOME',
  'XDG_STATE_HOME',
  'XDG_RUNTIME_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
]);

/** The entries of `env` whose names `allow` lists (exactly, or by a `PREFIX*` entry). */
export function filterEnv(env: Readonly<Record<string, string | undefined>>, allow: readonly string[] = DEFAULT_ENV_ALLOW): Record<string, string> {
  const exact = new Set(allow.filter((a) => !a.endsWith('*')));
  const prefixes = allow.filter((a) => a.endsWith('*')).map((a) => a.slice(0, -1));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (exact.has(name) || prefixes.some((p) => name.startsWith(p))) out[name] = value;
  }
  return out;
}

interface Stat {
  state: string;
  pgrp: number;
  start: number;
}

/** /proc/PID/stat; the comm field may hold spaces and parens, so fields are counted after the last ')'. */
function readStat(pid: number): Stat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // After ") " come fields 3 (state), 4 (ppid), 5 (pgrp), ..., 22 (starttime).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  return Number.isFinite(start) ? { state: fields[0], pgrp: Number(fields[2]), start } : null;
}

/** The process start time (clock ticks since boot, /proc/PID/stat field 22), or null if the process is gone. */
export function readPidStart(pid: number): number | null {
  return readStat(pid)?.start ?? null;
}

/**
 * Whether `pid` is a running process and, when `pidStart` is given, the same one that was recorded (pids are
 * reused). Zombies count as dead: they run nothing, and an init that reaps late keeps them visible for a while.
 */
export function isProcessAlive(pid: number, pidStart: number | null): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readStat(pid);
  if (stat === null) return pidStart === null; // no /proc: kill(0) is all we can know
  if (stat.state === 'Z') return false;
  return pidStart === null || stat.start === pidStart;
}

/**
 * Sends `signal` to the process group led by `pid`. Returns whether it was delivered (false: the group is gone
 * or not ours). pid 0 and 1 are refused: kill(-1) would signal every process we may signal.
 */
export function killProcessGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: gone; EPERM: not ours to signal
  }
}

/** Whether the group still has a member that is not a zombie. */
function isGroupAlive(pgid: number): boolean {
  if (!killProcessGroup(pgid, 0)) return false;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // no /proc: trust kill(0)
  }
  for (const entry of entries) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const stat = readStat(Number(entry));
    if (stat !== null && stat.pgrp === pgid && stat.state !== 'Z') return true;
  }
  return false;
}

const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 100;

/**
 * SIGTERM to the process group, then SIGKILL after `graceMs` if any member is still alive. Resolves as soon as
 * the group is gone, or right after the SIGKILL.
 */
export async function terminateGroup(pid: number, graceMs: number): Promise<void> {
  if (!killProcessGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  let poll = FIRST_POLL_MS;
  for (let left = graceMs; left > 0; left = deadline - Date.now()) {
    await sleep(Math.min(poll, left));
    if (!isGroupAlive(pid)) return;
    poll = Math.min(poll * 2, MAX_POLL_MS);
  }
  killProcessGroup(pid, 'SIGKILL');
}

/**
 * Pids of processes (other than this one) whose environment holds exactly NAME=VALUE (and every `also` entry,
 * `NAME=VALUE` each): agent processes left by a crashed orchestrator carry such a marker. Processes whose
 * environ cannot be read (other users) are skipped.
 */
export function findProcessesWithEnv(name: string, value: string, also: readonly string[] = []): number[] {
  const needle = `${name}=${value}`;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  // never this process nor its ancestors (a shell that exported the same variable must survive)
  const skip = ancestors(process.pid);
  const found: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || skip.has(pid)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue;
    }
    const vars = environ.split('\0');
    if (vars.includes(needle) && also.every((v) => vars.includes(v))) found.push(pid);
  }
  return found.sort((a, b) => a - b);
}

/** The pid and its ancestors, read from /proc/PID/stat (field 4 is the parent pid). */
function ancestors(pid: number): Set<number> {
  const out = new Set<number>();
  for (let p = pid; p > 1 && !out.has(p); ) {
    out.add(p);
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return out;
}
