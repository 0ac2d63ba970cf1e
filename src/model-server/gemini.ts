import { geminiToolCall } from './tools.js';
import { sampleOf, textOf, type ErrorKind, type Reply, type SseEvent, type WireApi } from './wire.js';

/**
 * The Gemini API (`POST /v1beta/models/{model}:streamGenerateContent?alt=sse`, `:generateContent`,
 * `:countTokens`), as Gemini CLI calls it. A streamed answer is one unnamed `data:` event per part (a text or
 * a `functionCall {name, args}`), each a whole `GenerateContentResponse`; the last one also carries
 * `finishReason: "STOP"` and `usageMetadata`. Events end with `\r\n\r\n`, as Google's servers send them.
 */

type Part = { text: string } | { functionCall: { name: string; args: Record<string, unknown> } };

function partsOf(reply: Reply): Part[] {
  const parts: Part[] = [];
  if (reply.text !== undefined) parts.push({ text: reply.text });
  for (const call of reply.calls) parts.push({ functionCall: geminiToolCall(call) });
  return parts;
}

function usageMetadata(reply: Reply): Record<string, number> {
  return { promptTokenCount: reply.usage.input, candidatesTokenCount: reply.usage.output, totalTokenCount: reply.usage.input + reply.usage.output };
}

function chunk(parts: Part[], model: string, responseId: string, last: Reply | null): Record<string, unknown> {
  const candidate: Record<string, unknown> = { content: { role: 'model', parts }, index: 0 };
  if (last) candidate.finishReason = 'STOP';
  return { candidates: [candidate], ...(last ? { usageMetadata: usageMetadata(last) } : {}), modelVersion: model, responseId };
}

export const gemini: WireApi = {
  name: 'gemini',
  isScripted: (body) => Array.isArray(body.tools) && body.tools.some((t) => Array.isArray((t as { functionDeclarations?: unknown })?.functionDeclarations)),
  conversationKey(body) {
    const first = Array.isArray(body.contents) ? body.contents.find((c) => c && (c as { role?: unknown }).role === 'user') : undefined;
    return textOf((first as { parts?: unknown } | undefined)?.parts);
  },
  sideText(body) {
    const config = (body.generationConfig ?? {}) as { responseMimeType?: unknown; responseJsonSchema?: unknown; responseSchema?: unknown };
    if (config.responseMimeType !== 'application/json') return 'ok';
    return JSON.stringify(sampleOf(config.responseJsonSchema ?? config.responseSchema) ?? {});
  },
  events(reply, _body, model, ids) {
    const responseId = ids.next('resp_hive_');
    const parts = partsOf(reply);
    if (!parts.length) parts.push({ text: '' });
    return parts.map((p, i) => ({ data: chunk([p], model, responseId, i === parts.length - 1 ? reply : null) }));
  },
  json(reply, _body, model, ids) {
    return chunk(partsOf(reply), model, ids.next('resp_hive_'), reply);
  },
  error(kind: ErrorKind, message: string) {
    const [status, code] = { rate_limit: [429, 'RESOURCE_EXHAUSTED'], error: [500, 'INTERNAL'], not_found: [404, 'NOT_FOUND'], bad_request: [400, 'INVALID_ARGUMENT'] }[kind] as [number, string];
    return { status, body: { error: { code: status, message, status: code } } };
  },
  frame: (e: SseEvent) => `data: ${JSON.stringify(e.data)}\r\n\r\n`,
};
