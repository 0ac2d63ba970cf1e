import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, realpathSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { HiveError, fieldError } from '../core/errors.js';
import type { AgentSpec } from '../core/store.js';
import type { Agent } from '../core/types.js';
import {
  DEFAULT_CLEANUP,
  defaultWorktreeRoot,
  isBranchName,
  workspaceOf,
  workspacePlace,
  type PreparedWorkspace,
  type WorkspacePort,
  type WorkspaceReport,
  type WorkspaceRequest,
  type WorkspaceSpec,
  type WorktreeEntry,
} from '../core/workspace.js';
import { ensureDir } from '../fs/dirs.js';
import { killProcessGroup } from '../runtimes/process.js';
import { branchExists, commitOf, countCommits, currentBranch, diffStat, git, gitDir, gitMaybe, isDirty, isValidBranchName, topLevel } from './git.js';

export interface WorkspaceManagerOptions {
  dataDir: string;
  /** Directories workspaces and workdirs must be in (absolute); null: no restriction. The data dir is always allowed. */
  roots: readonly string[] | null;
  /** The environment the setup command starts from (the agents' allow-listed base environment). */
  baseEnv: Record<string, string>;
  /** After SIGTERM, how long a setup command's process group gets before SIGKILL. */
  killGraceMs: number;
}

/** What Hive writes next to a worktree's git metadata (`<repo>/.git/worktrees/<name>/hive.json`). */
interface WorktreeMeta {
  version: 1;
  dataDir: string;
  agent: string;
  taskId: number;
  repo: string;
  branch: string;
  base: string;
  baseCommit: string;
  createdAt: number;
}

const META_FILE = 'hive.json';
const SETUP_MARKER = 'hive-setup-done';
const SETUP_TAIL_CHARS = 2_000;
const INCLUDE_FILE = '.worktreeinclude';

/** The real path of `p`, or of its nearest existing ancestor with the rest appended (symlinks cannot escape a root). */
function realish(p: string): string {
  const abs = resolve(p);
  let head = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...rest.reverse());
    } catch {
      const up = dirname(head);
      if (up === head) return abs;
      rest.push(head.slice(up.length).replace(/^\/+/, ''));
      head = up;
    }
  }
}

/** `p` is `root` or inside it. */
function inside(p: string, root: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

const short = (sha: string): string => sha.slice(0, 12);

function appendLog(logPath: string | null, text: string): void {
  if (logPath === null) return;
  try {
    ensureDir(dirname(logPath));
    appendFileSync(logPath, text);
  } catch {
    // a log that cannot be written must not fail the attempt
  }
}

/**
 * The git workspaces of agents (the WorkspacePort adapter): a worktree per task on its own branch, or the
 * repository itself for one writer. Operations that change a repository's worktree list run one at a time per
 * repository in this process; the setup command runs outside that lock.
 */
export class WorkspaceManager implements WorkspacePort {
  private readonly repoLocks = new Map<string, Promise<unknown>>();
  /** Shared repositories in use: real path → task id (the single writer, within this process). */
  private readonly sharedBusy = new Map<string, number>();

  constructor(private readonly opts: WorkspaceManagerOptions) {}

  private withRepoLock<T>(repo: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.repoLocks.get(repo) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    const tail = next.catch(() => undefined);
    this.repoLocks.set(repo, tail);
    void tail.then(() => {
      if (this.repoLocks.get(repo) === tail) this.repoLocks.delete(repo);
    });
    return next;
  }

  // ------------------------------------------------------------------ registration

  async check(spec: AgentSpec, others: readonly Agent[]): Promise<void> {
    const ws = workspaceOf(spec);
    if (this.opts.roots !== null) {
      const allowed = [...this.opts.roots, this.opts.dataDir].map(realish);
      const paths: [string, string | null | undefined][] = [['workdir', spec.workdir], ['workspace.repo', ws?.repo], ['workspace.root', ws?.root]];
      for (const [field, p] of paths) {
        if (!p) continue;
        if (!allowed.some((r) => inside(realish(p), r))) {
          throw fieldError(field, `${p} is outside the allowed workspace roots (${allowed.join(', ')})`, `invalid agent ${spec.name}: ${field}: ${p} is outside the allowed workspace roots (${allowed.join(', ')}); add a root to workspace_roots in hive.yaml`);
        }
      }
    }
    if (ws) {
      const top = await topLevel(ws.repo).catch((err: unknown) => {
        throw fieldError('workspace.repo', (err as Error).message, `invalid agent ${spec.name}: workspace.repo: ${(err as Error).message}`);
      });
      if (top === null) throw fieldError('workspace.repo', 'not a git repository', `invalid agent ${spec.name}: workspace.repo: ${ws.repo} is not a git repository (or does not exist); run git init there, or fix the path`);
      if (realish(ws.repo) !== realish(top)) throw fieldError('workspace.repo', 'not the top-level directory', `invalid agent ${spec.name}: workspace.repo: ${ws.repo} is inside the repository ${top}; give its top-level directory`);
      if (ws.mode === 'worktree') {
        const root = ws.root ?? defaultWorktreeRoot(this.opts.dataDir);
        if (inside(realish(root), realish(top))) throw fieldError('workspace.root', 'inside the repository', `invalid agent ${spec.name}: workspace.root: ${root} is inside the repository ${top}; worktrees go outside it`);
      }
    }
    const mine = this.places(spec);
    for (const o of others) {
      if (o.name === spec.name) continue;
      for (const a of mine) {
        for (const b of this.places(o)) {
          // an owned place (shared repository, worktree directory) overlaps anything of the other agent
          if ((a.owned || b.owned) && (inside(a.path, b.path) || inside(b.path, a.path))) {
            throw new HiveError('CONFLICT', `agent ${spec.name}: its ${a.what} ${a.path} overlaps the ${b.what} ${b.path} of agent ${o.name}; two agents cannot work in one repository or worktree (remove one, or give it its own)`, {
              details: { agent: spec.name, other: o.name, path: a.path, otherPath: b.path },
            });
          }
        }
      }
    }
  }

  /** The places an agent works in: `owned` ones (a shared repository, its worktree directory) admit no other agent. */
  private places(a: { name: string; workdir: string | null; runtime: AgentSpec['runtime']; workspace?: WorkspaceSpec | null }): { path: string; what: string; owned: boolean }[] {
    const ws = workspaceOf(a);
    const out: { path: string; what: string; owned: boolean }[] = [];
    if (a.workdir) out.push({ path: realish(a.workdir), what: 'workdir', owned: false });
    if (ws?.mode === 'shared') out.push({ path: realish(ws.repo), what: 'shared repository', owned: true });
    if (ws?.mode === 'worktree') out.push({ path: realish(join(ws.root ?? defaultWorktreeRoot(this.opts.dataDir), a.name)), what: 'worktree directory', owned: true });
    return out;
  }

  // ------------------------------------------------------------------ attempts

  async prepare(req: WorkspaceRequest): Promise<PreparedWorkspace> {
    const ws = workspaceOf(req.agent);
    if (!ws) throw new HiveError('INTERNAL', `agent ${req.agent.name} has no workspace`);
    const repo = await topLevel(ws.repo).catch(() => null);
    if (repo === null) throw new HiveError('WORKSPACE_FAILED', `${ws.repo} is not a git repository (any more)`);
    return ws.mode === 'shared' ? this.prepareShared(ws, repo, req) : this.prepareWorktree(ws, repo, req);
  }

  private async prepareShared(ws: WorkspaceSpec, repo: string, req: WorkspaceRequest): Promise<PreparedWorkspace> {
    const key = realish(repo);
    const holder = this.sharedBusy.get(key);
    if (holder !== undefined && holder !== req.task.id) throw new HiveError('WORKSPACE_FAILED', `the repository ${repo} is in use by task ${holder}; a shared workspace has one writer`);
    this.sharedBusy.set(key, req.task.id);
    try {
      const baseCommit = await commitOf(repo, 'HEAD');
      if (!baseCommit) throw new HiveError('WORKSPACE_FAILED', `the repository ${repo} has no commit yet; commit something first`);
      const branch = await currentBranch(repo);
      const prep = this.prepared(ws, req, { repo, workdir: repo, branch, base: branch ?? baseCommit, baseCommit, created: false });
      appendLog(req.logPath, `hive: workspace: shared repository ${repo} on ${branch ?? `detached ${short(baseCommit)}`}\n`);
      await this.setupOnce(ws, await gitDir(repo), prep, req);
      return prep;
    } catch (err) {
      this.sharedBusy.delete(key);
      throw err;
    }
  }

  private async prepareWorktree(ws: WorkspaceSpec, repo: string, req: WorkspaceRequest): Promise<PreparedWorkspace> {
    const { agent, task } = req;
    const { worktree, branch } = workspacePlace(ws, agent.name, task.id, this.opts.dataDir);
    const fail = (message: string, cause?: unknown): HiveError => new HiveError('WORKSPACE_FAILED', message, cause === undefined ? {} : { cause });
    if (!branch || !isBranchName(branch) || !(await isValidBranchName(repo, branch))) throw fail(`${JSON.stringify(branch)} is not a valid git branch name (workspace.branch)`);
    const meta = await this.withRepoLock(repo, async (): Promise<{ meta: WorktreeMeta; created: boolean }> => {
      if (req.signal.aborted) throw req.signal.reason;
      if (existsSync(worktree)) {
        const m = readMeta(worktree) ?? (await this.adopt(worktree, repo, branch, ws, req));
        if (!m || m.dataDir !== this.opts.dataDir || m.taskId !== task.id || m.agent !== agent.name) {
          const whose = m ? ` (it is the worktree of task ${m.taskId} of agent ${m.agent}${m.dataDir !== this.opts.dataDir ? ` of the data directory ${m.dataDir}` : ''})` : '';
          throw fail(`${worktree} exists and is not the worktree of task ${task.id} of agent ${agent.name}${whose}; two agents cannot share a worktree: remove it, or run hive worktree prune`);
        }
        appendLog(req.logPath, `hive: workspace: reusing the worktree ${worktree} on branch ${m.branch} (base ${m.base} at ${short(m.baseCommit)})\n`);
        return { meta: m, created: false };
      }
      // a worktree directory deleted by hand leaves git metadata that holds its branch: clear it
      await git(repo, ['worktree', 'prune']).catch(() => undefined);
      const base = ws.base ?? (await currentBranch(repo)) ?? 'HEAD';
      const baseCommit = await commitOf(repo, base);
      if (!baseCommit) throw fail(`the base ${base} is not a commit of ${repo}${ws.base ? ' (workspace.base)' : ' (the repository has no commit yet?)'}`);
      let start = baseCommit;
      try {
        ensureDir(dirname(worktree));
        if (await branchExists(repo, branch)) {
          // the task's branch exists (its worktree was removed): its work goes on there
          await git(repo, ['worktree', 'add', worktree, branch]);
          start = (await gitMaybe(repo, ['merge-base', baseCommit, branch]))?.trim() || baseCommit;
        } else {
          await git(repo, ['worktree', 'add', '-b', branch, worktree, baseCommit]);
        }
      } catch (err) {
        throw fail(`cannot create the worktree ${worktree} on branch ${branch}: ${(err as Error).message}`, err);
      }
      const m: WorktreeMeta = { version: 1, dataDir: this.opts.dataDir, agent: agent.name, taskId: task.id, repo, branch, base, baseCommit: start, createdAt: Date.now() };
      try {
        writeFileSync(join(await gitDir(worktree), META_FILE), `${JSON.stringify(m, null, 2)}\n`);
        const copied = copyIncludes(repo, worktree);
        appendLog(req.logPath, `hive: workspace: created the worktree ${worktree} on branch ${branch} from ${base} (${short(start)})${copied.length ? `; copied ${copied.join(', ')}` : ''}\n`);
      } catch (err) {
        await git(repo, ['worktree', 'remove', '--force', worktree]).catch(() => rmSync(worktree, { recursive: true, force: true }));
        throw err instanceof HiveError ? err : fail(`cannot set up the worktree ${worktree}: ${(err as Error).message}`, err);
      }
      return { meta: m, created: true };
    });
    const prep = this.prepared(ws, req, { repo, workdir: worktree, branch: meta.meta.branch, base: meta.meta.base, baseCommit: meta.meta.baseCommit, created: meta.created });
    await this.setupOnce(ws, await gitDir(worktree), prep, req);
    return prep;
  }

  /**
   * A worktree of `repo` on the task's branch whose metadata is missing (Hive stopped between `git worktree add`
   * and writing it): its metadata is written now, so the task goes on in it. Anything else: null.
   */
  private async adopt(worktree: string, repo: string, branch: string, ws: WorkspaceSpec, req: WorkspaceRequest): Promise<WorktreeMeta | null> {
    const admin = adminDirOf(worktree);
    if (!admin || !existsSync(admin) || !inside(realish(admin), realish(join(await gitDir(repo), 'worktrees')))) return null;
    if ((await currentBranch(worktree).catch(() => null)) !== branch) return null;
    const base = ws.base ?? (await currentBranch(repo)) ?? 'HEAD';
    const baseCommit = (await commitOf(repo, base)) ?? (await commitOf(repo, branch));
    if (!baseCommit) return null;
    const start = (await gitMaybe(repo, ['merge-base', baseCommit, branch]))?.trim() || baseCommit;
    const m: WorktreeMeta = { version: 1, dataDir: this.opts.dataDir, agent: req.agent.name, taskId: req.task.id, repo, branch, base, baseCommit: start, createdAt: Date.now() };
    writeFileSync(join(admin, META_FILE), `${JSON.stringify(m, null, 2)}\n`);
    return m;
  }

  private prepared(ws: WorkspaceSpec, req: WorkspaceRequest, p: Pick<PreparedWorkspace, 'repo' | 'workdir' | 'branch' | 'base' | 'baseCommit' | 'created'>): PreparedWorkspace {
    return {
      mode: ws.mode,
      agent: req.agent.name,
      taskId: req.task.id,
      ...p,
      env: { HIVE_WORKTREE: p.workdir, HIVE_BRANCH: p.branch ?? '', HIVE_BASE_COMMIT: p.baseCommit },
      cleanup: ws.cleanup ?? DEFAULT_CLEANUP,
      logPath: req.logPath,
    };
  }

  /** Runs the setup command once per worktree (the marker lives in its git directory); a failure fails the attempt. */
  private async setupOnce(ws: WorkspaceSpec, adminDir: string, prep: PreparedWorkspace, req: WorkspaceRequest): Promise<void> {
    if (req.signal.aborted) throw req.signal.reason;
    if (!ws.setup) return;
    const marker = join(adminDir, prep.mode === 'shared' ? `${SETUP_MARKER}-${req.agent.name}` : SETUP_MARKER);
    if (existsSync(marker)) return;
    appendLog(req.logPath, `hive: workspace: setup: ${ws.setup}\n`);
    const env = { ...this.opts.baseEnv, ...req.agent.env, ...req.env, ...prep.env };
    const r = await runSetup(ws.setup, prep.workdir, env, req.logPath, req.timeoutMs, this.opts.killGraceMs, req.signal);
    if (req.signal.aborted) throw req.signal.reason;
    if (!r.ok) {
      const tail = r.tail.trim().split('\n').slice(-5).join(' | ');
      appendLog(req.logPath, `hive: workspace: setup failed: ${r.why}\n`);
      throw new HiveError('WORKSPACE_FAILED', `setup command failed (${r.why}) in ${prep.workdir}${tail ? `: ${tail}` : ''}`);
    }
    writeFileSync(marker, `${new Date().toISOString()}\n`);
  }

  async finish(prep: PreparedWorkspace, ok: boolean): Promise<WorkspaceReport> {
    const report: WorkspaceReport = {
      mode: prep.mode,
      worktree: prep.workdir,
      branch: prep.branch,
      base: prep.base,
      baseCommit: prep.baseCommit,
      head: null,
      commits: 0,
      diffStat: '',
      filesChanged: 0,
      insertions: 0,
      deletions: 0,
      dirty: false,
      removed: false,
    };
    try {
      report.head = await commitOf(prep.workdir, 'HEAD');
      if (report.head) report.commits = await countCommits(prep.workdir, prep.baseCommit, report.head);
      Object.assign(report, await diffStat(prep.workdir, prep.baseCommit));
      report.dirty = await isDirty(prep.workdir);
      if (prep.mode === 'shared') report.branch = await currentBranch(prep.repo);
    } catch (err) {
      report.note = `could not read the workspace: ${(err as Error).message}`;
    }
    report.diffStat = `${report.filesChanged} file${report.filesChanged === 1 ? '' : 's'} changed, +${report.insertions} -${report.deletions}`;
    if (prep.mode === 'shared') {
      const key = realish(prep.repo);
      if (this.sharedBusy.get(key) === prep.taskId) this.sharedBusy.delete(key);
    } else {
      const wanted = prep.cleanup === 'always' || (prep.cleanup === 'on_success' && ok);
      if (wanted && prep.cleanup === 'on_success' && report.dirty) {
        report.note = 'worktree kept: it holds uncommitted changes (commit them on the branch, or remove it with hive worktree prune once the task is done)';
      } else if (wanted) {
        try {
          await this.withRepoLock(prep.repo, () => git(prep.repo, ['worktree', 'remove', '--force', prep.workdir]));
          report.removed = true;
          removeEmptyDir(dirname(prep.workdir));
        } catch (err) {
          report.note = `could not remove the worktree: ${(err as Error).message}`;
        }
      }
    }
    appendLog(
      prep.logPath,
      `hive: workspace: ${report.branch ? `branch ${report.branch}, ` : ''}${report.diffStat} against ${short(prep.baseCommit)}, ${report.commits} commit(s)${report.dirty ? ', uncommitted changes' : ''}${report.removed ? '; worktree removed' : ''}${report.note ? `; ${report.note}` : ''}\n`,
    );
    return report;
  }

  // ------------------------------------------------------------------ orphans

  async list(agents: readonly Agent[]): Promise<WorktreeEntry[]> {
    const defaultRoot = defaultWorktreeRoot(this.opts.dataDir);
    const roots = new Set([defaultRoot]);
    for (const a of agents) {
      const ws = workspaceOf(a);
      if (ws?.mode === 'worktree' && ws.root) roots.add(normalize(ws.root));
    }
    const out: WorktreeEntry[] = [];
    for (const root of roots) {
      for (const agentDir of subdirs(root)) {
        for (const taskDir of subdirs(join(root, agentDir))) {
          if (!/^\d+$/.test(taskDir)) continue;
          const e = this.entry(join(root, agentDir, taskDir), agentDir, Number(taskDir), root === defaultRoot);
          if (e) out.push(e);
        }
      }
    }
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }

  /** The entry of a directory shaped `<root>/<agent>/<task>`: ours (by its metadata), or, under the default root, broken. */
  private entry(path: string, agent: string, taskId: number, ownRoot: boolean): WorktreeEntry | null {
    const m = readMeta(path);
    if (m) {
      if (m.dataDir !== this.opts.dataDir) return null; // another data directory's
      return { path, repo: m.repo, agent: m.agent, taskId: m.taskId, branch: m.branch, baseCommit: m.baseCommit, createdAt: m.createdAt };
    }
    if (!ownRoot) return null;
    const admin = adminDirOf(path);
    // <repo>/.git/worktrees/<name> → <repo>
    const repo = admin && /\/\.git\/worktrees\/[^/]+$/.test(admin) ? dirname(dirname(dirname(admin))) : null;
    const why = admin === null ? 'no .git file: not a git worktree' : !existsSync(admin) ? `its git metadata ${admin} is gone` : 'no hive metadata';
    return { path, repo: repo && existsSync(repo) ? repo : null, agent, taskId, branch: null, baseCommit: null, createdAt: null, broken: why };
  }

  async remove(entry: WorktreeEntry): Promise<void> {
    const { repo, path } = entry;
    if (repo && existsSync(repo)) {
      await this.withRepoLock(repo, async () => {
        if (existsSync(path)) await git(repo, ['worktree', 'remove', '--force', path]).catch(() => rmSync(path, { recursive: true, force: true }));
        await git(repo, ['worktree', 'prune']).catch(() => undefined);
      });
    } else rmSync(path, { recursive: true, force: true });
    removeEmptyDir(dirname(path));
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

function removeEmptyDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty, or gone
  }
}

/** The git directory a linked worktree's `.git` file points to, or null. */
function adminDirOf(worktree: string): string | null {
  try {
    const text = readFileSync(join(worktree, '.git'), 'utf8');
    const m = /^gitdir: (.+)$/m.exec(text);
    return m ? resolve(worktree, m[1].trim()) : null;
  } catch {
    return null;
  }
}

function readMeta(worktree: string): WorktreeMeta | null {
  const admin = adminDirOf(worktree);
  if (!admin) return null;
  try {
    const m = JSON.parse(readFileSync(join(admin, META_FILE), 'utf8')) as WorktreeMeta;
    return m && m.version === 1 && typeof m.taskId === 'number' ? m : null;
  } catch {
    return null;
  }
}

/**
 * Copies the paths listed in the repository's `.worktreeinclude` (one per line, relative, no globs; `#` comments)
 * into the new worktree, when they exist. A path that leaves the repository is refused.
 */
export function copyIncludes(repo: string, worktree: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(repo, INCLUDE_FILE), 'utf8');
  } catch {
    return [];
  }
  const copied: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const rel = line.replace(/^\.\/+/, '').replace(/\/+$/, '');
    const from = resolve(repo, rel);
    if (isAbsolute(line) || rel === '' || !inside(from, repo) || from === repo || rel.split(/[\\/]/).includes('.git')) {
      throw new HiveError('WORKSPACE_FAILED', `${join(repo, INCLUDE_FILE)} line ${i + 1}: ${JSON.stringify(line)} is not a path inside the repository`);
    }
    if (!existsSync(from)) return;
    const to = join(worktree, rel);
    ensureDir(dirname(to));
    cpSync(from, to, { recursive: statSync(from).isDirectory(), force: true, preserveTimestamps: true });
    copied.push(rel.split(sep).join('/'));
  });
  return copied;
}

/** Runs the setup command (`/bin/sh -c`) in its own process group; output goes to the attempt log. */
function runSetup(command: string, cwd: string, env: Record<string, string>, logPath: string | null, timeoutMs: number, graceMs: number, signal: AbortSignal): Promise<{ ok: boolean; why: string; tail: string }> {
  return new Promise((resolveRun) => {
    let tail = '';
    let stopped: string | null = null;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn('/bin/sh', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolveRun({ ok: false, why: `cannot start /bin/sh: ${(err as Error).message}`, tail: '' });
      return;
    }
    const onData = (chunk: Buffer): void => {
      appendLog(logPath, chunk.toString('utf8'));
      tail = (tail + chunk.toString('utf8')).slice(-SETUP_TAIL_CHARS);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (why: string): void => {
      if (stopped !== null || child.pid === undefined) return;
      stopped = why;
      killProcessGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killProcessGroup(child.pid!, 'SIGKILL'), graceMs);
    };
    const timer = timeoutMs > 0 ? setTimeout(() => stop(`timed out after ${timeoutMs} ms`), timeoutMs) : undefined;
    const onAbort = (): void => stop('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    let settled = false;
    const done = (r: { ok: boolean; why: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      signal.removeEventListener('abort', onAbort);
      child.stdout!.destroy();
      child.stderr!.destroy();
      resolveRun({ ...r, tail });
    };
    child.once('error', (err) => done({ ok: false, why: `cannot start /bin/sh: ${err.message}` }));
    child.once('exit', (code, sig) => {
      const r = stopped !== null ? { ok: false, why: stopped } : code === 0 ? { ok: true, why: '' } : { ok: false, why: sig ? `killed by ${sig}` : `exit code ${code}` };
      // the rest of the group (background children) dies with the leader; its output may still be in the pipes
      killProcessGroup(child.pid!, 'SIGKILL');
      const grace = setTimeout(() => done(r), 500);
      child.once('close', () => {
        clearTimeout(grace);
        done(r);
      });
    });
  });
}

