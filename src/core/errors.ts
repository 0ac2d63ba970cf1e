/**
 * The one error catalogue. Every error Hive raises on purpose is a HiveError with one of these codes;
 * the HTTP edge maps codes to statuses in one table and the CLI prints `error CODE: message`.
 * Codes are stable: clients may switch on them. Add new codes here, never rename one.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: 'input does not match the expected shape; details.issues names each field path',
  CONFIG_INVALID: 'hive.yaml (or its overrides) is invalid; details.issues names each key path',
  TASK_NOT_FOUND: 'no task with that id',
  AGENT_NOT_FOUND: 'no agent with that id or name',
  TOKEN_NOT_FOUND: 'no live API token with that id',
  INVALID_TRANSITION: 'the entity is not in a status that allows this action',
  STALE_ATTEMPT: 'a report came from an attempt that no longer holds the lease (fencing token mismatch)',
  CONFLICT: 'the change conflicts with existing state (duplicate name, agent busy, ...)',
  DEPENDENCY_NOT_FOUND: 'a task lists a dependency that does not exist',
  DEPENDENCY_CYCLE: 'tasks submitted together depend on each other in a cycle',
  ALREADY_RUNNING: 'another `hive up` already owns this data directory',
  STORE_UNAVAILABLE: 'the store cannot be opened or written',
  RUNTIME_UNKNOWN: 'an agent names a runtime that is not installed',
  SPAWN_FAILED: 'the agent program could not be started',
  TIMEOUT: 'the attempt ran past its timeout and was killed',
  IDLE_TIMEOUT: 'the agent program printed nothing for longer than its idle timeout and was killed',
  HUNG_AFTER_RESULT: 'the agent program was still running after its final result and was killed; the result was kept',
  CANCELLED: 'the task was cancelled',
  LEASE_EXPIRED: 'the attempt stopped renewing its lease and was reaped',
  ORCHESTRATOR_LOST: 'the orchestrator running the attempt died; the attempt was reaped at restart',
  WORKER_EXITED: 'a worker process exited while it held the attempt',
  HEARTBEAT_LOST: 'a worker stopped sending heartbeats and was restarted',
  TASK_FAILED: 'the agent reported failure (non-zero exit or error result)',
  SCHEDULE_TIMEOUT: 'the task waited in the queue longer than its schedule timeout',
  DEPENDENCY_FAILED: 'a dependency ended dead or cancelled, so this task was cancelled',
  SHUTDOWN: 'the orchestrator stopped while the attempt ran',
  AGENT_REMOVED: 'the agent was removed (forced) while the attempt ran',
  NOT_FOUND: 'no such route or resource',
  UNAUTHENTICATED: 'a request without a valid bearer token',
  FORBIDDEN: 'the token is valid but its role does not allow this',
  PAYLOAD_TOO_LARGE: 'the request body is over the documented limit',
  UNSUPPORTED_MEDIA_TYPE: 'the request body is not application/json',
  WORKFLOW_NOT_FOUND: 'no workflow definition with that name (and version)',
  WORKFLOW_RUN_NOT_FOUND: 'no workflow run with that id',
  WORKFLOW_CYCLE: 'the steps of a workflow depend on each other in a cycle (details.cycle names it)',
  UNKNOWN_STEP: 'a workflow step needs or references a step that does not exist (or is not upstream of it)',
  UNKNOWN_INPUT: 'a workflow template or expression references an input the workflow does not declare',
  INVALID_EXPRESSION: 'an `if`, `for_each` or `{{ }}` expression does not parse or uses what the language does not allow',
  EXPRESSION_FAILED: 'an expression could not be evaluated at run time (e.g. for_each did not give a list)',
  WORKSPACE_FAILED: "the attempt's git workspace could not be prepared (worktree, .worktreeinclude, setup command)",
  INTERNAL: 'a bug in Hive; please report it with the event log',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class HiveError extends Error {
  override readonly name = 'HiveError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.details = opts.details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isHiveError(err: unknown, code?: ErrorCode): err is HiveError {
  return err instanceof HiveError && (code === undefined || err.code === code);
}

/** Wraps any thrown value as a HiveError (INTERNAL unless it already is one). */
export function toHiveError(err: unknown): HiveError {
  if (err instanceof HiveError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new HiveError('INTERNAL', message, { cause: err });
}

/** One field-level problem, as zod and hand-written checks report them. */
export interface FieldIssue {
  path: string;
  message: string;
}

export function validationError(issues: FieldIssue[], what = 'input'): HiveError {
  const first = issues[0];
  const summary = first ? `${first.path || '(root)'}: ${first.message}` : 'invalid';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new HiveError('VALIDATION_FAILED', `invalid ${what}: ${summary}${more}`, { details: { issues } });
}

/** VALIDATION_FAILED for one field: `text` is the whole message (default `path: message`). */
export function fieldError(path: string, message: string, text = `${path}: ${message}`): HiveError {
  return new HiveError('VALIDATION_FAILED', text, { details: { issues: [{ path, message }] } });
}
