/**
 * Normalised events that the preset stream parsers (Claude Code, Codex CLI, Gemini CLI, Aider) turn a coding
 * agent's stdout into. A parser is pure: it sees one raw line at a time and never spawns, reads files or throws.
 * The caller keeps every raw line; the events are a summary of them. See docs/agents.md.
 */

/** Who a `message` comes from. `reasoning` is a model's thinking summary; `error`/`warning` are the tool's own notices; `info` is a status line (e.g. an Aider commit). */
export type MessageRole = 'assistant' | 'reasoning' | 'error' | 'warning' | 'info';

export type ToolStatus = 'started' | 'completed' | 'failed';

/**
 * Token counts of one report. They are INCREMENTS for this attempt: adding up every `usage` event of a parser
 * gives the attempt's total. `input` excludes cached tokens: `cacheRead` are input tokens served from a prompt
 * cache, `cacheWrite` input tokens written to one (the Anthropic convention; OpenAI and Gemini counts are
 * converted to it).
 */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export type AgentEvent =
  /** The tool's own session / thread id, to resume or look the run up later. */
  | { type: 'started'; sessionId: string }
  | { type: 'message'; text: string; role?: MessageRole }
  /** A tool call. `completed`/`failed` follow a `started` with the same id (a parser makes one up when the tool did not report it). */
  | { type: 'tool'; name: string; status: ToolStatus; id?: string }
  /** A file the agent changed (reported once the change succeeded). `kind` is the tool's word: add/update/delete (Codex), write/edit. */
  | { type: 'file_changed'; path: string; kind?: string }
  | ({ type: 'usage' } & TokenUsage)
  /** USD spent, an increment like `usage`: `reported` by the tool itself, or `estimated` from the price table. */
  | { type: 'cost'; usd: number; source: 'reported' | 'estimated' }
  /**
   * The end of the run, at most once per parser: from the tool's terminal event, else from the exit code in
   * `end()`. `reason` is the tool's word (e.g. `success`, `error_max_turns`, `turn_limit`, `exit_1`), `result`
   * the final answer on success or the error text on failure.
   */
  | { type: 'finished'; status: 'success' | 'error'; reason?: string; result?: string };

/** An incremental parser for one run of one agent CLI. */
export interface StreamParser {
  /** One stdout line (without its newline). Returns the events it stands for; never throws. */
  line(raw: string): AgentEvent[];
  /** The process ended (`null`: killed by a signal). Flushes what is buffered and emits `finished` if no terminal event was seen. */
  end(exitCode: number | null): AgentEvent[];
}
