import type { Command } from 'commander';
import { HiveError, fieldError } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import { parseRunStatusList, runJson, workflowJson } from '../../core/present-workflow.js';
import { FINAL_RUN_STATUSES, type RunStep, type WorkflowRun } from '../../core/workflow.js';
import type { HiveClient } from '../client.js';
import { readDefinitionFile } from '../config.js';
import { collect, parseId, parseInputs, parseIntFlag, withClient, globals } from '../context.js';
import { drawRun } from '../dag-view.js';
import { printJson, runRow, table, workflowRow } from '../output.js';

/** The fan-out (for_each) steps of a run, each with its completed items (the drawing shows items done/total). */
async function fanOut(hive: HiveClient, run: WorkflowRun): Promise<Map<string, number>> {
  const wf = await hive.getWorkflow(run.workflow, run.version);
  const done = new Map<string, number>();
  for (const s of run.steps ?? []) {
    if (!wf.steps[s.name]?.forEach) continue;
    if (s.status === 'completed' || s.taskIds.length === 0) done.set(s.name, s.status === 'completed' ? (s.items ?? 0) : 0);
    else done.set(s.name, (await Promise.all(s.taskIds.map((id) => hive.getTask(id)))).filter((t) => t.status === 'completed').length);
  }
  return done;
}

const time = (ms: number): string => new Date(ms).toISOString().slice(11, 23);

function stepLine(s: RunStep, now: number): string {
  const on = s.agents.length ? ` on ${s.agents.join(', ')}` : '';
  const took = s.startedAt !== null && s.finishedAt !== null ? ` in ${formatDuration(s.finishedAt - s.startedAt)}` : '';
  switch (s.status) {
    case 'running':
      return `${time(now)} step ${s.name} running (task${s.taskIds.length === 1 ? '' : 's'} ${s.taskIds.join(', ') || '-'})`;
    case 'completed':
      return `${time(now)} step ${s.name} completed${on}${took}`;
    default:
      return `${time(now)} step ${s.name} ${s.status}${s.reason ? `: ${s.reason}` : ''}`;
  }
}

/**
 * Follows a run until it is final: a line per step change (and per change of the run's own status) on `out`.
 * On a data directory, stops with an error if the `hive up` running it goes away.
 */
async function follow(hive: HiveClient, run: WorkflowRun, out: (line: string) => void): Promise<WorkflowRun> {
  const seen = new Map<string, string>((run.steps ?? []).map((s) => [s.name, 'pending']));
  let status = 'running';
  let checked = Date.now();
  for (;;) {
    const now = Date.now();
    for (const s of run.steps ?? []) {
      if (seen.get(s.name) === s.status) continue;
      seen.set(s.name, s.status);
      out(stepLine(s, now));
    }
    if (FINAL_RUN_STATUSES.includes(run.status)) return run;
    if (run.status !== status) out(`${time(now)} run ${run.id} ${(status = run.status)}`);
    if (now - checked > 2_000) {
      checked = now;
      if (!(await hive.orchestratorRunning())) throw new HiveError('STORE_UNAVAILABLE', `the hive up running workflow run ${run.id} stopped; the run goes on at the next hive up (follow it with hive workflow status ${run.id})`);
    }
    await new Promise((r) => setTimeout(r, 200));
    run = await hive.getRun(run.id);
  }
}

export function registerWorkflowCommands(program: Command): void {
  const wf = program.command('workflow').description('define workflows (DAGs of steps), run them, follow and control their runs');

  wf
    .command('add <file>')
    .description('define a workflow from a YAML or JSON file (a new version unless it matches an existing one)')
    .option('--json', 'print { workflow, created }')
    .action(async (file: string, o, cmd: Command) => {
      const doc = readDefinitionFile(file, 'VALIDATION_FAILED');
      await withClient(globals(cmd), async (hive) => {
        const { workflow, created } = await hive.defineWorkflow(doc);
        if (o.json) printJson({ workflow: workflowJson(workflow), created });
        else process.stdout.write(`workflow ${workflow.name} version ${workflow.version} ${created ? 'created' : 'unchanged'}\n`);
      });
    });

  wf
    .command('list')
    .description('list workflows (the latest version of each)')
    .option('--json', 'print a JSON array')
    .action(async (o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const all = await hive.listWorkflows();
        if (o.json) printJson(all.map(workflowJson));
        else process.stdout.write(all.length ? `${table(all.map(workflowRow), ['name', 'version', 'versions', 'steps', 'inputs', 'description'])}\n` : 'no workflows\n');
      });
    });

  wf
    .command('show <name>')
    .description('one workflow definition: its inputs and steps')
    .option('--version <n>', 'this version (default: the latest)')
    .option('--json', 'print JSON')
    .action(async (name: string, o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const w = await hive.getWorkflow(name, parseIntFlag(o.version, 'version', 1, 1_000_000));
        if (o.json) return printJson(workflowJson(w));
        const inputs = Object.entries(w.inputs).map(([k, i]) => `${k} (${i.type}${i.required ? ', required' : ''}${i.default !== undefined ? `, default ${JSON.stringify(i.default)}` : ''})`);
        const lines = [
          `workflow ${w.name} version ${w.version}`,
          ...(w.description ? [`  description  ${w.description}`] : []),
          `  inputs       ${inputs.join(', ') || '-'}`,
          `  created      ${new Date(w.createdAt).toISOString()}`,
          '',
          table(
            Object.entries(w.steps).map(([n, s]) => ({ step: n, needs: s.needs.join(',') || null, caps: s.capabilities.join(',') || null, agent: s.agent, if: s.if, for_each: s.forEach })),
            ['step', 'needs', 'caps', 'agent', 'if', 'for_each'],
          ),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });

  wf
    .command('run <name>')
    .description('run a workflow; prints the run id (--wait: follows it to the end, exit 0 only if it completed)')
    .option('--input <name=value>', 'an input, as a string (numbers and booleans are converted by its declared type; repeatable)', collect, [])
    .option('--input-json <name=json>', 'an input given as JSON (repeatable)', collect, [])
    .option('--version <n>', 'run this version (default: the latest)')
    .option('--wait', 'follow the run until it ends: a line per step change; needs a running hive up (or --server)')
    .option('--json', 'print the run as JSON (with --wait: the final run; step lines go to stderr)')
    .action(async (name: string, o, cmd: Command) => {
      const inputs = parseInputs(o.input, o.inputJson);
      const version = parseIntFlag(o.version, 'version', 1, 1_000_000);
      await withClient(globals(cmd), async (hive) => {
        if (o.wait && !(await hive.orchestratorRunning())) {
          throw fieldError('wait', 'needs a running hive up', `--wait needs a running hive up on ${hive.where} to run the workflow; start one (hive up) or give --server (without --wait the run is created and starts with the next hive up)`);
        }
        const created = await hive.executeWorkflow(name, inputs, version);
        if (!o.wait) {
          if (o.json) printJson(runJson(created));
          else process.stdout.write(`${created.id}\n`);
          return;
        }
        const say = (line: string): void => void (o.json ? process.stderr : process.stdout).write(`${line}\n`);
        say(`run ${created.id} of ${created.workflow}@${created.version} started`);
        const run = await follow(hive, created, say);
        if (o.json) printJson(runJson(run));
        say(`run ${run.id} ${run.status} in ${formatDuration((run.finishedAt ?? Date.now()) - run.createdAt)}${run.error ? `: ${run.error}` : ''}`);
        if (run.status === 'failed') throw new HiveError('TASK_FAILED', `workflow run ${run.id} failed: ${run.error ?? 'a step failed'}`, { details: { runId: run.id } });
        if (run.status === 'cancelled') throw new HiveError('CANCELLED', `workflow run ${run.id} cancelled: ${run.error ?? 'cancelled'}`, { details: { runId: run.id } });
      });
    });

  wf
    .command('runs')
    .description('list workflow runs, newest first')
    .option('--status <list>', 'comma-separated: running, paused, completed, failed, cancelled')
    .option('--workflow <name>', 'only runs of this workflow')
    .option('--before-id <id>', 'cursor: runs with a smaller id')
    .option('--limit <n>', 'at most n runs, 1-1000 (default 100)')
    .option('--json', 'print a JSON array (runs without their steps)')
    .action(async (o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const runs = await hive.listRuns({
          status: parseRunStatusList(o.status, '--status'),
          workflow: o.workflow,
          beforeId: o.beforeId ? parseId(o.beforeId, '--before-id') : undefined,
          limit: parseIntFlag(o.limit, 'limit', 1, 1000) ?? 100,
        });
        if (o.json) printJson(runs.map(runJson));
        else process.stdout.write(runs.length ? `${table(runs.map(runRow), ['id', 'workflow', 'status', 'steps', 'created', 'duration', 'error'])}\n` : 'no workflow runs\n');
      });
    });

  wf
    .command('status <run>')
    .description('a run: its DAG of steps with status, agent, duration and fan-out progress')
    .option('--json', 'print the run with its steps as JSON')
    .action(async (id: string, o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const run = await hive.getRun(parseId(id, 'run id'));
        if (o.json) return printJson(runJson(run));
        process.stdout.write(`${drawRun(run, Date.now(), await fanOut(hive, run))}\n`);
      });
    });

  const control = (verb: 'pause' | 'resume' | 'retry', description: string): void => {
    wf
      .command(`${verb} <run>`)
      .description(description)
      .action(async (id: string, _o, cmd: Command) => {
        await withClient(globals(cmd), async (hive) => {
          const runId = parseId(id, 'run id');
          const run = verb === 'pause' ? await hive.pauseRun(runId) : verb === 'resume' ? await hive.resumeRun(runId) : await hive.retryRun(runId);
          process.stdout.write(`run ${run.id} ${run.status}\n`);
        });
      });
  };
  control('pause', 'pause a running run: running steps finish, nothing new starts');
  control('resume', 'resume a paused run');

  wf
    .command('cancel <run>')
    .description('cancel a running or paused run: open steps are cancelled, running attempts killed')
    .option('--reason <text>', 'why', 'cancelled by user')
    .action(async (id: string, o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const run = await hive.cancelRun(parseId(id, 'run id'), o.reason);
        process.stdout.write(`run ${run.id} ${run.status}\n`);
      });
    });

  control('retry', 'run the failed and cancelled steps of a failed or cancelled run again');
}
