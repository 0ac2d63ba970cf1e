import { validationError, type FieldIssue } from './errors.js';
import type { AgentSpec } from './store.js';
import { normalizeCaps } from './routing.js';
import { PRESET_TOOLS } from './types.js';
import { workspaceIssues } from './workspace.js';

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
  else if ((PRESET_TOOLS as readonly string[]).includes(rt.kind)) issues.push(...presetIssues(rt));
  else if (rt.kind === 'inline' ? typeof rt.fn !== 'string' || rt.fn === '' : !isCommand(rt.command)) {
    issues.push({ path: rt.kind === 'inline' ? 'runtime.fn' : 'runtime.command', message: rt.kind === 'inline' ? 'expected a function name' : 'expected a command: a non-empty string or array of strings' });
  }
  // tmux: each attempt in a tmux session; only for the process agents that run one program per attempt
  if (isObject(rt) && rt.tmux !== undefined) {
    if (rt.kind !== 'command' && !(PRESET_TOOLS as readonly string[]).includes(rt.kind as string)) issues.push({ path: 'runtime.tmux', message: `only command agents and the presets run in tmux, not runtime ${String(rt.kind)}` });
    else if (typeof rt.tmux !== 'boolean') issues.push({ path: 'runtime.tmux', message: 'expected true or false' });
  }
  if (!isObject(spec.env) || Object.values(spec.env).some((v) => typeof v !== 'string')) issues.push({ path: 'env', message: 'expected an object of string values' });
  if (spec.workdir !== null && (typeof spec.workdir !== 'string' || spec.workdir === '')) issues.push({ path: 'workdir', message: 'expected a path or null' });
  const l = spec.limits as unknown;
  if (!isObject(l)) issues.push({ path: 'limits', message: 'expected an object' });
  else {
    for (const k of ['timeoutMs', 'memoryMb', 'contextTokens', 'costBudgetUsd']) if (typeof l[k] !== 'number' || !((l[k] as number) >= 0)) issues.push({ path: `limits.${k}`, message: 'expected a number >= 0' });
    // the watchdogs: absent means the runtime's default
    for (const k of ['idleTimeoutMs', 'exitGraceMs']) if (l[k] !== undefined && !(typeof l[k] === 'number' && Number.isSafeInteger(l[k]) && (l[k] as number) >= 0)) issues.push({ path: `limits.${k}`, message: 'expected an integer number of ms >= 0 (0 = off)' });
  }
  // the workspace (given at the top level, or kept in runtime.workspace) is checked here; its paths by WorkspacePort.check
  const ws: unknown = spec.workspace !== undefined ? spec.workspace : isObject(rt) ? rt.workspace : undefined;
  if (ws !== undefined && ws !== null) issues.push(...workspaceIssues(ws, spec));
  if (issues.length) throw validationError(issues, 'agent');
  return { ...spec, capabilities: normalizeCaps(spec.capabilities) };
}

// `workspace`: where the store keeps an agent's workspace (core/workspace.ts), checked apart
const PRESET_KEYS = new Set(['kind', 'model', 'extraArgs', 'permissionMode', 'maxTurns', 'binary', 'command', 'workspace', 'tmux']);
const WORD_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** The options of a coding-agent preset (claude-code, codex, gemini, aider); see PresetRuntimeSpec. */
function presetIssues(rt: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const bad = (key: string, message: string): number => issues.push({ path: `runtime.${key}`, message });
  for (const k of Object.keys(rt)) if (!PRESET_KEYS.has(k)) bad(k, `unknown option for runtime ${rt.kind}`);
  if (rt.command !== undefined) bad('command', `runtime ${rt.kind} builds its own command; use binary and extraArgs`);
  if (rt.model !== undefined && (typeof rt.model !== 'string' || rt.model === '' || rt.model.length > 200)) bad('model', 'expected a model name (1-200 characters)');
  if (rt.binary !== undefined && (typeof rt.binary !== 'string' || rt.binary === '' || rt.binary.includes('\0'))) bad('binary', 'expected a program name or path');
  if (rt.extraArgs !== undefined && !(Array.isArray(rt.extraArgs) && rt.extraArgs.length <= 100 && rt.extraArgs.every((a) => typeof a === 'string' && !a.includes('\0')))) {
    bad('extraArgs', 'expected an array of at most 100 strings');
  }
  if (rt.permissionMode !== undefined) {
    if (rt.kind === 'aider') bad('permissionMode', 'aider has no permission mode (it runs with --yes-always)');
    else if (typeof rt.permissionMode !== 'string' || !WORD_RE.test(rt.permissionMode)) bad('permissionMode', 'expected a mode name such as acceptEdits, workspace-write or yolo');
  }
  if (rt.maxTurns !== undefined) {
    if (rt.kind !== 'claude-code') bad('maxTurns', `only claude-code takes a turn limit, not ${rt.kind}`);
    else if (!Number.isInteger(rt.maxTurns) || (rt.maxTurns as number) < 1 || (rt.maxTurns as number) > 10_000) bad('maxTurns', 'expected an integer from 1 to 10000');
  }
  return issues;
}
