/**
 * What a coding agent's output means to the engine: every stdout and stderr line is a `log` event (and stays in
 * the attempt log), each stdout line goes through the tool's stream parser, and the parser's events become
 * RuntimeEvents and, at the end, the attempt's outcome. Mapping: docs/agents.md ("Running the CLIs as agents").
 */
import type { RunOutcome, RuntimeEvent } from '../../core/runtime.js';
import type { PresetTool } from '../../core/types.js';
import type { AttemptOutput, EndedHow } from '../command/attempt.js';
import { LineSplitter } from '../lines.js';
import type { AgentEvent, StreamParser } from './events.js';
import { parseObject } from './shared.js';

type Finished = Extract<AgentEvent, { type: 'finished' }>;

/** Cut progress messages to this many characters. */
const PROGRESS_CHARS = 200;
/** At most this many changed files are listed in the result (the log has them all). */
const MAX_FILES = 1000;

/** The result JSON of a preset attempt (the task's `result` when it completes). */
export interface PresetResult {
  tool: PresetTool;
  /** The final answer (success) or the error text (failure), when the tool gave one. */
  text?: string;
  /** The tool's session / thread id: resume it with `resume: true` in a retried task's metadata, or by hand. */
  sessionId?: string;
  /** The session this attempt continued, when it resumed one. */
  resumedSession?: string;
  /** The tool's word for how it ended: `success`, `error_max_turns`, `turn_failed`, `exit_1`, `killed`, ... */
  reason?: string;
  filesChanged: string[];
  /** This attempt's tokens by kind; `costSource` says whether the tool printed the cost or Hive estimated it. */
  usage: { input: number; output: number; cacheRead: number; cacheWrite: number; costUsd: number; costSource: 'reported' | 'estimated' | 'none' };
}

export interface PresetOutputOptions {
  tool: PresetTool;
  parser: StreamParser;
  emit: (e: RuntimeEvent) => void;
  /** Called when the program reported its final result (its exit grace starts). */
  terminal: () => void;
  /** Called when a program thought finished starts working again (a Codex turn after a completed one). */
  working: () => void;
  resumedSession?: string;
}

export class PresetOutput implements AttemptOutput {
  private readonly stdoutLines = new LineSplitter((line) => this.onStdout(line));
  private readonly stderrLines = new LineSplitter((line) => this.onStderr(line));
  private finished: Finished | null = null;
  private turnDone = false;
  private sessionId: string | undefined;
  private lastStderr = '';
  private readonly files = new Set<string>();
  private readonly usage: PresetResult['usage'] = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, costUsd: 0, costSource: 'none' };

  constructor(private readonly o: PresetOutputOptions) {}

  stdout(chunk: Buffer): void {
    this.stdoutLines.push(chunk);
  }

  stderr(chunk: Buffer): void {
    this.stderrLines.push(chunk);
  }

  finish(exitCode: number | null, signal: NodeJS.Signals | null, how: EndedHow): RunOutcome {
    this.stdoutLines.end();
    this.stderrLines.end();
    // Killed after its result (`kept`): a Codex turn that completed is a success, as its exit 0 would have said.
    this.handle(this.o.parser.end(how === 'exited' ? exitCode : how === 'kept' ? 0 : null));
    const f = this.finished ?? { type: 'finished', status: 'error', reason: 'killed' };
    const result: PresetResult = {
      tool: this.o.tool,
      ...(f.result !== undefined ? { text: f.result } : {}),
      ...(this.sessionId !== undefined ? { sessionId: this.sessionId } : {}),
      ...(this.o.resumedSession !== undefined ? { resumedSession: this.o.resumedSession } : {}),
      ...(f.reason !== undefined ? { reason: f.reason } : {}),
      filesChanged: [...this.files],
      usage: { ...this.usage, costUsd: Math.round(this.usage.costUsd * 1e9) / 1e9 },
    };
    const base = { exitCode, signal, result, ...(f.result !== undefined ? { output: f.result } : {}) };
    if (f.status === 'success') return { ...base, ok: true };
    return { ...base, ok: false, code: 'TASK_FAILED', error: this.errorText(f, signal) };
  }

  /** `error_max_turns`, `turn_failed: You've hit your usage limit`, `exit code 1: <last stderr line>`, `killed by SIGKILL`. */
  private errorText(f: Finished, signal: NodeJS.Signals | null): string {
    const exit = f.reason === undefined ? null : /^exit_(\d+)$/.exec(f.reason);
    const head = f.reason === 'killed' ? `killed by ${signal ?? 'a signal'}` : exit ? `exit code ${exit[1]}` : (f.reason ?? 'failed');
    // when the exit decided (no terminal event), the last stderr line is the best explanation there is
    const detail = f.result ?? (exit || f.reason === 'killed' ? this.lastStderr || undefined : undefined);
    return detail === undefined ? head : `${head}: ${detail}`;
  }

  private onStdout(line: string): void {
    this.o.emit({ type: 'log', stream: 'stdout', line });
    this.handle(this.o.parser.line(line));
    if (this.o.tool === 'codex' && this.finished === null) this.codexTurn(line);
  }

  /**
   * `codex exec` prints no terminal event of its own: a completed turn is its end (the parser confirms the
   * success at the exit). Another turn starting after it means it is still at work.
   */
  private codexTurn(line: string): void {
    if (!line.includes('"turn.')) return;
    const type = parseObject(line)?.type;
    if (type === 'turn.completed' && !this.turnDone) {
      this.turnDone = true;
      this.o.terminal();
    } else if (type === 'turn.started' && this.turnDone) {
      this.turnDone = false;
      this.o.working();
    }
  }

  private onStderr(line: string): void {
    this.o.emit({ type: 'log', stream: 'stderr', line });
    if (line.trim() !== '') this.lastStderr = line.trim();
  }

  private handle(events: AgentEvent[]): void {
    for (const e of events) {
      switch (e.type) {
        case 'started':
          this.sessionId ??= e.sessionId;
          this.progress(`session ${e.sessionId}`);
          break;
        case 'message':
          this.progress(e.role === undefined || e.role === 'assistant' ? e.text : `${e.role}: ${e.text}`);
          break;
        case 'tool':
          this.progress(`${e.name} ${e.status}`);
          break;
        case 'file_changed':
          if (this.files.size < MAX_FILES) this.files.add(e.path);
          this.progress(`changed ${e.path}`);
          break;
        case 'usage':
          // inputTokens is the whole prompt: uncached + cache reads + cache writes (the cost prices each kind).
          this.usage.input += e.input;
          this.usage.output += e.output;
          this.usage.cacheRead += e.cacheRead;
          this.usage.cacheWrite += e.cacheWrite;
          this.o.emit({ type: 'usage', usage: { inputTokens: e.input + e.cacheRead + e.cacheWrite, outputTokens: e.output } });
          break;
        case 'cost':
          this.usage.costUsd += e.usd;
          if (this.usage.costSource !== 'reported') this.usage.costSource = e.source;
          this.o.emit({ type: 'usage', usage: { costUsd: e.usd } });
          break;
        case 'finished':
          if (this.finished !== null) break;
          this.finished = e;
          this.o.terminal();
          break;
      }
    }
  }

  private progress(text: string): void {
    const first = text.trim().split('\n', 1)[0] ?? '';
    this.o.emit({ type: 'progress', message: first.length > PROGRESS_CHARS ? `${first.slice(0, PROGRESS_CHARS - 1)}…` : first });
  }
}
