import { validationError, type FieldIssue } from './errors.js';
import type { NewTask } from './store.js';
import type { TaskDefaults } from './options.js';
import { PRIORITIES, type Priority } from './types.js';
import { normalizeCaps } from './routing.js';

/** What a caller may give when it submits a task; everything but the title has a default. */
export interface TaskInput {
  ref?: string;
  title: string;
  prompt?: string;
  type?: string;
  priority?: Priority;
  capabilities?: string[];
  dependsOn?: (number | string)[];
  locks?: string[];
  maxAttempts?: number;
  backoffMs?: number;
  backoffCapMs?: number;
  timeoutMs?: number;
  scheduleTimeoutMs?: number;
  idempotencyKey?: string | null;
  metadata?: Record<string, unknown>;
}

export const LIMITS = Object.freeze({
  titleChars: 500,
  promptChars: 1_000_000,
  nameChars: 200,
  listItems: 100,
  maxAttempts: 100,
  durationMs: 30 * 86_400_000,
});

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/;

function checkNames(issues: FieldIssue[], path: string, v: unknown, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    issues.push({ path, message: `expected an array of ${what}` });
    return [];
  }
  if (v.length > LIMITS.listItems) issues.push({ path, message: `at most ${LIMITS.listItems} items` });
  v.forEach((x, i) => {
    if (typeof x !== 'string' || x.length === 0 || x.length > LIMITS.nameChars || !NAME_RE.test(x)) {
      issues.push({ path: `${path}.${i}`, message: `expected a ${what.replace(/s$/, '')}: letters, digits and . _ : / @ + - (1-${LIMITS.nameChars} chars), got ${JSON.stringify(x)?.slice(0, 60)}` });
    }
  });
  return v as string[];
}

function checkInt(issues: FieldIssue[], path: string, v: unknown, min: number, max: number): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) {
    issues.push({ path, message: `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}` });
  }
}

/** Validates a task input and fills defaults. Throws VALIDATION_FAILED naming every bad field. */
export function resolveTaskInput(input: TaskInput, defaults: TaskDefaults, path = ''): NewTask {
  const issues: FieldIssue[] = [];
  const p = (k: string): string => (path ? `${path}.${k}` : k);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw validationError([{ path: path || '(root)', message: 'expected an object' }], 'task');
  if (typeof input.title !== 'string' || input.title.trim() === '') issues.push({ path: p('title'), message: 'required: a non-empty string' });
  else if (input.title.length > LIMITS.titleChars) issues.push({ path: p('title'), message: `at most ${LIMITS.titleChars} characters` });
  if (input.prompt !== undefined && (typeof input.prompt !== 'string' || input.prompt.length > LIMITS.promptChars)) issues.push({ path: p('prompt'), message: `expected a string of at most ${LIMITS.promptChars} characters` });
  if (input.type !== undefined && (typeof input.type !== 'string' || !NAME_RE.test(input.type))) issues.push({ path: p('type'), message: 'expected a name (letters, digits, . _ : -)' });
  if (input.priority !== undefined && !PRIORITIES.includes(input.priority)) issues.push({ path: p('priority'), message: `expected one of ${PRIORITIES.join(', ')}, got ${JSON.stringify(input.priority)}` });
  const caps = checkNames(issues, p('capabilities'), input.capabilities, 'capabilities');
  const locks = checkNames(issues, p('locks'), input.locks, 'lock names');
  if (input.dependsOn !== undefined) {
    if (!Array.isArray(input.dependsOn)) issues.push({ path: p('dependsOn'), message: 'expected an array of task ids' });
    else {
      if (input.dependsOn.length > LIMITS.listItems) issues.push({ path: p('dependsOn'), message: `at most ${LIMITS.listItems} items` });
      input.dependsOn.forEach((d, i) => {
        const ok = (typeof d === 'number' && Number.isSafeInteger(d) && d > 0) || (typeof d === 'string' && d.length > 0 && d.length <= LIMITS.nameChars);
        if (!ok) issues.push({ path: p(`dependsOn.${i}`), message: `expected a task id (positive integer) or a ref, got ${JSON.stringify(d)?.slice(0, 60)}` });
      });
    }
  }
  checkInt(issues, p('maxAttempts'), input.maxAttempts, 1, LIMITS.maxAttempts);
  for (const k of ['backoffMs', 'backoffCapMs', 'timeoutMs', 'scheduleTimeoutMs'] as const) checkInt(issues, p(k), input[k], 0, LIMITS.durationMs);
  if (input.idempotencyKey !== undefined && input.idempotencyKey !== null && (typeof input.idempotencyKey !== 'string' || input.idempotencyKey.length === 0 || input.idempotencyKey.length > LIMITS.nameChars)) {
    issues.push({ path: p('idempotencyKey'), message: `expected a string of 1-${LIMITS.nameChars} characters` });
  }
  if (input.ref !== undefined && (typeof input.ref !== 'string' || input.ref.length === 0 || input.ref.length > LIMITS.nameChars)) issues.push({ path: p('ref'), message: 'expected a non-empty string' });
  if (input.metadata !== undefined && (input.metadata === null || typeof input.metadata !== 'object' || Array.isArray(input.metadata))) issues.push({ path: p('metadata'), message: 'expected an object' });
  else if (input.metadata !== undefined) {
    try {
      JSON.stringify(input.metadata);
    } catch (err) {
      issues.push({ path: p('metadata'), message: `not serialisable as JSON: ${(err as Error).message}` });
    }
  }
  if (issues.length) throw validationError(issues, 'task');
  return {
    ref: input.ref,
    title: input.title.trim(),
    prompt: input.prompt ?? '',
    type: input.type ?? 'task',
    priority: input.priority ?? defaults.priority,
    capabilities: normalizeCaps(caps),
    dependsOn: [...new Set(input.dependsOn ?? [])],
    locks: [...new Set(locks)].sort(),
    retry: {
      maxAttempts: input.maxAttempts ?? defaults.retry.maxAttempts,
      backoffMs: input.backoffMs ?? defaults.retry.backoffMs,
      backoffCapMs: input.backoffCapMs ?? defaults.retry.backoffCapMs,
    },
    // 0 = not set on the task: the agent's limit applies, then the default (see engine/scheduler.ts)
    timeoutMs: input.timeoutMs ?? 0,
    scheduleTimeoutMs: input.scheduleTimeoutMs ?? defaults.scheduleTimeoutMs,
    idempotencyKey: input.idempotencyKey ?? null,
    metadata: input.metadata ?? {},
  };
}
