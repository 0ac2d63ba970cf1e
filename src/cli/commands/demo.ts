import type { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDuration } from '../../core/duration.js';
import { HiveError } from '../../core/errors.js';
import { isTerminal } from '../../core/task-state.js';
import type { Task } from '../../core/types.js';
import { FINAL_RUN_STATUSES } from '../../core/workflow.js';
import { createHive } from '../../index.js';
import { AGENT_SCRIPT } from '../demo/agent-script.js';
import { DEMO_WORKFLOW, demoAgents, demoTasks } from '../demo/plan.js';
import { describeEvent, printJson, table } from '../output.js';

const DEMO_TIMEOUT_MS = 60_000;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Hive Demo', GIT_AUTHOR_EMAIL: 'demo@hive.invalid', GIT_COMMITTER_NAME: 'Hive Demo', GIT_COMMITTER_EMAIL: 'demo@hive.invalid' } });
}

/** A temporary git repository with a package.json and the demo agent program. */
function makeRepo(root: string): { repo: string; script: string } {
  const repo = join(root, 'repo');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'calc', version: '0.0.0', type: 'module', private: true }, null, 2) + '\n');
  writeFileSync(join(repo, '.gitignore'), 'node_modules/\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'initial commit');
  const script = join(root, 'agent.mjs');
  writeFileSync(script, AGENT_SCRIPT);
  return { repo, script };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run a team of 4 command agents on 15 dependent tasks, then a workflow, in a temporary git repository (no network, no API keys)')
    .option('--json', 'print the summary as one JSON object (progress goes to stderr)')
    .option('--keep', 'keep the temporary repository and data directory')
    .action(async (o) => {
      const root = mkdtempSync(join(tmpdir(), 'hive-demo-'));
      const log = (line: string): void => void (o.json ? process.stderr : process.stdout).write(`${line}\n`);
      const { repo, script } = makeRepo(root);
      const hive = await createHive({ dataDir: join(root, '.hive'), pollMs: 20, killGraceMs: 2_000 });
      try {
        log(`hive demo: repository ${repo}`);
        for (const a of demoAgents(repo, script, process.execPath)) await hive.registerAgent(a);
        const statuses = new Map<number, string>();
        let resolveDone!: () => void;
        const done = new Promise<void>((r) => (resolveDone = r));
        const ids: number[] = [];
        let runId = 0;
        let resolveRun!: () => void;
        const runDone = new Promise<void>((r) => (resolveRun = r));
        await hive.subscribe((e) => {
          log(describeEvent(e));
          if (runId && e.subject === `run:${runId}` && ['run.completed', 'run.failed', 'run.cancelled'].includes(e.type)) resolveRun();
          if (!e.subject.startsWith('task:')) return;
          const id = Number(e.subject.slice(5));
          const s = e.type === 'task.completed' ? 'completed' : e.type === 'task.dead' ? 'dead' : e.type === 'task.cancelled' ? 'cancelled' : null;
          if (s) statuses.set(id, s);
          if (ids.length && ids.every((i) => statuses.has(i))) resolveDone();
        });
        const started = Date.now();
        await hive.start();
        ids.push(...(await hive.submit(demoTasks())).map((r) => r.task.id));
        const timer = setTimeout(resolveDone, DEMO_TIMEOUT_MS);
        await done;
        clearTimeout(timer);
        // then the same team runs a workflow: plan → parallel work → tests → review or fix → commit
        await hive.workflows.define(DEMO_WORKFLOW);
        runId = (await hive.workflows.execute(DEMO_WORKFLOW.name, {})).id;
        const runTimer = setTimeout(resolveRun, DEMO_TIMEOUT_MS);
        if (FINAL_RUN_STATUSES.includes((await hive.workflows.getRun(runId)).status)) resolveRun();
        await runDone;
        clearTimeout(runTimer);
        await hive.stop({ drainMs: 0 });
        const elapsed = Date.now() - started;
        const run = await hive.workflows.getRun(runId);

        const tasks: Task[] = await Promise.all(ids.map((id) => hive.getTask(id)));
        const agents = await hive.listAgents();
        const commits = git(repo, 'log', '--oneline').trim().split('\n').length;
        const summary = {
          tasks: tasks.map((t) => ({ id: t.id, title: t.title, status: t.status, agent: t.agent, attempts: t.attempts, durationMs: t.startedAt && t.finishedAt ? t.finishedAt - t.startedAt : null, priority: t.priority })),
          agents: agents.map((a) => ({ name: a.name, done: a.done, failed: a.failed })),
          elapsedMs: elapsed,
          repository: { path: o.keep ? repo : null, commits },
          workflow: { run: run.id, workflow: run.workflow, status: run.status, steps: run.steps!.map((s) => ({ name: s.name, status: s.status, tasks: s.taskIds.length })) },
        };
        if (o.json) printJson(summary);
        else {
          log('');
          log(table(summary.tasks.map((t) => ({ ...t, duration: t.durationMs === null ? null : formatDuration(t.durationMs) })), ['id', 'status', 'agent', 'attempts', 'duration', 'priority', 'title']));
          log('');
          log(table(summary.agents, ['name', 'done', 'failed']));
          log('');
          log(table(summary.workflow.steps, ['name', 'status', 'tasks']));
          log('');
          log(`${tasks.filter((t) => t.status === 'completed').length}/${tasks.length} tasks completed, workflow run ${run.id} (${run.workflow}) ${run.status}, in ${formatDuration(elapsed)}; the repository has ${commits} commits${o.keep ? ` (${repo})` : ''}`);
        }
        const bad = tasks.filter((t) => t.status !== 'completed');
        if (run.status !== 'completed') throw new HiveError('TASK_FAILED', `the demo workflow run ${run.id} ended ${run.status}: ${run.error ?? 'timed out'}`);
        if (bad.length) throw new HiveError('TASK_FAILED', `${bad.length} demo task(s) did not complete: ${bad.map((t) => `${t.id} ${t.status}${isTerminal(t.status) ? '' : ' (timed out)'}`).join(', ')}`);
      } finally {
        await hive.close({ drainMs: 0 });
        if (!o.keep) rmSync(root, { recursive: true, force: true });
      }
    });
}
