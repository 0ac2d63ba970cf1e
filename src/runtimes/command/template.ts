import { HiveError } from '../../core/errors.js';

/**
 * Command templates. Placeholders: {prompt} {workdir} {task.id} {task.title} {attempt} {agent}; a placeholder
 * without a value (or any other `{...}`) is left as written.
 *
 * - Array form: exec'd directly, each element one argument, values substituted raw (no shell ever sees them).
 * - String form, through `/bin/sh -c`: every substituted value is single-quoted, so a prompt holding
 *   `$(rm -rf /)`, quotes or newlines reaches the program verbatim as (part of) one word.
 * - String form, direct: when the template itself (placeholders aside) has no shell metacharacter and its
 *   program is not a shell builtin or an assignment, the shell would only split it on blanks. We split it
 *   ourselves and exec it, substituting raw within each word: the same argv, one fork and one exec fewer.
 *   `shell: true` forces the shell; `shell: false` forces the split (metacharacters are then literal).
 */

export type TemplateVars = Partial<Record<'prompt' | 'workdir' | 'task.id' | 'task.title' | 'attempt' | 'agent', string>>;

export interface CommandTemplate {
  /** Runs through /bin/sh (126/127 then mean the program could not be started). */
  readonly shell: boolean;
  /** Whether any word holds a placeholder (if not, argv is the same for every attempt). */
  readonly dynamic: boolean;
  argv(vars: TemplateVars): readonly string[];
}

const PLACEHOLDER = /\{(prompt|workdir|task\.id|task\.title|attempt|agent)\}/g;
const SHELL_META = /[|&;<>()$`\\"'*?[\]#~{}!\n\r]/;
/** Words the shell handles itself: run as a program they would fail or mean something else. */
const SHELL_WORDS = new Set(
  ('. : ! { } [[ alias bg break case cd command continue do done elif else esac eval exec exit export fc fg for ' +
    'function getopts hash if jobs local read readonly return select set shift source then time times trap type ' +
    'ulimit umask unalias unset until wait while').split(' '),
);

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function substitute(word: string, vars: TemplateVars, quote: (v: string) => string): string {
  return word.replace(PLACEHOLDER, (m: string, name: keyof TemplateVars) => {
    const v = vars[name];
    return v === undefined ? m : quote(v);
  });
}

const raw = (v: string): string => v;

function direct(words: readonly string[]): CommandTemplate {
  const dynamic = words.some((w) => w.includes('{'));
  return {
    shell: false,
    dynamic,
    argv: dynamic ? (vars) => words.map((w) => substitute(w, vars, raw)) : () => words,
  };
}

function viaShell(script: string): CommandTemplate {
  return { shell: true, dynamic: true, argv: (vars) => ['/bin/sh', '-c', substitute(script, vars, shellQuote)] };
}

/** Compiles a command spec once per agent; throws VALIDATION_FAILED for an empty command. */
export function compileCommand(command: string | readonly string[], shell?: boolean): CommandTemplate {
  if (Array.isArray(command)) {
    if (command.length === 0 || command[0] === '') throw new HiveError('VALIDATION_FAILED', 'the command array is empty: give the program as its first element');
    return direct(command);
  }
  const script = (command as string).trim();
  if (script === '') throw new HiveError('VALIDATION_FAILED', 'the command is empty: give a program to run, e.g. "my-agent {prompt}"');
  const words = script.split(/[ \t]+/);
  if (shell === false) return direct(words);
  const plain =
    shell === undefined && !SHELL_META.test(script.replace(PLACEHOLDER, '')) && !SHELL_WORDS.has(words[0]) && !words[0].includes('=');
  return plain ? direct(words) : viaShell(script);
}
