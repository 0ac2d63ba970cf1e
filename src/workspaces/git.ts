import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The git commands the workspaces need, run with the real `git` (execFile, no shell). Each rejects with a
 * GitError carrying git's own message. Output is parsed in the C locale.
 */

export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')}: ${stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ') || `exit code ${exitCode}`}`);
  }
}

/** Hive's own environment minus what would point git elsewhere, in the C locale, never prompting. */
function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', ...extra };
  for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_CEILING_DIRECTORIES']) if (!(k in extra)) delete env[k];
  return env;
}

/** Runs `git -C cwd ARGS`; resolves with stdout. */
export function git(cwd: string, args: string[], extraEnv?: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', ['-C', cwd, ...args], { env: gitEnv(extraEnv), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new GitError(args, null, 'git is not installed (not found on PATH)'));
      reject(new GitError(args, typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null, stderr || err.message));
    });
  });
}

/** Like git() but resolves null on a non-zero exit (a query whose "no" is an exit code). */
export async function gitMaybe(cwd: string, args: string[]): Promise<string | null> {
  try {
    return await git(cwd, args);
  } catch (err) {
    if (err instanceof GitError && err.exitCode !== null) return null;
    throw err;
  }
}

/** The top-level directory of the work tree `path` is in; null when it is not in one (or is a bare repository). */
export async function topLevel(path: string): Promise<string | null> {
  const out = await gitMaybe(path, ['rev-parse', '--show-toplevel']);
  return out === null || out.trim() === '' ? null : out.trim();
}

/** The absolute git directory of a work tree (`.git`, or `.git/worktrees/NAME` for a linked worktree). */
export async function gitDir(worktree: string): Promise<string> {
  return (await git(worktree, ['rev-parse', '--absolute-git-dir'])).trim();
}

/** The branch checked out (short name), or null when HEAD is detached. */
export async function currentBranch(repo: string): Promise<string | null> {
  const out = await gitMaybe(repo, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return out === null ? null : out.trim();
}

/** The commit a ref names, or null. */
export async function commitOf(repo: string, ref: string): Promise<string | null> {
  const out = await gitMaybe(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  return out === null ? null : out.trim();
}

export async function branchExists(repo: string, branch: string): Promise<boolean> {
  return (await gitMaybe(repo, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`])) !== null;
}

export async function isValidBranchName(repo: string, branch: string): Promise<boolean> {
  return (await gitMaybe(repo, ['check-ref-format', '--branch', branch])) !== null;
}

/** The diff of a work tree against `base`, committed or not, untracked files included (ignored ones not). */
export interface DiffStat {
  filesChanged: number;
  insertions: number;
  deletions: number;
}

/**
 * `git diff --shortstat BASE` over everything in the work tree, without touching its index: a copy of the index
 * gets `git add -A`, and the diff is taken from that copy.
 */
export async function diffStat(worktree: string, base: string): Promise<DiffStat> {
  const tmp = mkdtempSync(join(tmpdir(), 'hive-index-'));
  try {
    const index = join(tmp, 'index');
    try {
      copyFileSync(join(await gitDir(worktree), 'index'), index);
    } catch {
      // no index yet: start from HEAD's tree
      await git(worktree, ['read-tree', 'HEAD'], { GIT_INDEX_FILE: index });
    }
    await git(worktree, ['add', '-A', '--', '.'], { GIT_INDEX_FILE: index });
    const out = await git(worktree, ['diff', '--cached', '--shortstat', base, '--'], { GIT_INDEX_FILE: index });
    return parseShortStat(out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** ` 3 files changed, 10 insertions(+), 2 deletions(-)` (parts absent when zero; empty when nothing changed). */
export function parseShortStat(out: string): DiffStat {
  const n = (re: RegExp): number => Number(re.exec(out)?.[1] ?? 0);
  return { filesChanged: n(/(\d+) files? changed/), insertions: n(/(\d+) insertions?\(\+\)/), deletions: n(/(\d+) deletions?\(-\)/) };
}

/** Whether the work tree has uncommitted changes (tracked, or untracked files that are not ignored). */
export async function isDirty(worktree: string): Promise<boolean> {
  return (await git(worktree, ['status', '--porcelain', '--untracked-files=normal'])).trim() !== '';
}

export async function countCommits(repo: string, from: string, to: string): Promise<number> {
  return Number((await git(repo, ['rev-list', '--count', `${from}..${to}`])).trim()) || 0;
}
