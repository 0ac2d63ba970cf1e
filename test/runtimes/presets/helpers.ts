import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AgentEvent, StreamParser } from '../../../src/runtimes/presets/events.js';

/** test/fixtures/streams/, from the compiled test in dist/test/runtimes/presets/. */
export const STREAMS = fileURLToPath(new URL('../../../../test/fixtures/streams/', import.meta.url));

export function fixtureLines(name: string): string[] {
  return readFileSync(STREAMS + name, 'utf8').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Feeds every line of a recorded stream to `parser`, then ends it with `exitCode`; returns all events in order. */
export function replay(parser: StreamParser, name: string, exitCode: number | null): AgentEvent[] {
  const events: AgentEvent[] = [];
  for (const line of fixtureLines(name)) events.push(...parser.line(line));
  events.push(...parser.end(exitCode));
  return events;
}
