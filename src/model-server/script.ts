import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HiveError, validationError } from '../core/errors.js';

/**
 * A model-server script: the turns a scripted "model" answers, in order. See docs/model-server.md.
 *
 * Terminology: a *turn* is one answer of the model (one API response). A *scripted request* is a request that
 * offers the model tools (an agent step); it takes the next turn of its conversation's cursor. A *side request*
 * offers no tools (routing, title or quota calls): it gets a fixed answer and takes no turn.
 */

/** Neutral tool names, mapped to each CLI's own tool (see tools.ts). Any other name is passed through as is. */
export const NEUTRAL_TOOLS = ['write_file', 'run_shell'] as const;

export const FAULTS = ['down', 'hang', 'stall', 'rate_limit', 'error'] as const;
export type Fault = (typeof FAULTS)[number];

export interface ToolCall {
  name: string;
  args: Record<string, unknown>;
}

export interface Turn {
  text?: string;
  tool_calls?: ToolCall[];
  usage?: { input: number; output: number };
  fault?: Fault;
  /** How many requests in a row this turn answers (a fault repeated, say); default 1. `forever`: it never moves on. */
  times?: number | 'forever';
  /** Seconds in the `retry-after` header of a `rate_limit` fault; default 1. */
  retry_after?: number;
  /** Milliseconds to wait before answering; default 0. */
  delay_ms?: number;
}

export interface Script {
  /** `conversation` (default): one cursor per conversation; `global`: one cursor for every request. */
  cursor: 'conversation' | 'global';
  /** The text answered once the turns are used up; default `done`. */
  done: string;
  turns: Turn[];
}

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const turnSchema = z
  .strictObject({
    text: z.string().optional(),
    tool_calls: z.array(z.strictObject({ name: z.string().min(1), args: z.record(z.string(), z.unknown()).default({}) })).optional(),
    usage: z.strictObject({ input: count, output: count }).optional(),
    fault: z.enum(FAULTS).optional(),
    times: z.union([z.number().int().min(1).max(1_000_000_000), z.literal('forever')]).optional(),
    retry_after: z.number().min(0).max(86_400).optional(),
    delay_ms: z.number().int().min(0).max(3_600_000).optional(),
  })
  .refine((t) => t.fault !== undefined || t.text !== undefined || (t.tool_calls?.length ?? 0) > 0, {
    message: 'a turn needs text, tool_calls or a fault',
  });
const scriptSchema = z.strictObject({
  cursor: z.enum(['conversation', 'global']).default('conversation'),
  done: z.string().default('done'),
  turns: z.array(turnSchema),
});

/** Validates a parsed script: a list of turns, or `{turns, cursor?, done?}`. Throws VALIDATION_FAILED naming the field. */
export function parseScript(doc: unknown, what = 'script'): Script {
  const parsed = scriptSchema.safeParse(Array.isArray(doc) ? { turns: doc } : doc);
  if (!parsed.success) {
    throw validationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })), what);
  }
  const s = parsed.data;
  for (const [i, t] of s.turns.entries()) checkToolArgs(t.tool_calls ?? [], `turns.${i}.tool_calls`, what);
  return s as Script;
}

function checkToolArgs(calls: ToolCall[], path: string, what: string): void {
  const need: Record<string, string[]> = { write_file: ['path', 'content'], run_shell: ['command'] };
  for (const [j, c] of calls.entries()) {
    for (const key of need[c.name] ?? []) {
      if (typeof c.args[key] !== 'string') throw validationError([{ path: `${path}.${j}.args.${key}`, message: `${c.name} needs a string ${key}` }], what);
    }
  }
}

/** Reads a YAML or JSON script file (JSON is YAML). */
export function loadScript(file: string): Script {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HiveError('VALIDATION_FAILED', `--script: cannot read ${file}: ${(err as Error).message}`, { details: { issues: [{ path: 'script', message: 'cannot read the file' }] }, cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new HiveError('VALIDATION_FAILED', `--script: ${file} is not valid YAML or JSON: ${(err as Error).message}`, { details: { issues: [{ path: 'script', message: 'not valid YAML or JSON' }] }, cause: err });
  }
  return parseScript(doc, `script ${file}`);
}
