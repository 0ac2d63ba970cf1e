import type { Command } from 'commander';
import { fieldError } from '../../core/errors.js';
import { parseStatusList } from '../../core/task-state.js';
import { collect, parseDurationFlag, parseId, parseIntFlag, withClient, type GlobalFlags, globals } from '../context.js';
import { printJson, table, taskJson, taskRow } from '../output.js';

/** `hive task logs ID` and `hive logs ID`: print an attempt's log, or follow it while it runs. */
async function showLogs(id: string, o: { attempt?: string; follow?: boolean; json?: boolean }, flags: GlobalFlags): Promise<void> {
  if (o.json && o.follow) throw fieldError('json', 'not allowed with --follow', '--json and --follow do not go together');
  await withClient(flags, async (hive) => {
    const t = await hive.getTask(parseId(id));
    const attempt = parseIntFlag(o.attempt, 'attempt', 1, 1_000_000) ?? t.attempts;
    if (attempt < 1 || attempt > t.attempts) throw fieldError('attempt', 'no such attempt', `task ${t.id} has ${t.attempts} attempt(s); no attempt ${attempt}`);
    if (!o.follow) {
      const log = await hive.logFrom(t.id, attempt, 0);
      if (o.json) return printJson({ taskId: t.id, attempt, log: log === null ? null : log.toString('utf8') });
      if (log === null) process.stderr.write(`no log for task ${t.id} attempt ${attempt} (inline agents keep none)\n`);
      else process.stdout.write(log);
      return;
    }
    let offset = 0;
    const drain = async (): Promise<void> => {
      const chunk = await hive.logFrom(t.id, attempt, offset);
      if (chunk?.length) {
        offset += chunk.length;
        process.stdout.write(chunk);
      }
    };
    for (;;) {
      await drain();
      const now = await hive.getTask(t.id);
      if (now.status !== 'running' || now.attempts !== attempt) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await drain();
  });
}

export function registerTaskCommands(program: Command): void {
  const task = program.command('task').description('submit, inspect, cancel and retry tasks');

  task
    .command('add')
    .description('submit a task; prints its id')
    .requiredOption('--title <title>', 'short title')
    .option('--prompt <text>', 'the prompt or input given to the agent', '')
    .option('--priority <p>', 'critical | high | medium | low')
    .option('--cap <capability>', 'required capability (repeatable)', collect, [])
    .option('--after <id>', 'run after this task completes (repeatable)', collect, [])
    .option('--lock <name>', 'resource lock held while running (repeatable)', collect, [])
    .option('--max-attempts <n>', 'attempts before the task goes dead')
    .option('--backoff <duration>', 'retry backoff base, e.g. 1s')
    .option('--timeout <duration>', 'per-attempt timeout, e.g. 30s')
    .option('--schedule-timeout <duration>', 'max wait in the queue before dead, e.g. 1h')
    .option('--type <type>', 'free-form task type')
    .option('--key <idempotency-key>', 'idempotency key: the same key returns the same task')
    .option('--json', 'print the task as JSON')
    .action(async (o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const t = await hive.enqueue({
          title: o.title,
          prompt: o.prompt,
          priority: o.priority,
          type: o.type,
          capabilities: o.cap,
          dependsOn: o.after.map((a: string) => parseId(a, '--after')),
          locks: o.lock,
          maxAttempts: parseIntFlag(o.maxAttempts, 'max-attempts', 1, 100),
          backoffMs: parseDurationFlag(o.backoff, 'backoff'),
          timeoutMs: parseDurationFlag(o.timeout, 'timeout'),
          scheduleTimeoutMs: parseDurationFlag(o.scheduleTimeout, 'schedule-timeout'),
          idempotencyKey: o.key,
        });
        if (o.json) printJson(taskJson(t));
        else process.stdout.write(`${t.id}\n`);
      });
    });

  task
    .command('list')
    .description('list tasks (oldest first; --desc for newest first)')
    .option('--status <list>', 'comma-separated statuses')
    .option('--agent <name>', 'only tasks of this agent')
    .option('--cap <capability>', 'only tasks requiring this capability')
    .option('--after-id <id>', 'cursor: tasks with a greater id')
    .option('--limit <n>', 'at most n tasks (default 100)')
    .option('--desc', 'newest first')
    .option('--json', 'print a JSON array')
    .action(async (o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const tasks = await hive.listTasks({
          status: parseStatusList(o.status, '--status'),
          agent: o.agent,
          capability: o.cap,
          afterId: o.afterId ? parseId(o.afterId, '--after-id') : undefined,
          limit: parseIntFlag(o.limit, 'limit', 1, 10_000),
          desc: Boolean(o.desc),
        });
        if (o.json) printJson(tasks.map(taskJson));
        else process.stdout.write(tasks.length ? `${table(tasks.map(taskRow), ['id', 'status', 'priority', 'attempts', 'agent', 'title', 'note'])}\n` : 'no tasks\n');
      });
    });

  task
    .command('show <id>')
    .description('one task with its attempts')
    .option('--json', 'print JSON')
    .action(async (id: string, o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const t = await hive.getTask(parseId(id));
        const attempts = await hive.attempts(t.id);
        if (o.json) return printJson({ ...taskJson(t), prompt: t.prompt, attemptsList: attempts });
        const lines = [
          `task ${t.id}: ${t.title}`,
          `  status     ${t.status}${t.reason ? ` (${t.reason})` : ''}`,
          `  priority   ${t.priority}`,
          `  needs      ${t.capabilities.join(', ') || '-'}`,
          `  after      ${t.dependsOn.join(', ') || '-'}`,
          `  locks      ${t.locks.join(', ') || '-'}`,
          `  attempts   ${t.attempts} (max ${t.retry.maxAttempts})`,
          `  agent      ${t.agent ?? '-'}`,
          ...(t.error ? [`  error      ${t.error}`] : []),
          ...(t.result !== null ? [`  result     ${JSON.stringify(t.result)}`] : t.output ? [`  output     ${t.output.split('\n').slice(-5).join('\n             ')}`] : []),
        ];
        if (attempts.length) {
          lines.push('', table(attempts.map((a) => ({ attempt: a.attempt, agent: a.agent, status: a.status, exit: a.exitCode ?? a.signal, error: a.errorCode ? `${a.errorCode}: ${a.error}` : null, ms: a.finishedAt ? a.finishedAt - a.startedAt : null })), ['attempt', 'agent', 'status', 'exit', 'ms', 'error']));
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });

  task
    .command('logs <id>')
    .description("print an attempt's log (stdout and stderr)")
    .option('--attempt <n>', 'attempt number (default: the latest)')
    .option('-f, --follow', 'keep printing while the attempt runs')
    .option('--json', 'print { taskId, attempt, log } (not with --follow)')
    .action((id: string, o, cmd: Command) => showLogs(id, o, globals(cmd)));

  task
    .command('cancel <id>')
    .description('cancel a pending, queued or running task (kills its process group)')
    .option('--reason <text>', 'why', 'cancelled by user')
    .action(async (id: string, o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const t = await hive.cancel(parseId(id), o.reason);
        process.stdout.write(`task ${t.id} ${t.status}\n`);
      });
    });

  task
    .command('retry <id>')
    .description('send a dead or cancelled task back to the queue with a fresh attempt budget')
    .action(async (id: string, _o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const t = await hive.retry(parseId(id));
        process.stdout.write(`task ${t.id} ${t.status}\n`);
      });
    });

  // `hive logs ID` is the same as `hive task logs ID`
  program
    .command('logs <id>')
    .description("print an attempt's log (same as `hive task logs`)")
    .option('--attempt <n>', 'attempt number (default: the latest)')
    .option('-f, --follow', 'keep printing while the attempt runs')
    .option('--json', 'print { taskId, attempt, log } (not with --follow)')
    .action((id: string, o, cmd: Command) => showLogs(id, o, globals(cmd)));
}
