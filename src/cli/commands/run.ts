import type { Command } from 'commander';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { formatDuration } from '../../core/duration.js';
import { HiveError, fieldError } from '../../core/errors.js';
import { runJson } from '../../core/present-workflow.js';
import type { AgentSpec } from '../../core/store.js';
import type { HiveEvent } from '../../core/types.js';
import { FINAL_RUN_STATUSES, type WorkflowRun, type WorkflowSpec } from '../../core/workflow.js';
import { parseWorkflowDefinition } from '../../core/workflow-def.js';
import type { Orchestrator } from '../../engine/orchestrator.js';
import { createHive } from '../../index.js';
import { scriptedAgent } from '../../model-server/clients.js';
import { createModelServer, loadScript, type ModelServer, type Script } from '../../model-server/index.js';
import { findProcessesWithEnv } from '../../runtimes/process.js';
import { checkWorkflows, fromWorkflow, loadConfig, readDefinitionFile, type ConfiguredWorkflow } from '../config.js';
import { collect, globals, parseDurationFlag, parseInputs, parseIntFlag } from '../context.js';
import { drawRun } from '../dag-view.js';
import { describeEvent, printJson, table } from '../output.js';

/**
 * `hive run WORKFLOW --scripted-model FILE`: a dry run. One process opens a temporary data directory, starts the
 * scripted model server (docs/model-server.md) in-process, registers the agents of hive.yaml with every Claude
 * Code, Codex and Gemini CLI agent pointed at that server (scriptedAgent()), runs the workflow with the real CLIs
 * in the agents' working directories, prints the run's progress, its DAG and a summary, and removes what it
 * created. Offline, free and deterministic: the script decides every answer of the "model".
 *
 * Without --scripted-model it refuses (VALIDATION_FAILED): the real run is `hive workflow run NAME --wait` against
 * a running `hive up`, which owns the real queue. See docs/cli.md (`hive run`).
 */

const DEFAULT_TIMEOUT_MS = 30 * 60_000;

const holds = (a: AgentSpec, cap: string): boolean => a.capabilities.includes(cap) || cap === `agent:${a.name}`;

/**
 * Every step of the workflow must have an agent in the dry run: one that holds all its capabilities (and is the
 * pinned agent, if any) and is not left out. A step only Aider agents could run, or no agent at all, is refused
 * before anything starts: in a real hive the task would wait in the queue; here the run would never end.
 */
function checkRouting(doc: unknown, source: ConfiguredWorkflow, all: AgentSpec[], left: AgentSpec[]): WorkflowSpec {
  let spec: WorkflowSpec;
  try {
    spec = parseWorkflowDefinition(doc).spec;
  } catch (err) {
    throw fromWorkflow(source, err);
  }
  const issues: { path: string; message: string }[] = [];
  for (const [name, step] of Object.entries(spec.steps)) {
    const caps = [...step.capabilities, ...(step.agent ? [`agent:${step.agent}`] : [])];
    const fits = all.filter((a) => caps.every((c) => holds(a, c)));
    if (fits.some((a) => !left.includes(a))) continue;
    const what = caps.length ? `capabilities ${caps.join(', ')}` : 'any capability';
    issues.push({
      path: `steps.${name}`,
      message: fits.length
        ? `only ${fits.map((a) => `${a.name} (runtime ${a.runtime.kind})`).join(', ')} can run it, and a dry run leaves ${fits.length === 1 ? 'it' : 'them'} out: aider cannot be pointed at the scripted model server`
        : `no agent in the configuration has ${what}`,
    });
  }
  if (issues.length) {
    const first = issues[0];
    throw new HiveError('VALIDATION_FAILED', `${source.source}: workflow ${spec.name}: ${first.path}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, { details: { issues, source: source.source } });
  }
  return spec;
}

/** Waits until the run is final, `ms` passed (timedOut), or `stop` resolved; returns the run as it then is. */
async function waitRun(hive: Orchestrator, id: number, ms: number, stop: Promise<void>): Promise<{ run: WorkflowRun; timedOut: boolean }> {
  const deadline = Date.now() + ms;
  let wake: () => void = () => undefined;
  let stopped = false;
  void stop.then(() => {
    stopped = true;
    wake();
  });
  const unsubscribe = await hive.subscribe((e) => {
    if (e.subject === `run:${id}` && ['run.completed', 'run.failed', 'run.cancelled'].includes(e.type)) wake();
  });
  try {
    for (;;) {
      const run = await hive.workflows.getRun(id);
      if (FINAL_RUN_STATUSES.includes(run.status) || stopped) return { run, timedOut: false };
      const left = deadline - Date.now();
      if (left <= 0) return { run, timedOut: true };
      // the event wakes it at once; the poll covers an event that came before `wake` was set
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1_000));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    unsubscribe();
  }
}

/** loadScript(), its errors naming this command's flag. */
function scriptFile(file: string): Script {
  try {
    return loadScript(file);
  } catch (err) {
    if (err instanceof HiveError && err.message.startsWith('--script:')) throw new HiveError(err.code, `--scripted-model:${err.message.slice('--script:'.length)}`, { details: err.details, cause: err });
    throw err;
  }
}

const usd = (n: number): string => (n ? `$${n < 0.01 ? n.toFixed(6) : n.toFixed(4)}` : '-');

export function registerRun(program: Command): void {
  program
    .command('run <workflow>')
    .description('dry run: run a workflow of hive.yaml with the real coding-agent CLIs against a scripted model (offline, free), in a temporary data directory')
    .option('--scripted-model <file>', 'the model-server script the CLIs get their answers from (YAML or JSON; docs/model-server.md); required')
    .option('--input <name=value>', 'an input, as a string (numbers and booleans are converted by its declared type; repeatable)', collect, [])
    .option('--input-json <name=json>', 'an input given as JSON (repeatable)', collect, [])
    .option('--file <file>', 'also define the workflow(s) in this YAML or JSON file, after those of hive.yaml (repeatable)', collect, [])
    .option('--version <n>', 'run this version (default: the latest)')
    .option('--timeout <duration>', 'cancel the run if it has not ended after this long (default 30m)')
    .option('--keep', 'keep the temporary directory (data directory, CLI state) and print where it is')
    .option('--verbose', "also print the model server's requests and the agents' progress messages")
    .option('--json', 'print the final run as JSON, with a dryRun summary (progress goes to stderr)')
    .action(async (workflowName: string, o, cmd: Command) => {
      const g = globals(cmd);
      if (!o.scriptedModel) {
        throw fieldError(
          'scripted-model',
          'required: hive run is the dry run',
          '--scripted-model FILE is required: hive run is the dry run, with the real CLIs answered by a scripted model (docs/model-server.md). ' +
            `To run the workflow for real, start hive up and use hive workflow run ${workflowName} --wait`,
        );
      }
      if (g.server || process.env.HIVE_SERVER) throw fieldError('server', 'a dry run runs here, in its own temporary data directory; --server (HIVE_SERVER) is for the other commands');
      const timeoutMs = parseDurationFlag(o.timeout, 'timeout') ?? DEFAULT_TIMEOUT_MS;
      const version = parseIntFlag(o.version, 'version', 1, 1_000_000);
      const inputs = parseInputs(o.input, o.inputJson);
      const script = scriptFile(o.scriptedModel);
      // A reader that goes away (`| head`) must not end the run before its cleanup: output just stops.
      const closed = new Set<NodeJS.WriteStream>();
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => closed.add(stream));
      const say = (line: string): void => {
        const out = o.json ? process.stderr : process.stdout;
        if (!closed.has(out)) out.write(`${line}\n`);
      };

      // A dry run never opens the real queue: a fresh data directory, here or where --data says (empty or new).
      if (g.data) {
        const d = resolve(g.data);
        if (existsSync(d) && readdirSync(d).length) throw fieldError('data', `${d} is not empty; a dry run keeps its data in a new or empty directory, never in a real hive's`);
      }
      const root = mkdtempSync(join(tmpdir(), 'hive-run-'));
      const dataDir = g.data ? resolve(g.data) : join(root, 'data');
      let server: ModelServer | null = null;
      let hive: Orchestrator | null = null;
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
      let interrupted: () => void = () => undefined;
      const interrupt = new Promise<void>((r) => (interrupted = r));
      const onSignal = (sig: NodeJS.Signals): void => {
        say(`hive run: ${sig}, cancelling the run`);
        interrupted();
      };
      for (const sig of signals) process.on(sig, onSignal);
      try {
        const loaded = loadConfig({ ...g, data: dataDir }, process.env);
        const extra = (o.file as string[]).map((f, i): ConfiguredWorkflow => ({ source: `--file ${resolve(f)}`, doc: readDefinitionFile(f, 'VALIDATION_FAILED', `file.${i}`) }));
        const definitions = [...loaded.workflows, ...extra];
        checkWorkflows(definitions);
        const target = definitions.filter((w) => (w.doc as { name?: unknown }).name === workflowName).at(-1);
        if (!target) {
          throw new HiveError('WORKFLOW_NOT_FOUND', `workflow ${workflowName} is not defined in ${loaded.file ?? 'hive.yaml (there is none)'}${extra.length ? ' or the --file definitions' : ''}`, { details: { workflow: workflowName } });
        }
        const leftOut = loaded.agents.filter((a) => a.runtime.kind === 'aider');
        const workflow = checkRouting(target.doc, target, loaded.agents, leftOut);

        server = await createModelServer({ script, log: o.verbose ? (line) => say(`${new Date().toISOString().slice(11, 23)} model server: ${line}`) : undefined });
        const agents: AgentSpec[] = [];
        const pointed: string[] = [];
        for (const spec of loaded.agents) {
          if (leftOut.includes(spec)) {
            say(`hive run: agent ${spec.name} (runtime aider) is left out: aider cannot be pointed at the scripted model server`);
            continue;
          }
          const home = join(root, 'agents', spec.name);
          const s = scriptedAgent(spec, { url: server.url, home });
          if (!s) {
            agents.push(spec); // command, worker and inline agents run as they are
            continue;
          }
          mkdirSync(home, { recursive: true });
          for (const [file, content] of Object.entries(s.files)) {
            mkdirSync(dirname(file), { recursive: true });
            writeFileSync(file, content);
          }
          agents.push(s.spec);
          pointed.push(spec.name);
        }
        say(
          `hive run: dry run of ${workflowName} with the scripted model ${o.scriptedModel} (${script.turns.length} turn(s), cursor ${script.cursor}) on ${server.url}\n` +
            `hive run: data ${dataDir}${g.data ? '' : ' (temporary)'}; agents on the scripted model: ${pointed.join(', ') || 'none'}` +
            (agents.length > pointed.length ? `; as configured: ${agents.filter((a) => !pointed.includes(a.name)).map((a) => a.name).join(', ')}` : ''),
        );
        if (script.cursor === 'conversation' && Object.keys(workflow.steps).length > 1) {
          say('hive run: note: with cursor: conversation every step (a new CLI session) gets the script from turn 0; for steps that do different things use cursor: global (docs/model-server.md)');
        }
        // Hooks are not run: a dry run must not post to real webhooks or run deploy scripts.
        hive = await createHive({ ...loaded.options, dataDir, workspaceRoots: loaded.workspaceRoots });
        const h = hive;
        await h.subscribe((e: HiveEvent) => {
          if (e.type.startsWith('run.') || (e.type.startsWith('task.') && e.type !== 'task.enqueued' && e.type !== 'task.stale_report')) say(describeEvent(e));
        });
        if (o.verbose) {
          h.onLive((taskId, _attempt, e) => {
            if (e.type === 'progress' && e.message) say(`${new Date().toISOString().slice(11, 23)} task ${taskId} ${e.message}`);
          });
        }
        await h.start({ agents });
        for (const w of definitions) await h.workflows.define(w.doc).catch((err: unknown) => Promise.reject(fromWorkflow(w, err)));
        const created = await h.workflows.execute(workflowName, inputs, version);
        let { run, timedOut } = await waitRun(h, created.id, timeoutMs, interrupt);
        if (!FINAL_RUN_STATUSES.includes(run.status)) {
          run = await h.workflows.cancel(run.id, timedOut ? `the dry run timed out after ${formatDuration(timeoutMs)}` : 'the dry run was interrupted');
        }
        await h.stop({ drainMs: 0 });
        run = await h.workflows.getRun(run.id);

        const requests = server.requests;
        const total = requests.at(-1)?.seq ?? 0;
        const turns = requests.filter((r) => r.kind === 'turn');
        const dryRun = {
          script: resolve(o.scriptedModel),
          data: g.data || o.keep ? dataDir : null,
          agents: pointed,
          modelServer: { url: server.url, requests: total, turns: turns.length, done: turns.filter((r) => r.turn === null).length, side: requests.filter((r) => r.kind === 'side').length },
          timedOut,
        };
        if (o.json && !closed.has(process.stdout)) printJson({ ...runJson(run), dryRun });
        say('');
        say(drawRun(run, Date.now()));
        say('');
        say(
          table(
            (run.steps ?? []).map((s) => ({
              step: s.name,
              status: s.status,
              agent: s.agents.join(', ') || null,
              duration: s.startedAt !== null && s.finishedAt !== null ? formatDuration(s.finishedAt - s.startedAt) : null,
              tokens: s.usage.inputTokens || s.usage.outputTokens ? `${s.usage.inputTokens}/${s.usage.outputTokens}` : null,
              cost: usd(s.usage.costUsd),
            })),
            ['step', 'status', 'agent', 'duration', 'tokens', 'cost'],
          ),
        );
        say('');
        say(
          `run ${run.id} (${run.workflow}@${run.version}) ${run.status} in ${formatDuration((run.finishedAt ?? Date.now()) - run.createdAt)}; ` +
            `tokens in/out ${run.usage.inputTokens}/${run.usage.outputTokens}, cost ${usd(run.usage.costUsd)} (scripted: nothing was billed); ` +
            `model server: ${total} request(s), ${turns.length} scripted turn(s)${dryRun.modelServer.done ? ` (${dryRun.modelServer.done} after the script ran out)` : ''}, ${dryRun.modelServer.side} side request(s)` +
            (o.keep ? `; kept ${root}` : ''),
        );
        if (run.status !== 'completed') {
          const why = timedOut ? `timed out after ${formatDuration(timeoutMs)}` : (run.error ?? 'no reason recorded').replace(/^(cancelled|failed): /, '');
          throw new HiveError(timedOut ? 'TIMEOUT' : run.status === 'cancelled' ? 'CANCELLED' : 'TASK_FAILED', `dry run of ${workflowName}: run ${run.id} ${run.status}: ${why}`, { details: { runId: run.id } });
        }
      } finally {
        for (const sig of signals) process.off(sig, onSignal);
        await hive?.close({ drainMs: 0 }).catch(() => undefined);
        await server?.close();
        // nothing the run started may outlive it: every agent process carries HIVE_DATA_DIR
        for (const pid of findProcessesWithEnv('HIVE_DATA_DIR', dataDir)) {
          for (const target of [-pid, pid]) {
            try {
              process.kill(target, 'SIGKILL');
            } catch {
              // gone, or not a group leader
            }
          }
        }
        if (!o.keep) rmSync(root, { recursive: true, force: true });
      }
    });
}
