import { validationError, type FieldIssue } from './errors.js';
import type { AgentSpec } from './store.js';
import { normalizeCaps } from './routing.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CAP_RE = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCommand = (v: unknown): boolean => (typeof v === 'string' && v.length > 0) || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));

/**
 * Validates an agent definition given through the API (hive.yaml and the CLI check the same rules with zod
 * first). The name becomes part of paths (work/<name>, branch names), so it is strict. Throws VALIDATION_FAILED
 * naming every bad field; returns the spec with capabilities normalised.
 */
export function resolveAgentSpec(spec: AgentSpec): AgentSpec {
  const issues: FieldIssue[] = [];
  if (!isObject(spec)) throw validationError([{ path: '(root)', message: 'expected an agent object' }], 'agent');
  if (typeof spec.name !== 'string' || !NAME_RE.test(spec.name)) issues.push({ path: 'name', message: 'expected a name: letters, digits, . _ - (max 64, starting with a letter or digit)' });
  if (typeof spec.role !== 'string' || spec.role.length > 200) issues.push({ path: 'role', message: 'expected a string of at most 200 characters' });
  if (!Array.isArray(spec.capabilities) || spec.capabilities.length > 100) issues.push({ path: 'capabilities', message: 'expected an array of at most 100 capability names' });
  else spec.capabilities.forEach((c, i) => typeof c === 'string' && CAP_RE.test(c) ? undefined : issues.push({ path: `capabilities.${i}`, message: 'expected a capability name: letters, digits and . _ : / @ + -' }));
  if (!Number.isInteger(spec.slots) || spec.slots < 1 || spec.slots > 1000) issues.push({ path: 'slots', message: `expected an integer from 1 to 1000, got ${JSON.stringify(spec.slots)}` });
  const rt = spec.runtime as unknown;
  if (!isObject(rt) || typeof rt.kind !== 'string') issues.push({ path: 'runtime', message: 'expected { kind, ... }' });
  else if (rt.kind === 'inline' ? typeof rt.fn !== 'string' || rt.fn === '' : !isCommand(rt.command)) {
    issues.push({ path: rt.kind === 'inline' ? 'runtime.fn' : 'runtime.command', message: rt.kind === 'inline' ? 'expected a function name' : 'expected a command: a non-empty string or array of strings' });
  }
  if (!isObject(spec.env) || Object.values(spec.env).some((v) => typeof v !== 'string')) issues.push({ path: 'env', message: 'expected an object of string values' });
  if (spec.workdir !== null && (typeof spec.workdir !== 'string' || spec.workdir === '')) issues.push({ path: 'workdir', message: 'expected a path or null' });
  const l = spec.limits as unknown;
  if (!isObject(l)) issues.push({ path: 'limits', message: 'expected an object' });
  else for (const k of ['timeoutMs', 'memoryMb', 'contextTokens', 'costBudgetUsd']) if (typeof l[k] !== 'number' || !((l[k] as number) >= 0)) issues.push({ path: `limits.${k}`, message: 'expected a number >= 0' });
  if (issues.length) throw validationError(issues, 'agent');
  return { ...spec, capabilities: normalizeCaps(spec.capabilities) };
}
