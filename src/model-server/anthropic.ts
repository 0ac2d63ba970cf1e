import { anthropicToolCall } from './tools.js';
import { namedFrame, textOf, type ErrorKind, type Ids, type Reply, type SseEvent, type WireApi } from './wire.js';

/**
 * The Anthropic Messages API (`POST /v1/messages`), as Claude Code calls it. A streamed answer is
 * `message_start`, `ping`, then per content block `content_block_start`, one `content_block_delta`
 * (`text_delta` or `input_json_delta`) and `content_block_stop`, then `message_delta` (stop_reason, usage) and
 * `message_stop`. Each event is `event: TYPE` + `data: {"type": TYPE, …}`.
 */

/** Claude Code's system prompt names the working directory; Write needs an absolute path. */
function workdirOf(body: Record<string, unknown>): string | null {
  const m = /Primary working directory: ([^\n"\\]+)/.exec(JSON.stringify([body.system, body.messages]).replace(/\\n/g, '\n'));
  return m ? m[1].trim() : null;
}

interface Block {
  type: 'text' | 'tool_use';
  text?: string;
  id?: string;
  name?: string;
  input?: Record<string, unknown>;
}

function blocksOf(reply: Reply, body: Record<string, unknown>, ids: Ids): Block[] {
  const blocks: Block[] = [];
  if (reply.text !== undefined) blocks.push({ type: 'text', text: reply.text });
  const workdir = reply.calls.length ? workdirOf(body) : null;
  for (const call of reply.calls) blocks.push({ type: 'tool_use', id: ids.next('toolu_hive_'), ...anthropicToolCall(call, workdir) });
  return blocks;
}

const stopReason = (reply: Reply): string => (reply.calls.length ? 'tool_use' : 'end_turn');

function usage(reply: Reply, output: number): Record<string, number> {
  return { input_tokens: reply.usage.input, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: output };
}

export const anthropic: WireApi = {
  name: 'anthropic',
  isScripted: (body) => Array.isArray(body.tools) && body.tools.length > 0,
  conversationKey(body) {
    const first = Array.isArray(body.messages) ? body.messages.find((m) => m && (m as { role?: unknown }).role === 'user') : undefined;
    return textOf((first as { content?: unknown } | undefined)?.content);
  },
  sideText: () => 'ok',
  events(reply, body, model, ids) {
    const id = ids.next('msg_hive_');
    const out: SseEvent[] = [];
    const ev = (type: string, data: Record<string, unknown>): void => {
      out.push({ event: type, data: { type, ...data } });
    };
    ev('message_start', { message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usage(reply, 1) } });
    ev('ping', {});
    for (const [index, b] of blocksOf(reply, body, ids).entries()) {
      if (b.type === 'text') {
        ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
        ev('content_block_delta', { index, delta: { type: 'text_delta', text: b.text } });
      } else {
        ev('content_block_start', { index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
        ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } });
      }
      ev('content_block_stop', { index });
    }
    ev('message_delta', { delta: { stop_reason: stopReason(reply), stop_sequence: null }, usage: { output_tokens: reply.usage.output } });
    ev('message_stop', {});
    return out;
  },
  json(reply, body, model, ids) {
    const id = ids.next('msg_hive_');
    const content = blocksOf(reply, body, ids).map((b) => (b.type === 'text' ? { type: 'text', text: b.text } : { type: 'tool_use', id: b.id, name: b.name, input: b.input }));
    return { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason(reply), stop_sequence: null, usage: usage(reply, reply.usage.output) };
  },
  error(kind: ErrorKind, message: string) {
    const [status, type] = { rate_limit: [429, 'rate_limit_error'], error: [500, 'api_error'], not_found: [404, 'not_found_error'], bad_request: [400, 'invalid_request_error'] }[kind] as [number, string];
    return { status, body: { type: 'error', error: { type, message } } };
  },
  frame: namedFrame,
};
