import type { RunOutcome, RuntimeEvent } from '../../core/runtime.js';
import { LineSplitter } from '../lines.js';
import { usageFromWire } from '../outcomes.js';
import type { AttemptOutput, EndedHow } from './attempt.js';

export interface OutputSummary {
  /** The last stdout line that parsed as a JSON object or array (not a protocol line). */
  result?: unknown;
  /** The stdout tail, trimmed, when there is no result and stdout was not blank. */
  output?: string;
  /** The last non-blank stderr line ('' if none), to explain a failure. */
  lastStderr: string;
}

/**
 * What a command agent's output means (docs/worker-protocol.md, "Command agents"):
 * - every stdout and stderr line is a `log` event;
 * - a stdout line holding a JSON object with a string `hive` field is a protocol line and never a result:
 *   `{"hive":"progress","pct":40,"message":"..."}` is a progress event, `{"hive":"usage","input_tokens":..,
 *   "output_tokens":..,"cost_usd":..}` a usage event (increments), `{"hive":"done"}` says the result is final
 *   (the exit grace starts: a program still running after it is killed and completes); other `hive` kinds are
 *   reserved and ignored;
 * - the result is the last other stdout line that parses as a JSON object or array (so a stray `true` or `42`
 *   printed by a script is not mistaken for one);
 * - without a result, the output is the last `tailBytes` bytes of stdout.
 */
export class CommandOutput implements AttemptOutput {
  private result: unknown = undefined;
  private hasResult = false;
  private lastStderr = '';
  private tail: Buffer[] = [];
  private tailSize = 0;
  // Created on first output: most fast commands print little or nothing.
  private stdoutLines: LineSplitter | null = null;
  private stderrLines: LineSplitter | null = null;

  constructor(
    private readonly emit: (e: RuntimeEvent) => void,
    private readonly tailBytes: number,
    /** The program ran through /bin/sh (exit 126/127 then mean it could not be started). */
    private readonly shell = false,
    /** Called on a `{"hive":"done"}` line. */
    private readonly onDone: () => void = () => {},
  ) {}

  stdout(chunk: Buffer): void {
    this.tail.push(chunk);
    this.tailSize += chunk.length;
    while (this.tail.length > 1 && this.tailSize - this.tail[0].length >= this.tailBytes) this.tailSize -= this.tail.shift()!.length;
    (this.stdoutLines ??= new LineSplitter((line) => this.onStdoutLine(line))).push(chunk);
  }

  stderr(chunk: Buffer): void {
    (this.stderrLines ??= new LineSplitter((line) => this.onStderrLine(line))).push(chunk);
  }

  /** Exit code 0 is success; after `{"hive":"done"}` a program Hive had to kill (`kept`) succeeds too. */
  finish(code: number | null, signal: NodeJS.Signals | null, how: EndedHow): RunOutcome {
    const out = this.summary();
    const base = { exitCode: code, signal, result: out.result, output: out.output };
    const detail = out.lastStderr === '' ? '' : `: ${out.lastStderr}`;
    if (how !== 'exited') return { ...base, ok: how === 'kept' };
    if (code === 0) return { ...base, ok: true };
    if (signal !== null) return { ...base, ok: false, code: 'TASK_FAILED', error: `killed by ${signal}${detail}` };
    if (this.shell && (code === 126 || code === 127)) {
      // The shell's way of saying it could not find (127) or execute (126) the program.
      return { ...base, ok: false, code: 'SPAWN_FAILED', error: `the shell could not start the command (exit code ${code})${detail}` };
    }
    return { ...base, ok: false, code: 'TASK_FAILED', error: `exit code ${code}${detail}` };
  }

  /** Delivers the unterminated last lines, then sums up. */
  private summary(): OutputSummary {
    this.stdoutLines?.end();
    this.stderrLines?.end();
    if (this.hasResult) return { result: this.result, lastStderr: this.lastStderr };
    const output = this.tailText();
    return output === '' ? { lastStderr: this.lastStderr } : { output, lastStderr: this.lastStderr };
  }

  private onStdoutLine(line: string): void {
    this.emit({ type: 'log', stream: 'stdout', line });
    const t = line.trimStart();
    if (t[0] !== '{' && t[0] !== '[') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (!Array.isArray(value) && typeof (value as { hive?: unknown }).hive === 'string') {
      this.onProtocolLine(value as Record<string, unknown>);
      return;
    }
    this.result = value;
    this.hasResult = true;
  }

  private onProtocolLine(o: Record<string, unknown>): void {
    if (o.hive === 'progress') {
      this.emit({
        type: 'progress',
        pct: typeof o.pct === 'number' ? o.pct : undefined,
        message: typeof o.message === 'string' ? o.message : undefined,
      });
    } else if (o.hive === 'usage') {
      const usage = usageFromWire(o);
      if (usage !== null) this.emit({ type: 'usage', usage });
    } else if (o.hive === 'done') {
      this.onDone();
    }
  }

  private onStderrLine(line: string): void {
    this.emit({ type: 'log', stream: 'stderr', line });
    if (line.trim() !== '') this.lastStderr = line.trim();
  }

  private tailText(): string {
    if (this.tailSize === 0) return '';
    let buf = Buffer.concat(this.tail, this.tailSize);
    if (buf.length > this.tailBytes) {
      let start = buf.length - this.tailBytes;
      while (start < buf.length && (buf[start] & 0xc0) === 0x80) start++; // don't start inside a UTF-8 sequence
      buf = buf.subarray(start);
    }
    return buf.toString('utf8').trim();
  }
}
