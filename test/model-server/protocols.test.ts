import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isHiveError } from '../../src/core/errors.js';
import { createModelServer, loadScript, parseScript, type ModelServer } from '../../src/model-server/index.js';
import { ROOT } from '../helpers/hive.js';

/** The scripted model server over plain fetch: the three wire formats, the cursors, every fault. */

interface Sse {
  event?: string;
  data: Record<string, unknown>;
}

/** Splits an SSE body into events (`event:` and `data:` lines, blank-line separated, \n or \r\n). */
function parseSse(text: string): Sse[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim())
    .map((block) => {
      const lines = block.split(/\r?\n/);
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)) as Record<string, unknown>;
      return event === undefined ? { data } : { event, data };
    });
}

const servers: ModelServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(script: unknown): Promise<ModelServer> {
  const s = await createModelServer({ script });
  servers.push(s);
  return s;
}

/** The parsed JSON body of a response (tests read it loosely). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();

/** Settles to what happened, so a rejection is never left unhandled while the test waits. */
const settle = (p: Promise<unknown>): Promise<'answered' | 'failed'> => p.then(() => 'answered' as const, () => 'failed' as const);
const within = <T>(p: Promise<T>, ms: number, otherwise: string): Promise<T | string> => Promise.race([p, new Promise<string>((r) => setTimeout(() => r(otherwise), ms))]);

function post(server: ModelServer, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
}

/** Request bodies as the CLIs send them (trimmed to what the server reads). */
const claudeBody = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: 'claude-test',
  stream: true,
  system: [{ type: 'text', text: 'You are Claude Code.' }],
  messages: [{ role: 'user', content: [{ type: 'text', text: '<system-reminder>\nPrimary working directory: /work/repo\n</system-reminder>' }, { type: 'text', text: 'write hello.txt' }] }],
  tools: [{ name: 'Write', input_schema: {} }, { name: 'Bash', input_schema: {} }],
  ...over,
});
const codexBody = (tools: unknown[], over: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: 'gpt-test',
  stream: true,
  input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context><cwd>/work/repo</cwd></environment_context>' }] }],
  tools,
  ...over,
});
const geminiBody = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  contents: [{ role: 'user', parts: [{ text: '<session_context>/work/repo</session_context>' }] }],
  tools: [{ functionDeclarations: [{ name: 'write_file' }, { name: 'run_shell_command' }] }],
  ...over,
});
const GEMINI_STREAM = '/v1beta/models/gemini-test:streamGenerateContent?alt=sse';

const WRITE_AND_RUN = [
  {
    text: 'Writing.',
    tool_calls: [
      { name: 'write_file', args: { path: 'hello.txt', content: 'hi\n' } },
      { name: 'run_shell', args: { command: 'ls -l' } },
    ],
    usage: { input: 7, output: 3 },
  },
  { text: 'Finished.' },
];

describe('Anthropic Messages', () => {
  test('a streamed turn: the exact events, Write with an absolute path, Bash, usage and stop reason', async () => {
    const s = await serve(WRITE_AND_RUN);
    const res = await post(s, '/v1/messages?beta=true', claudeBody());
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const events = parseSse(await res.text());
    assert.deepEqual(
      events.map((e) => `${e.event}${e.data.type === e.event ? '' : ' MISMATCH'}`),
      ['message_start', 'ping', 'content_block_start', 'content_block_delta', 'content_block_stop', 'content_block_start', 'content_block_delta', 'content_block_stop',
        'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'],
    );
    const start = events[0].data.message as Record<string, unknown>;
    assert.equal(start.model, 'claude-test');
    assert.equal(start.role, 'assistant');
    assert.deepEqual(start.content, []);
    assert.equal((start.usage as Record<string, number>).input_tokens, 7);
    assert.deepEqual(events[2].data, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    assert.deepEqual(events[3].data, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Writing.' } });
    const write = events[5].data.content_block as Record<string, unknown>;
    assert.equal(write.type, 'tool_use');
    assert.equal(write.name, 'Write');
    assert.deepEqual(write.input, {});
    const writeDelta = events[6].data.delta as Record<string, string>;
    assert.equal(writeDelta.type, 'input_json_delta');
    assert.deepEqual(JSON.parse(writeDelta.partial_json), { file_path: '/work/repo/hello.txt', content: 'hi\n' });
    assert.equal((events[8].data.content_block as Record<string, unknown>).name, 'Bash');
    assert.equal(JSON.parse((events[9].data.delta as Record<string, string>).partial_json).command, 'ls -l');
    assert.deepEqual(events[11].data, { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 3 } });
    assert.notEqual(write.id, (events[8].data.content_block as Record<string, unknown>).id);

    const second = parseSse(await (await post(s, '/v1/messages', claudeBody())).text());
    assert.equal((second[3].data.delta as Record<string, string>).text, 'Finished.');
    assert.equal((second.at(-2)!.data.delta as Record<string, string>).stop_reason, 'end_turn');
    assert.deepEqual(s.requests.map((r) => [r.api, r.kind, r.turn, r.stream]), [['anthropic', 'turn', 0, true], ['anthropic', 'turn', 1, true]]);
  });

  test('a JSON (non-streamed) turn, count_tokens, a side request without tools, HEAD and an unknown route', async () => {
    const s = await serve(WRITE_AND_RUN);
    const side = await json(post(s, '/v1/messages', claudeBody({ stream: false, tools: undefined })));
    assert.equal(side.content[0].text, 'ok');
    const msg = await json(post(s, '/v1/messages', claudeBody({ stream: false })));
    assert.equal(msg.type, 'message');
    assert.equal(msg.stop_reason, 'tool_use');
    assert.deepEqual(msg.usage, { input_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 3 });
    assert.deepEqual(msg.content.map((c: { type: string; name?: string }) => c.name ?? c.type), ['text', 'Write', 'Bash']);
    assert.deepEqual(msg.content[1].input, { file_path: '/work/repo/hello.txt', content: 'hi\n' });
    const count = await json(post(s, '/v1/messages/count_tokens', claudeBody()));
    assert.ok(Number.isInteger(count.input_tokens) && count.input_tokens > 0);
    assert.equal((await fetch(`${s.url}/api/hello`, { method: 'HEAD' })).status, 200);
    const unknown = await fetch(`${s.url}/api/oauth/profile`);
    assert.equal(unknown.status, 404);
    assert.equal((await json(unknown)).error.type, 'not_found_error');
    assert.deepEqual(s.requests.map((r) => `${r.kind}:${r.turn ?? '-'}:${r.status}`), ['side:-:200', 'turn:0:200', 'count_tokens:-:200', 'probe:-:200', 'unknown:-:404']);
  });

  test('a body that is not JSON is a 400 in the API\'s error shape', async () => {
    const s = await serve([]);
    const res = await fetch(`${s.url}/v1/messages`, { method: 'POST', body: 'not json' });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { type: 'error', error: { type: 'invalid_request_error', message: 'the request body is not a JSON object' } });
  });
});

describe('OpenAI Responses', () => {
  const CODEX_TOOLS = [
    { type: 'function', name: 'exec_command', parameters: {} },
    { type: 'custom', name: 'apply_patch', format: {} },
  ];

  test('a streamed turn: the exact events, apply_patch as a custom tool call, exec_command, sequence numbers, usage', async () => {
    const s = await serve(WRITE_AND_RUN);
    const res = await post(s, '/v1/responses', codexBody(CODEX_TOOLS));
    assert.equal(res.status, 200);
    const events = parseSse(await res.text());
    assert.deepEqual(events.map((e) => e.event), [
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.custom_tool_call_input.delta', 'response.custom_tool_call_input.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done',
      'response.completed',
    ]);
    events.forEach((e, i) => {
      assert.equal(e.data.type, e.event);
      assert.equal(e.data.sequence_number, i);
    });
    assert.equal((events[0].data.response as Record<string, unknown>).status, 'in_progress');
    assert.equal(events[4].data.delta, 'Writing.');
    const patch = events[11].data.item as Record<string, unknown>;
    assert.equal(patch.type, 'custom_tool_call');
    assert.equal(patch.name, 'apply_patch');
    assert.equal(patch.status, 'completed');
    assert.equal(patch.input, '*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n');
    assert.equal(events[9].data.delta, patch.input);
    const exec = events[15].data.item as Record<string, unknown>;
    assert.equal(exec.type, 'function_call');
    assert.equal(exec.name, 'exec_command');
    assert.deepEqual(JSON.parse(exec.arguments as string), { cmd: 'ls -l' });
    assert.equal(events[14].data.arguments, exec.arguments);
    assert.notEqual(exec.call_id, patch.call_id);
    const done = events.at(-1)!.data.response as Record<string, unknown>;
    assert.equal(done.status, 'completed');
    assert.equal((done.output as unknown[]).length, 3);
    assert.deepEqual(done.usage, { input_tokens: 7, input_tokens_details: { cached_tokens: 0 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 10 });
  });

  test('Codex code mode (tools in an additional_tools item): one JavaScript exec call per tool', async () => {
    const s = await serve(WRITE_AND_RUN);
    const body = codexBody([], {
      tools: undefined,
      input: [
        { type: 'additional_tools', role: 'developer', tools: [{ type: 'namespace', name: 'functions', tools: [{ type: 'custom', name: 'exec' }, { type: 'function', name: 'wait' }] }] },
        ...(codexBody([]).input as unknown[]),
      ],
    });
    const events = parseSse(await (await post(s, '/v1/responses', body)).text());
    const calls = events.filter((e) => e.event === 'response.output_item.done').map((e) => e.data.item as Record<string, string>).filter((i) => i.type !== 'message');
    assert.deepEqual(calls.map((c) => [c.type, c.name]), [['custom_tool_call', 'exec'], ['custom_tool_call', 'exec']]);
    assert.match(calls[0].input, /^text\(await tools\.apply_patch\(".*\*\*\* Add File: hello\.txt\\n\+hi\\n.*"\)\);\n$/);
    assert.equal(calls[1].input, 'text(await tools.exec_command({ cmd: "ls -l" }));\n');
  });

  test('older tool sets: shell {command: argv}, apply_patch as a function; a non-streamed response', async () => {
    const s = await serve(WRITE_AND_RUN);
    const body = codexBody([{ type: 'function', name: 'shell' }, { type: 'function', name: 'apply_patch' }], { stream: false });
    const out = await json(post(s, '/v1/responses', body));
    assert.equal(out.object, 'response');
    assert.equal(out.status, 'completed');
    assert.deepEqual(out.output.map((i: { type: string; name?: string }) => i.name ?? i.type), ['message', 'apply_patch', 'shell']);
    assert.equal(JSON.parse(out.output[1].arguments).input, '*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n');
    assert.deepEqual(JSON.parse(out.output[2].arguments), { command: ['bash', '-lc', 'ls -l'] });
    assert.equal(out.output[0].content[0].text, 'Writing.');
  });

  test('an unknown tool name passes through; a request without tools is a side request', async () => {
    const s = await serve([{ tool_calls: [{ name: 'view_image', args: { path: 'a.png' } }] }]);
    const side = await json(post(s, '/v1/responses', codexBody([], { stream: false, tools: [] })));
    assert.equal(side.output[0].content[0].text, 'ok');
    const out = await json(post(s, '/v1/responses', codexBody([{ type: 'function', name: 'view_image' }], { stream: false })));
    assert.equal(out.output[0].name, 'view_image');
    assert.deepEqual(JSON.parse(out.output[0].arguments), { path: 'a.png' });
  });
});

describe('Gemini', () => {
  test('a streamed turn: one data event per part, \\r\\n\\r\\n framing, STOP and usage on the last', async () => {
    const s = await serve(WRITE_AND_RUN);
    const res = await post(s, GEMINI_STREAM, geminiBody());
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(text.endsWith('}\r\n\r\n'));
    const events = parseSse(text);
    assert.equal(events.length, 3);
    assert.ok(events.every((e) => e.event === undefined));
    const parts = events.map((e) => ((e.data.candidates as Record<string, unknown>[])[0].content as { role: string; parts: unknown[] }));
    assert.ok(parts.every((c) => c.role === 'model' && c.parts.length === 1));
    assert.deepEqual(parts.map((c) => c.parts[0]), [
      { text: 'Writing.' },
      { functionCall: { name: 'write_file', args: { file_path: 'hello.txt', content: 'hi\n' } } },
      { functionCall: { name: 'run_shell_command', args: { command: 'ls -l' } } },
    ]);
    const finish = events.map((e) => (e.data.candidates as Record<string, unknown>[])[0].finishReason);
    assert.deepEqual(finish, [undefined, undefined, 'STOP']);
    assert.deepEqual(events.map((e) => e.data.usageMetadata), [undefined, undefined, { promptTokenCount: 7, candidatesTokenCount: 3, totalTokenCount: 10 }]);
    assert.ok(events.every((e) => e.data.modelVersion === 'gemini-test' && e.data.responseId === events[0].data.responseId));
  });

  test('generateContent: a scripted turn as one response; a JSON side request (the model router) gets a document of its schema; countTokens', async () => {
    const s = await serve(WRITE_AND_RUN);
    const router = await json(post(s, '/v1beta/models/flash:generateContent', {
      contents: [{ role: 'user', parts: [{ text: 'route this' }] }],
      generationConfig: { responseMimeType: 'application/json', responseJsonSchema: { type: 'OBJECT', properties: { complexity_reasoning: { type: 'STRING' }, complexity_score: { type: 'INTEGER' } } } },
    }));
    assert.deepEqual(JSON.parse(router.candidates[0].content.parts[0].text), { complexity_reasoning: 'scripted', complexity_score: 1 });
    const turn = await json(post(s, '/v1beta/models/pro:generateContent', geminiBody()));
    assert.equal(turn.candidates[0].finishReason, 'STOP');
    assert.equal(turn.candidates[0].content.parts.length, 3);
    assert.equal(turn.modelVersion, 'pro');
    const count = await json(post(s, '/v1beta/models/pro:countTokens', geminiBody()));
    assert.ok(count.totalTokens > 0);
    assert.deepEqual(s.requests.map((r) => `${r.kind}:${r.turn ?? '-'}`), ['side:-', 'turn:0', 'count_tokens:-']);
  });
});

describe('cursors', () => {
  test('one cursor per conversation (the first user message); `done` when the script is used up', async () => {
    const s = await serve([{ text: 'one' }, { text: 'two' }]);
    const text = async (body: Record<string, unknown>): Promise<string> => (await json(post(s, '/v1/messages', { ...body, stream: false }))).content[0].text;
    const a = claudeBody();
    const b = claudeBody({ messages: [{ role: 'user', content: 'another conversation' }] });
    assert.equal(await text(a), 'one');
    assert.equal(await text(b), 'one');
    assert.equal(await text({ ...a, messages: [...(a.messages as unknown[]), { role: 'assistant', content: 'one' }, { role: 'user', content: 'go on' }] }), 'two');
    assert.equal(await text(a), 'done');
    assert.equal(await text(b), 'two');
    const [r1, r2] = s.requests;
    assert.notEqual(r1.conversation, r2.conversation);
    assert.equal(s.requests[3].turn, null);
  });

  test('cursor: global shares one cursor across conversations and APIs; times repeats a turn; done is configurable', async () => {
    const s = await serve({ cursor: 'global', done: 'the end', turns: [{ text: 'twice', times: 2 }, { text: 'once' }] });
    const claude = async (): Promise<string> => (await json(post(s, '/v1/messages', claudeBody({ stream: false })))).content[0].text;
    const codex = async (): Promise<string> => (await json(post(s, '/v1/responses', codexBody([{ type: 'function', name: 'exec_command' }], { stream: false })))).output[0].content[0].text;
    assert.deepEqual([await claude(), await codex(), await codex(), await claude()], ['twice', 'twice', 'once', 'the end']);
    assert.ok(s.requests.every((r) => r.conversation === 'global'));
  });

  test('a YAML script file: flaky-api.yaml', async () => {
    const script = loadScript(join(ROOT, 'test/fixtures/model-scripts/flaky-api.yaml'));
    assert.equal(script.cursor, 'global');
    const s = await serve(script);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(s, GEMINI_STREAM, geminiBody())).status);
    assert.deepEqual(statuses, [429, 500, 200, 200]);
    const last = await json(post(s, '/v1beta/models/x:generateContent', geminiBody()));
    assert.equal(last.candidates[0].content.parts[0].text, 'nothing left to do');
  });
});

describe('faults', () => {
  const apis = [
    { name: 'anthropic', path: '/v1/messages', body: claudeBody() },
    { name: 'openai', path: '/v1/responses', body: codexBody([{ type: 'function', name: 'exec_command' }]) },
    { name: 'gemini', path: GEMINI_STREAM, body: geminiBody() },
  ];

  test('rate_limit: 429, retry-after, the API\'s error body; error: 500; then the next turn', async () => {
    const expected: Record<string, [unknown, unknown]> = {
      anthropic: [
        { type: 'error', error: { type: 'rate_limit_error', message: 'Scripted rate limit: try again later.' } },
        { type: 'error', error: { type: 'api_error', message: 'Scripted internal server error.' } },
      ],
      openai: [
        { error: { message: 'Scripted rate limit: try again later.', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
        { error: { message: 'Scripted internal server error.', type: 'server_error', param: null, code: null } },
      ],
      gemini: [
        { error: { code: 429, message: 'Scripted rate limit: try again later.', status: 'RESOURCE_EXHAUSTED' } },
        { error: { code: 500, message: 'Scripted internal server error.', status: 'INTERNAL' } },
      ],
    };
    for (const api of apis) {
      const s = await serve([{ fault: 'rate_limit', retry_after: 7 }, { fault: 'error' }, { text: 'fine' }]);
      const limited = await post(s, api.path, api.body);
      assert.equal(limited.status, 429, api.name);
      assert.equal(limited.headers.get('retry-after'), '7');
      assert.deepEqual(await limited.json(), expected[api.name][0]);
      const failed = await post(s, api.path, api.body);
      assert.equal(failed.status, 500);
      assert.equal(failed.headers.get('retry-after'), null);
      assert.deepEqual(await failed.json(), expected[api.name][1]);
      const ok = await post(s, api.path, api.body);
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /fine/);
      assert.deepEqual(s.requests.map((r) => [r.fault, r.status]), [['rate_limit', 429], ['error', 500], [undefined, 200]]);
    }
  });

  test('down: the connection is closed without an answer, as often as `times` says', async () => {
    for (const api of apis) {
      const s = await serve([{ fault: 'down', times: 2 }, { text: 'back' }]);
      await assert.rejects(post(s, api.path, api.body), TypeError);
      await assert.rejects(post(s, api.path, api.body), TypeError);
      assert.equal((await post(s, api.path, api.body)).status, 200);
      assert.deepEqual(s.requests.map((r) => r.status), [undefined, undefined, 200]);
    }
  });

  test('hang: no headers ever; stall: headers and the first event, then nothing; close() drops both', async () => {
    const firstEvent: Record<string, string> = { anthropic: 'message_start', openai: 'response.created', gemini: 'candidates' };
    for (const api of apis) {
      const s = await createModelServer({ script: [{ fault: 'hang' }, { fault: 'stall' }, { fault: 'hang', times: 'forever' }] });
      const hung = settle(post(s, api.path, api.body));
      assert.equal(await within(hung, 300, 'still waiting'), 'still waiting', api.name);

      const stalled = await post(s, api.path, api.body);
      assert.equal(stalled.status, 200);
      const reader = stalled.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      assert.match(first, new RegExp(firstEvent[api.name]));
      assert.equal(parseSse(first).length, 1);
      const more = settle(reader.read());
      assert.equal(await within(more, 300, 'nothing'), 'nothing');

      const forever = [settle(post(s, api.path, api.body)), settle(post(s, api.path, api.body))];
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(s.requests.map((r) => r.turn), [0, 1, 2, 2]);
      const started = Date.now();
      await s.close(); // must not wait for the hung requests
      assert.ok(Date.now() - started < 2_000);
      assert.equal(await hung, 'failed');
      assert.equal(await more, 'failed');
      assert.deepEqual(await Promise.all(forever), ['failed', 'failed']);
    }
  });

  test('delay_ms waits before answering', async () => {
    const s = await serve([{ text: 'slow', delay_ms: 250 }]);
    const started = Date.now();
    const res = await post(s, GEMINI_STREAM, geminiBody());
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started >= 240);
  });
});

describe('script validation', () => {
  const invalid = (doc: unknown, path: string): void => {
    assert.throws(
      () => parseScript(doc),
      (err: unknown) => isHiveError(err, 'VALIDATION_FAILED') && (err.details?.issues as { path: string }[])[0].path === path,
      JSON.stringify(doc),
    );
  };

  test('a list of turns or an object; defaults', () => {
    assert.deepEqual(parseScript([{ text: 'a' }]), { cursor: 'conversation', done: 'done', turns: [{ text: 'a' }] });
    assert.deepEqual(parseScript({ turns: [{ tool_calls: [{ name: 'Read' }] }] }).turns[0].tool_calls, [{ name: 'Read', args: {} }]);
    assert.equal(parseScript({ turns: [], cursor: 'global', done: 'bye' }).done, 'bye');
  });

  test('every mistake names its field', () => {
    invalid('nope', '');
    invalid([{}], 'turns.0');
    invalid([{ text: 'a', bogus: 1 }], 'turns.0');
    invalid([{ fault: 'explode' }], 'turns.0.fault');
    invalid([{ text: 'a', times: 0 }], 'turns.0.times');
    invalid([{ text: 'a', usage: { input: -1, output: 0 } }], 'turns.0.usage.input');
    invalid([{ tool_calls: [{ name: 'write_file', args: { path: 'a' } }] }], 'turns.0.tool_calls.0.args.content');
    invalid([{ tool_calls: [{ name: 'run_shell', args: { command: ['ls'] } }] }], 'turns.0.tool_calls.0.args.command');
    invalid({ turns: [], cursor: 'thread' }, 'cursor');
  });

  test('loadScript: a missing file and a file that is not YAML', () => {
    assert.throws(() => loadScript('/nonexistent/script.yaml'), /cannot read \/nonexistent\/script\.yaml/);
    assert.throws(() => loadScript(join(ROOT, 'test/fixtures/model-scripts')), /cannot read/);
  });
});
