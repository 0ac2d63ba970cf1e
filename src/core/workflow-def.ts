import { HiveError, validationError, type FieldIssue } from './errors.js';
import { parseDuration } from './duration.js';
import { LIMITS, NAME_RE } from './task-input.js';
import { normalizeCaps } from './routing.js';
import { PRIORITIES, type Priority } from './types.js';
import { compileWorkflow } from './workflow-plan.js';
import { IDENT_RE, INPUT_TYPES, WORKFLOW_LIMITS, type InputSpec, type InputType, type StepSpec, type WorkflowSpec } from './workflow.js';

/**
 * The workflow definition document (YAML or JSON, in hive.yaml under `workflows:` or a file of its own):
 *
 *   name: feature
 *   version: 3                     # optional
 *   inputs: { spec: { type: string, required: true } }
 *   steps:
 *     plan:    { caps: [planning], prompt: "Plan: {{inputs.spec}}" }
 *     backend: { caps: [backend], needs: [plan], prompt: "Implement {{steps.plan.output}}" }
 *
 * parseWorkflowDefinition checks the shape (VALIDATION_FAILED naming each key path), then the graph and the
 * references (WORKFLOW_CYCLE, UNKNOWN_STEP, UNKNOWN_INPUT, INVALID_EXPRESSION), and returns the normalised form.
 */

const TOP_KEYS = ['name', 'version', 'description', 'inputs', 'steps'];
const INPUT_KEYS = ['type', 'required', 'default', 'description'];
const STEP_KEYS = ['caps', 'capabilities', 'needs', 'title', 'prompt', 'priority', 'timeout', 'retries', 'max_attempts', 'locks', 'agent', 'type', 'if', 'for_each', 'continue_on_failure', 'description'];

export interface ParsedDefinition {
  spec: WorkflowSpec;
  /** The version the document asks for, or null (next version). */
  version: number | null;
}

/** Names that would reach an object's prototype, never usable as step or input names. */
const RESERVED = ['__proto__', 'constructor', 'prototype'];

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 60);

function unknownKeys(issues: FieldIssue[], path: string, o: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) issues.push({ path: path ? `${path}.${k}` : k, message: `unknown key (expected one of ${allowed.join(', ')})` });
}

function names(issues: FieldIssue[], path: string, v: unknown, re: RegExp, what: string, one: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    issues.push({ path, message: `expected a list of ${what}` });
    return [];
  }
  if (v.length > LIMITS.listItems) issues.push({ path, message: `at most ${LIMITS.listItems} items` });
  const out: string[] = [];
  v.forEach((x, i) => {
    if (typeof x !== 'string' || !re.test(x) || x.length > LIMITS.nameChars) issues.push({ path: `${path}.${i}`, message: `expected a ${one}, got ${show(x)}` });
    else out.push(x);
  });
  return [...new Set(out)];
}

function text(issues: FieldIssue[], path: string, v: unknown, max: number): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > max) {
    issues.push({ path, message: `expected a string of at most ${max} characters` });
    return null;
  }
  return v;
}

function int(issues: FieldIssue[], path: string, v: unknown, min: number, max: number): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    issues.push({ path, message: `expected an integer from ${min} to ${max}, got ${show(v)}` });
    return null;
  }
  return v;
}

function inputSpec(issues: FieldIssue[], path: string, v: unknown): InputSpec {
  if (typeof v === 'string') v = { type: v }; // shorthand: `spec: string`
  if (!isObject(v)) {
    issues.push({ path, message: 'expected { type, required, default, description } or a type name' });
    return { type: 'any', required: false };
  }
  unknownKeys(issues, path, v, INPUT_KEYS);
  const type = (v.type ?? 'string') as InputType;
  if (!INPUT_TYPES.includes(type)) issues.push({ path: `${path}.type`, message: `expected one of ${INPUT_TYPES.join(', ')}, got ${show(v.type)}` });
  if (v.required !== undefined && typeof v.required !== 'boolean') issues.push({ path: `${path}.required`, message: 'expected true or false' });
  const out: InputSpec = { type, required: v.required === true };
  if (v.default !== undefined) {
    const bad = INPUT_TYPES.includes(type) ? typeProblem(type, v.default) : null;
    if (bad) issues.push({ path: `${path}.default`, message: bad });
    out.default = v.default;
  }
  const d = text(issues, `${path}.description`, v.description, 2000);
  if (d !== null) out.description = d;
  return out;
}

function stepSpec(issues: FieldIssue[], path: string, v: unknown): StepSpec {
  const step: StepSpec = { needs: [], title: null, prompt: '', capabilities: [], priority: null, timeoutMs: 0, maxAttempts: null, locks: [], agent: null, type: null, if: null, forEach: null, continueOnFailure: false };
  if (!isObject(v)) {
    issues.push({ path, message: 'expected a step: { caps, needs, prompt, ... }' });
    return step;
  }
  unknownKeys(issues, path, v, STEP_KEYS);
  if (v.caps !== undefined && v.capabilities !== undefined) issues.push({ path: `${path}.capabilities`, message: 'give caps or capabilities, not both' });
  step.capabilities = normalizeCaps(names(issues, `${path}.caps`, v.caps ?? v.capabilities, NAME_RE, 'capabilities', 'capability'));
  step.needs = names(issues, `${path}.needs`, v.needs, /^.+$/, 'step names', 'step name');
  step.locks = [...names(issues, `${path}.locks`, v.locks, NAME_RE, 'lock names', 'lock name')].sort();
  step.title = text(issues, `${path}.title`, v.title, LIMITS.titleChars);
  step.prompt = text(issues, `${path}.prompt`, v.prompt, LIMITS.promptChars) ?? '';
  if (v.priority !== undefined) {
    if (PRIORITIES.includes(v.priority as Priority)) step.priority = v.priority as Priority;
    else issues.push({ path: `${path}.priority`, message: `expected one of ${PRIORITIES.join(', ')}, got ${show(v.priority)}` });
  }
  if (v.timeout !== undefined) {
    try {
      if (typeof v.timeout !== 'string' && typeof v.timeout !== 'number') throw new Error();
      step.timeoutMs = parseDuration(v.timeout, `${path}.timeout`);
      if (step.timeoutMs > LIMITS.durationMs) issues.push({ path: `${path}.timeout`, message: 'at most 30d' });
    } catch {
      issues.push({ path: `${path}.timeout`, message: `expected a duration such as 30s, 5m or 1h, got ${show(v.timeout)}` });
    }
  }
  if (v.retries !== undefined && v.max_attempts !== undefined) issues.push({ path: `${path}.max_attempts`, message: 'give retries or max_attempts, not both' });
  const retries = int(issues, `${path}.retries`, v.retries, 0, LIMITS.maxAttempts - 1);
  const attempts = int(issues, `${path}.max_attempts`, v.max_attempts, 1, LIMITS.maxAttempts);
  step.maxAttempts = retries !== null ? retries + 1 : attempts;
  if (v.agent !== undefined) {
    if (typeof v.agent === 'string' && NAME_RE.test(v.agent) && v.agent.length <= LIMITS.nameChars) step.agent = v.agent;
    else issues.push({ path: `${path}.agent`, message: `expected an agent name, got ${show(v.agent)}` });
  }
  if (v.type !== undefined) {
    if (typeof v.type === 'string' && NAME_RE.test(v.type)) step.type = v.type;
    else issues.push({ path: `${path}.type`, message: `expected a name, got ${show(v.type)}` });
  }
  step.if = text(issues, `${path}.if`, v.if, 2000);
  step.forEach = text(issues, `${path}.for_each`, v.for_each, 2000);
  if (v.continue_on_failure !== undefined && typeof v.continue_on_failure !== 'boolean') issues.push({ path: `${path}.continue_on_failure`, message: 'expected true or false' });
  step.continueOnFailure = v.continue_on_failure === true;
  text(issues, `${path}.description`, v.description, 2000);
  return step;
}

/** Validates a workflow definition document; see the module comment for the errors. */
export function parseWorkflowDefinition(raw: unknown): ParsedDefinition {
  const issues: FieldIssue[] = [];
  if (!isObject(raw)) throw validationError([{ path: '(root)', message: 'expected a workflow: { name, steps, ... }' }], 'workflow definition');
  unknownKeys(issues, '', raw, TOP_KEYS);
  const name = raw.name;
  if (typeof name !== 'string' || !NAME_RE.test(name) || name.length > LIMITS.nameChars) issues.push({ path: 'name', message: `required: a name of letters, digits and . _ : / @ + -, got ${show(name)}` });
  const version = int(issues, 'version', raw.version, 1, 1_000_000);
  const description = text(issues, 'description', raw.description, 2000);
  const inputs: Record<string, InputSpec> = {};
  if (raw.inputs !== undefined && raw.inputs !== null) {
    if (!isObject(raw.inputs)) issues.push({ path: 'inputs', message: 'expected a map of input name to { type, required, default }' });
    else {
      const keys = Object.keys(raw.inputs);
      if (keys.length > WORKFLOW_LIMITS.inputs) issues.push({ path: 'inputs', message: `at most ${WORKFLOW_LIMITS.inputs} inputs` });
      for (const k of keys) {
        if (!IDENT_RE.test(k) || RESERVED.includes(k)) issues.push({ path: `inputs.${k}`, message: 'an input name is letters, digits and _ (not starting with a digit), and not __proto__, constructor or prototype' });
        else inputs[k] = inputSpec(issues, `inputs.${k}`, raw.inputs[k]);
      }
    }
  }
  const steps: Record<string, StepSpec> = {};
  if (!isObject(raw.steps) || Object.keys(raw.steps).length === 0) issues.push({ path: 'steps', message: 'required: a map of step name to step, with at least one step' });
  else {
    const keys = Object.keys(raw.steps);
    if (keys.length > WORKFLOW_LIMITS.steps) issues.push({ path: 'steps', message: `at most ${WORKFLOW_LIMITS.steps} steps` });
    for (const k of keys) {
      if (!IDENT_RE.test(k) || k.length > WORKFLOW_LIMITS.stepNameChars || RESERVED.includes(k)) {
        issues.push({ path: `steps.${k}`, message: `a step name is letters, digits and _ (not starting with a digit), at most ${WORKFLOW_LIMITS.stepNameChars} characters, and not __proto__, constructor or prototype` });
      } else steps[k] = stepSpec(issues, `steps.${k}`, raw.steps[k]);
    }
  }
  if (issues.length) throw validationError(issues, 'workflow definition');
  const spec: WorkflowSpec = { name: name as string, description, inputs, steps };
  const size = JSON.stringify(spec).length;
  if (size > WORKFLOW_LIMITS.definitionChars) throw validationError([{ path: '(root)', message: `the definition is ${size} characters as JSON, over the limit of ${WORKFLOW_LIMITS.definitionChars}` }], 'workflow definition');
  compileWorkflow(spec); // graph and reference checks
  return { spec, version };
}

/** A problem with a value for an input of this type, or null. */
function typeProblem(type: InputType, v: unknown): string | null {
  const ok =
    type === 'any' ||
    (type === 'string' && typeof v === 'string') ||
    (type === 'number' && typeof v === 'number' && Number.isFinite(v)) ||
    (type === 'boolean' && typeof v === 'boolean') ||
    (type === 'array' && Array.isArray(v)) ||
    (type === 'object' && isObject(v));
  return ok ? null : `expected ${type === 'array' || type === 'object' ? `an ${type}` : `a ${type}`}, got ${show(v)}`;
}

/**
 * Checks the inputs of a run against the workflow's declarations and fills defaults. Strings are accepted for
 * number and boolean inputs when they read as one (`--input n=5` on the command line). VALIDATION_FAILED
 * names every bad `inputs.NAME`.
 */
export function resolveRunInputs(declared: Record<string, InputSpec>, given: unknown): Record<string, unknown> {
  if (given === undefined || given === null) given = {};
  if (!isObject(given)) throw validationError([{ path: 'inputs', message: 'expected an object of input name to value' }], 'workflow inputs');
  const issues: FieldIssue[] = [];
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(given)) {
    if (!Object.hasOwn(declared, k)) issues.push({ path: `inputs.${k}`, message: `not an input of this workflow (it declares ${Object.keys(declared).join(', ') || 'none'})` });
  }
  for (const [k, spec] of Object.entries(declared)) {
    let v = given[k];
    if (v === undefined) {
      if (spec.default !== undefined) out[k] = spec.default;
      else if (spec.required) issues.push({ path: `inputs.${k}`, message: `required (${spec.type})` });
      else out[k] = null;
      continue;
    }
    if (typeof v === 'string' && spec.type === 'number' && /^-?\d+(\.\d+)?$/.test(v.trim())) v = Number(v);
    if (typeof v === 'string' && spec.type === 'boolean' && (v === 'true' || v === 'false')) v = v === 'true';
    const bad = typeProblem(spec.type, v);
    if (bad) issues.push({ path: `inputs.${k}`, message: bad });
    out[k] = v;
  }
  if (issues.length) throw validationError(issues, 'workflow inputs');
  if (JSON.stringify(out).length > LIMITS.promptChars) throw new HiveError('VALIDATION_FAILED', 'inputs: over 1 MB as JSON', { details: { issues: [{ path: 'inputs', message: 'at most 1 MB as JSON' }] } });
  return out;
}
