import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/http/app.js';
import { createToken } from '../../src/http/auth.js';
import { testHive, waitFor } from '../helpers/hive.js';

interface Sse {
  events: { id: number; type: string }[];
  text: string;
  close: () => void;
}

/** Reads an SSE stream over a real socket until closed. */
async function open(url: string, headers: Record<string, string>): Promise<Sse> {
  const ctl = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ctl.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const out: Sse = { events: [], text: '', close: () => ctl.abort() };
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        out.text += dec.decode(value, { stream: true });
        const blocks = out.text.split('\n\n');
        out.events = blocks.filter((b) => b.includes('id: ')).map((b) => ({ id: Number(/id: (\d+)/.exec(b)![1]), type: /event: (\S+)/.exec(b)![1] }));
      }
    } catch {
      // aborted
    }
  })();
  return out;
}

test('SSE: live events, a filter, heartbeats, and Last-Event-ID resumes with no gap and no duplicate', async () => {
  const { hive, cleanup } = await testHive();
  const app = await buildApp(hive, { heartbeatMs: 50 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  const base = `http://127.0.0.1:${addr.port}/api/v1/events`;
  const streams: Sse[] = [];
  try {
    const { token } = await createToken(hive.store, 'viewer', 'sse');
    const start = await hive.store.lastEventSeq();
    const auth = { authorization: `Bearer ${token}` };
    const first = await open(base, auth);
    streams.push(first);
    const filtered = await open(`${base}?types=task.cancelled`, auth);
    streams.push(filtered);
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 10; i++) await hive.enqueue({ title: `t${i}` });
    await waitFor(() => first.events.length >= 10, 5_000, 'ten events');
    first.close();
    const seen = first.events.slice(0, 6); // pretend the client died after 6
    for (let i = 10; i < 20; i++) await hive.enqueue({ title: `t${i}` });
    await hive.cancel((await hive.listTasks({ limit: 1 }))[0].id);
    const resumed = await open(base, { ...auth, 'last-event-id': String(seen.at(-1)!.id) });
    streams.push(resumed);
    const all = await hive.events(start, 1000);
    await waitFor(() => resumed.events.length >= all.length - 6, 5_000, 'the rest');
    const ids = [...seen, ...resumed.events].map((e) => e.id);
    assert.deepEqual(ids, all.map((e) => e.seq), 'exactly the log, in order, once');
    await waitFor(() => filtered.events.length === 1, 5_000, 'the filtered event');
    assert.equal(filtered.events[0].type, 'task.cancelled');
    await waitFor(() => resumed.text.includes(': heartbeat'), 2_000, 'a heartbeat');
    resumed.close();
    filtered.close();
    const bad = await fetch(base, { headers: { ...auth, accept: 'text/event-stream', 'last-event-id': 'abc' } });
    assert.equal(bad.status, 400);
  } finally {
    for (const s of streams) s.close();
    await app.close();
    await cleanup();
  }
});
