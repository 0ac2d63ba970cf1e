/**
 * Aider: `aider --message PROMPT --yes-always --no-stream --no-pretty`, plain text. The parser picks out the
 * usage report (`Tokens: … sent, … received. Cost: $… message, $… session.`), `Applied edit to FILE` and
 * `Commit HASH MESSAGE` lines; every other line is left to the raw log. Aider has no terminal line, so the
 * outcome comes from the exit code. Formats and sources: docs/agents.md.
 */
import type { AgentEvent, StreamParser } from './events.js';
import { finishFromExit, guarded } from './shared.js';

export type AiderParserOptions = Record<string, never>;

const NUM = String.raw`(\d[\d,]*(?:\.\d+)?[kKmM]?)`;
/** Current form (k suffixes, optional cache write/hit) and the older one (`1,234 sent, 100 cached, 56 received.`). */
const TOKENS = new RegExp(String.raw`^Tokens: ${NUM} sent(?:, ${NUM} cache write)?(?:, ${NUM} cache hit)?(?:, ${NUM} cached)?, ${NUM} received\.(.*)$`);
/** `message` in current Aider, `request` in older versions; on its own line when both cache counts are shown. */
const COST = /^Cost: \$(\d[\d,]*(?:\.\d+)?) (?:message|request), \$\d[\d,]*(?:\.\d+)? session\./;
const APPLIED = /^Applied edit to (.+)$/;
const COMMIT = /^Commit [0-9a-f]{7,40} \S/;
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

/** `2.3k` → 2300, `1,234` → 1234, `1.5M` → 1500000. */
export function parseTokenCount(s: string | undefined): number {
  if (s === undefined) return 0;
  const m = /^([\d,]+(?:\.\d+)?)([kKmM]?)$/.exec(s);
  if (!m) return 0;
  const n = Number(m[1].replace(/,/g, ''));
  const scale = m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1e3 : 1e6;
  const tokens = Math.round(n * scale);
  return Number.isSafeInteger(tokens) ? tokens : 0;
}

function pushCost(out: AgentEvent[], amount: string): void {
  const usd = Number(amount.replace(/,/g, ''));
  if (Number.isFinite(usd) && usd > 0) out.push({ type: 'cost', usd, source: 'reported' });
}

export function createAiderParser(_opts: AiderParserOptions = {}): StreamParser {
  let finished = false;

  return {
    line(raw) {
      return guarded((out) => {
        const line = raw.replace(ANSI, '').trim();
        const tokens = TOKENS.exec(line);
        if (tokens) {
          const [, sent, write, hit, cached, received, rest] = tokens;
          const cacheWrite = parseTokenCount(write);
          const cacheRead = parseTokenCount(hit) + parseTokenCount(cached);
          // "sent" is the whole prompt: Aider adds the cache writes to it and the provider's count includes cache hits.
          const input = Math.max(0, parseTokenCount(sent) - cacheWrite - cacheRead);
          const output = parseTokenCount(received);
          if (input + output + cacheRead + cacheWrite > 0) out.push({ type: 'usage', input, output, cacheRead, cacheWrite });
          const cost = COST.exec(rest.trim());
          if (cost) pushCost(out, cost[1]);
          return;
        }
        const cost = COST.exec(line);
        if (cost) return pushCost(out, cost[1]);
        const applied = APPLIED.exec(line);
        if (applied) return void out.push({ type: 'file_changed', path: applied[1].trim(), kind: 'edit' });
        if (COMMIT.test(line)) out.push({ type: 'message', text: line, role: 'info' });
      });
    },
    end(exitCode) {
      if (finished) return [];
      finished = true;
      return [finishFromExit(exitCode)];
    },
  };
}
