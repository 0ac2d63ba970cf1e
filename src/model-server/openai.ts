import { openAiToolCall, type OpenAiToolCall } from './tools.js';
import { namedFrame, textOf, type ErrorKind, type Ids, type Reply, type SseEvent, type WireApi } from './wire.js';

/**
 * The OpenAI Responses API (`POST /v1/responses`), as Codex CLI calls it (`wire_api = "responses"`). A streamed
 * answer is `response.created`, `response.in_progress`, then per output item `response.output_item.added`, its
 * deltas and `response.output_item.done`, then `response.completed` with the usage. Every event carries
 * `sequence_number`, counted from 0. A message item streams `response.content_part.added`,
 * `response.output_text.delta`, `response.output_text.done`, `response.content_part.done`; a `function_call`
 * streams `response.function_call_arguments.delta` / `.done`; a `custom_tool_call` (a freeform tool such as
 * Codex's apply_patch) `response.custom_tool_call_input.delta` / `.done`.
 */

/** The tools a request offers, name → type (`function`, `custom`, …), namespaces flattened. Codex's code mode
 * sends them as an `additional_tools` input item instead of `tools`. */
export function offeredTools(body: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const add = (tools: unknown): void => {
    if (!Array.isArray(tools)) return;
    for (const t of tools) {
      if (!t || typeof t !== 'object') continue;
      const tool = t as { type?: unknown; name?: unknown; tools?: unknown };
      if (tool.type === 'namespace') add(tool.tools);
      else if (typeof tool.name === 'string') out.set(tool.name, String(tool.type));
    }
  };
  add(body.tools);
  if (Array.isArray(body.input)) for (const item of body.input) if (item && (item as { type?: unknown }).type === 'additional_tools') add((item as { tools?: unknown }).tools);
  return out;
}

type Item = { id: string; type: 'message'; text: string } | ({ id: string; call_id: string } & OpenAiToolCall);

function itemsOf(reply: Reply, body: Record<string, unknown>, ids: Ids): Item[] {
  const items: Item[] = [];
  if (reply.text !== undefined) items.push({ id: ids.next('msg_hive_'), type: 'message', text: reply.text });
  const offered = reply.calls.length ? offeredTools(body) : new Map<string, string>();
  for (const call of reply.calls) {
    const c = openAiToolCall(call, offered);
    items.push({ id: ids.next(c.kind === 'function' ? 'fc_hive_' : 'ctc_hive_'), call_id: ids.next('call_hive_'), ...c });
  }
  return items;
}

/** An output item as it stands when added (`in_progress`, empty) or done (`completed`, whole). */
function itemJson(item: Item, done: boolean): Record<string, unknown> {
  const status = done ? 'completed' : 'in_progress';
  if (!('kind' in item)) {
    return { id: item.id, type: 'message', status, role: 'assistant', content: done ? [{ type: 'output_text', text: item.text, annotations: [] }] : [] };
  }
  if (item.kind === 'function') return { id: item.id, type: 'function_call', status, call_id: item.call_id, name: item.name, arguments: done ? item.arguments : '' };
  return { id: item.id, type: 'custom_tool_call', status, call_id: item.call_id, name: item.name, input: done ? item.input : '' };
}

function usage(reply: Reply): Record<string, unknown> {
  const { input, output } = reply.usage;
  return { input_tokens: input, input_tokens_details: { cached_tokens: 0 }, output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output };
}

function response(id: string, model: string, status: string, output: unknown[], reply: Reply | null): Record<string, unknown> {
  return { id, object: 'response', created_at: Math.floor(Date.now() / 1000), status, model, output, usage: reply ? usage(reply) : null, error: null, incomplete_details: null };
}

export const openai: WireApi = {
  name: 'openai',
  isScripted: (body) => offeredTools(body).size > 0,
  conversationKey(body) {
    if (typeof body.input === 'string') return body.input;
    const first = Array.isArray(body.input) ? body.input.find((i) => i && (i as { role?: unknown }).role === 'user') : undefined;
    return textOf((first as { content?: unknown } | undefined)?.content);
  },
  sideText: () => 'ok',
  events(reply, body, model, ids) {
    const rid = ids.next('resp_hive_');
    const items = itemsOf(reply, body, ids);
    const out: SseEvent[] = [];
    const ev = (type: string, data: Record<string, unknown>): void => {
      out.push({ event: type, data: { type, sequence_number: out.length, ...data } });
    };
    ev('response.created', { response: response(rid, model, 'in_progress', [], null) });
    ev('response.in_progress', { response: response(rid, model, 'in_progress', [], null) });
    for (const [output_index, item] of items.entries()) {
      ev('response.output_item.added', { output_index, item: itemJson(item, false) });
      const at = { item_id: item.id, output_index };
      if (!('kind' in item)) {
        const part = { type: 'output_text', text: '', annotations: [] };
        ev('response.content_part.added', { ...at, content_index: 0, part });
        ev('response.output_text.delta', { ...at, content_index: 0, delta: item.text, logprobs: [] });
        ev('response.output_text.done', { ...at, content_index: 0, text: item.text, logprobs: [] });
        ev('response.content_part.done', { ...at, content_index: 0, part: { ...part, text: item.text } });
      } else if (item.kind === 'function') {
        ev('response.function_call_arguments.delta', { ...at, delta: item.arguments });
        ev('response.function_call_arguments.done', { ...at, name: item.name, arguments: item.arguments });
      } else {
        ev('response.custom_tool_call_input.delta', { ...at, delta: item.input });
        ev('response.custom_tool_call_input.done', { ...at, input: item.input });
      }
      ev('response.output_item.done', { output_index, item: itemJson(item, true) });
    }
    ev('response.completed', { response: response(rid, model, 'completed', items.map((i) => itemJson(i, true)), reply) });
    return out;
  },
  json(reply, body, model, ids) {
    const rid = ids.next('resp_hive_');
    return response(rid, model, 'completed', itemsOf(reply, body, ids).map((i) => itemJson(i, true)), reply);
  },
  error(kind: ErrorKind, message: string) {
    const [status, type, code] = {
      rate_limit: [429, 'requests', 'rate_limit_exceeded'],
      error: [500, 'server_error', null],
      not_found: [404, 'invalid_request_error', 'not_found'],
      bad_request: [400, 'invalid_request_error', null],
    }[kind] as [number, string, string | null];
    return { status, body: { error: { message, type, param: null, code } } };
  },
  frame: namedFrame,
};
