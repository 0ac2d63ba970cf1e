/**
 * The second process of the API benchmark: an open-loop load generator (requests leave at a fixed rate,
 * whatever the answers do) or an SSE reader. Prints one JSON object on stdout.
 *   node load.js rate BASE TOKEN RATE SECONDS   -> POST /api/v1/tasks then GET /api/v1/tasks/{id}, latencies
 *   node load.js sse BASE TOKEN EXPECTED         -> reads /api/v1/events until EXPECTED events arrived
 */
import { Agent, request } from 'node:http';

const [mode, base, token, a, b] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: 32 });
const url = new URL(base);

function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: url.hostname, port: url.port, method, path, agent, headers: { authorization: `Bearer ${token}`, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] * 1000) / 1000;
}

async function rate(perSecond: number, seconds: number): Promise<void> {
  const post: number[] = [];
  const get: number[] = [];
  let errors = 0;
  const pending: Promise<void>[] = [];
  const total = perSecond * seconds;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      (async () => {
        const p = await call('POST', '/api/v1/tasks', { title: `load ${i}` });
        post.push(p.ms);
        if (p.status !== 201) return void errors++;
        const id = (JSON.parse(p.body) as { tasks: { id: number }[] }).tasks[0].id;
        const g = await call('GET', `/api/v1/tasks/${id}`);
        get.push(g.ms);
        if (g.status !== 200) errors++;
      })().catch(() => void errors++),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  process.stdout.write(JSON.stringify({ requests: total * 2, rate_per_s: perSecond, achieved_post_per_s: Math.round(total / elapsed), errors, post_p50_ms: pct(post, 50), post_p99_ms: pct(post, 99), get_p50_ms: pct(get, 50), get_p99_ms: pct(get, 99) }) + '\n');
}

async function sse(expected: number): Promise<void> {
  const start = performance.now();
  let received = 0;
  let buffer = '';
  const perSecond: number[] = [];
  let windowStart = start;
  let windowCount = 0;
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: '/api/v1/events?after=0', headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        const parts = buffer.split('\n\n');
        buffer = parts.pop() ?? '';
        for (const p of parts) if (p.startsWith('id: ')) {
          received++;
          windowCount++;
        }
        const now = performance.now();
        if (now - windowStart >= 1000) {
          perSecond.push(Math.round((windowCount * 1000) / (now - windowStart)));
          windowStart = now;
          windowCount = 0;
        }
        if (received >= expected) {
          req.destroy();
          resolve();
        }
      });
    });
    req.on('error', (e) => (received >= expected ? resolve() : reject(e)));
    req.end();
  });
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(JSON.stringify({ events: received, seconds: Math.round(seconds * 1000) / 1000, events_per_s: Math.round(received / seconds), per_second_windows: perSecond }) + '\n');
}

if (mode === 'rate') await rate(Number(a), Number(b));
else await sse(Number(a));
agent.destroy();
