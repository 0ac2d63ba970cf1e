import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Runs git in `cwd` (test helper: throws on failure, returns trimmed stdout). */
export function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }).trim();
}

/**
 * A real git repository in `dir`: branch main with one commit (README, a .gitignore ignoring .env), the identity
 * agents' commits use, and `extra` files committed on top.
 */
export function makeRepo(dir: string, extra: Record<string, string> = {}): { repo: string; head: string } {
  mkdirSync(dir, { recursive: true });
  sh(dir, 'init', '-q', '-b', 'main');
  sh(dir, 'config', 'user.email', 'hive@example.invalid');
  sh(dir, 'config', 'user.name', 'Hive Test');
  sh(dir, 'config', 'commit.gpgsign', 'false');
  writeFileSync(join(dir, 'README.md'), '# test repo\n');
  writeFileSync(join(dir, '.gitignore'), '.env\n');
  for (const [name, text] of Object.entries(extra)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  sh(dir, 'add', '-A');
  sh(dir, 'commit', '-q', '-m', 'initial');
  return { repo: dir, head: sh(dir, 'rev-parse', 'HEAD') };
}

/** Commits `text` as `name` on the branch checked out; returns the new commit. */
export function commitFile(repo: string, name: string, text: string): string {
  writeFileSync(join(repo, name), text);
  sh(repo, 'add', '-A');
  sh(repo, 'commit', '-q', '-m', `add ${name}`);
  return sh(repo, 'rev-parse', 'HEAD');
}

export function branches(repo: string): string[] {
  return sh(repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/').split('\n').filter(Boolean).sort();
}
