#!/usr/bin/env node
// Installs pinned versions of the coding-agent CLIs (Claude Code, Codex CLI, Gemini CLI) into a cache folder,
// for the real-CLI tests against the scripted model server (docs/model-server.md). Idempotent: a CLI whose
// pinned version is already there is skipped. Each CLI gets its own prefix, so one failed install does not
// take the others down.
//
//   node scripts/install-agent-clis.mjs [--dir DIR] [--only claude,codex,gemini] [--json]
//
// DIR defaults to $HIVE_AGENT_CLIS_DIR, else $XDG_CACHE_HOME/hive/agent-clis (~/.cache/hive/agent-clis): outside
// the repository, so that fresh clones (CI) reuse one install.
// Prints one line per CLI (or, with --json, one JSON object: {dir, clis: {name: {ok, version, bin, error?}}}).
// Exits 0 if every requested CLI is installed, 1 otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned versions (the latest patch releases when this was written). */
export const AGENT_CLIS = {
  claude: { pkg: '@anthropic-ai/claude-code', version: '2.1.331', bin: 'claude' },
  codex: { pkg: '@openai/codex', version: '0.169.0', bin: 'codex' },
  gemini: { pkg: '@google/gemini-cli', version: '0.61.0', bin: 'gemini' },
};

/** Where the CLIs are installed unless told otherwise. */
export function defaultDir(env = process.env) {
  return env.HIVE_AGENT_CLIS_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'hive', 'agent-clis');
}

function installedVersion(prefix, pkg) {
  try {
    return JSON.parse(readFileSync(join(prefix, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** Installs one CLI (unless present) and returns {ok, version, bin, error?}. */
export function installCli(dir, name) {
  const spec = AGENT_CLIS[name];
  if (!spec) return { ok: false, error: `unknown CLI ${JSON.stringify(name)} (known: ${Object.keys(AGENT_CLIS).join(', ')})` };
  const prefix = join(dir, name);
  const bin = join(prefix, 'node_modules', '.bin', spec.bin);
  if (installedVersion(prefix, spec.pkg) === spec.version && existsSync(bin)) return { ok: true, version: spec.version, bin, cached: true };
  mkdirSync(prefix, { recursive: true });
  // A package.json of its own, so npm does not walk up into the repository's package.json.
  if (!existsSync(join(prefix, 'package.json'))) writeFileSync(join(prefix, 'package.json'), '{"private":true}\n');
  const r = spawnSync(
    'npm',
    ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `${spec.pkg}@${spec.version}`],
    { encoding: 'utf8', timeout: 600_000, env: { ...process.env, npm_config_update_notifier: 'false' } },
  );
  if (r.status !== 0 || installedVersion(prefix, spec.pkg) !== spec.version || !existsSync(bin)) {
    // npm's first lines say what went wrong (code, then the message); the stack trace follows
    const lines = (r.stderr || r.stdout || '').split('\n').filter((l) => l.trim() && !/^npm error\s+at /.test(l));
    const why = r.error ? r.error.message : `npm install ${spec.pkg}@${spec.version} exited ${r.status ?? r.signal}: ${lines.slice(0, 4).join(' | ')}`;
    return { ok: false, version: spec.version, bin, error: why };
  }
  return { ok: true, version: spec.version, bin, cached: false };
}

function main(argv) {
  const arg = (flag) => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  const dir = resolve(arg('--dir') ?? defaultDir());
  const only = (arg('--only') ?? Object.keys(AGENT_CLIS).join(',')).split(',').filter(Boolean);
  const clis = {};
  for (const name of only) {
    clis[name] = installCli(dir, name);
    if (!argv.includes('--json')) {
      const c = clis[name];
      process.stdout.write(c.ok ? `${name} ${c.version}: ${c.bin}${c.cached ? ' (already installed)' : ''}\n` : `${name}: FAILED: ${c.error}\n`);
    }
  }
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ dir, clis })}\n`);
  return Object.values(clis).every((c) => c.ok) ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
