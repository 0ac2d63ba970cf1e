import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { HIVE_BIN, ROOT } from '../helpers/hive.js';

/** `hive model-server`: prints where it listens and how to point each CLI at it, serves, stops on SIGTERM. */

test('hive model-server --script FILE --port 0: the URL, the client setup, one line per request, SIGTERM stops it', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [HIVE_BIN, 'model-server', '--script', join(ROOT, 'test/fixtures/model-scripts/write-and-run.yaml'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    rl.on('line', (l) => {
      lines.push(l);
      const m = /^model server on (http:\/\/127\.0\.0\.1:\d+)$/.exec(l);
      if (m) resolve(m[1]);
    });
    child.on('close', () => reject(new Error(`exited early:\n${lines.join('\n')}`)));
  });
  try {
    const res = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [{ name: 'Write' }] }),
    });
    assert.equal(((await res.json()) as { content: { text: string }[] }).content[0].text, 'I will write the file.');
    await new Promise((r) => setTimeout(r, 200));
    const out = lines.join('\n');
    assert.match(out, /script .*write-and-run\.yaml: 3 turn\(s\), one cursor per conversation, then "done"/);
    assert.match(out, new RegExp(`ANTHROPIC_BASE_URL=${url} ANTHROPIC_API_KEY=x CLAUDE_CONFIG_DIR="\\$DIR" IS_SANDBOX=1`));
    assert.match(out, /claude -p PROMPT --output-format stream-json --verbose --permission-mode bypassPermissions < \/dev\/null/);
    assert.match(out, new RegExp(`codex exec --json -s workspace-write --skip-git-repo-check .*'model_providers.hive.base_url="${url}/v1"'.*'model_provider="hive"' PROMPT < /dev/null`));
    assert.match(out, /echo '\{"security":\{"auth":\{"selectedType":"gemini-api-key"\}\}\}' > "\$DIR\/.gemini\/settings.json"/);
    assert.match(out, new RegExp(`GEMINI_CLI_HOME="\\$DIR" GOOGLE_GEMINI_BASE_URL=${url} GEMINI_API_KEY=x GEMINI_CLI_TRUST_WORKSPACE=true`));
    assert.match(out, /POST \/v1\/messages anthropic turn 0 \(conversation [0-9a-f]{8}\): 200$/m);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
  assert.equal(lines.at(-1), 'model server stopped');
});

test('hive model-server: a bad script or port is refused with VALIDATION_FAILED (exit 2)', () => {
  const bad = spawnSync(process.execPath, [HIVE_BIN, 'model-server', '--script', '/nonexistent.yaml'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error VALIDATION_FAILED: --script: cannot read \/nonexistent\.yaml/);
  const invalid = spawnSync(process.execPath, [HIVE_BIN, 'model-server', '--script', join(ROOT, 'package.json')], { encoding: 'utf8' });
  assert.equal(invalid.status, 2);
  assert.match(invalid.stderr, /^error VALIDATION_FAILED: invalid script .*package\.json: turns: /);
  const port = spawnSync(process.execPath, [HIVE_BIN, 'model-server', '--script', '/x.yaml', '--port', '70000'], { encoding: 'utf8' });
  assert.equal(port.status, 2);
  assert.match(port.stderr, /--port: expected an integer from 0 to 65535/);
  const missing = spawnSync(process.execPath, [HIVE_BIN, 'model-server'], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--script <file>/);
});
