import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { AGENT_CLIS, type AgentCli } from '../../src/model-server/index.js';
import { ROOT } from './hive.js';

/**
 * The real coding-agent CLIs for tests that run them against the scripted model server: installed (or found in
 * the cache) by scripts/install-agent-clis.mjs; every real-CLI test file uses this. A CLI that cannot be
 * installed (no registry) is reported with npm's error, and its tests skip with it. HIVE_SKIP_AGENT_CLIS=1 skips
 * them all.
 */

export interface InstalledCli {
  ok: boolean;
  version?: string;
  bin?: string;
  error?: string;
}

/** Runs the install script once (idempotent; a cached CLI takes no time) and reports each CLI on stdout. */
export function installAgentClis(): Map<AgentCli, InstalledCli> {
  const installed = new Map<AgentCli, InstalledCli>();
  if (process.env.HIVE_SKIP_AGENT_CLIS) {
    for (const cli of AGENT_CLIS) installed.set(cli, { ok: false, error: 'HIVE_SKIP_AGENT_CLIS is set' });
    return installed;
  }
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/install-agent-clis.mjs'), '--json'], { encoding: 'utf8', timeout: 900_000 });
  let report: { clis?: Record<string, InstalledCli> } = {};
  try {
    report = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
  } catch {
    // reported below
  }
  for (const cli of AGENT_CLIS) {
    const i = report.clis?.[cli] ?? { ok: false, error: `install script failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.trim().slice(-300)}` };
    installed.set(cli, i);
    process.stdout.write(i.ok ? `# ${cli} ${i.version}: ${i.bin}\n` : `# ${cli} could not be installed, its tests are skipped: ${i.error}\n`);
  }
  return installed;
}

/** The binaries of `clis`, or null after skipping the test with the first install failure. */
export function binsOrSkip(t: TestContext, installed: Map<AgentCli, InstalledCli>, clis: readonly AgentCli[]): Record<AgentCli, string> | null {
  const bins = {} as Record<AgentCli, string>;
  for (const cli of clis) {
    const i = installed.get(cli);
    if (!i?.ok || !i.bin) {
      t.skip(`${cli} is not installed: ${i?.error ?? 'unknown'}`);
      return null;
    }
    bins[cli] = i.bin;
  }
  return bins;
}

/** Variables of the machine that could point a CLI at a real API: the processes the tests start run without them. */
export const FOREIGN_ENV = /^(ANTHROPIC_|CLAUDE_|OPENAI_|CODEX_|GEMINI_|GOOGLE_|VERTEX|IS_SANDBOX$|HIVE_)/;

/** process.env without FOREIGN_ENV variables, with `extra` on top. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!FOREIGN_ENV.test(k)) env[k] = v;
  return { ...env, ...extra };
}
