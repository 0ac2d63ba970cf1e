import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HiveError, toHiveError, type ErrorCode, type FieldIssue } from '../core/errors.js';

/**
 * The ONE table from error code to HTTP status. Every error body is
 * `{ "error": { "code", "message", "details"? } }`. Anything not listed is a 500 (a bug).
 */
export const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  CONFIG_INVALID: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  TASK_NOT_FOUND: 404,
  AGENT_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  NOT_FOUND: 404,
  WORKFLOW_NOT_FOUND: 404,
  WORKFLOW_RUN_NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  STALE_ATTEMPT: 409,
  CONFLICT: 409,
  ALREADY_RUNNING: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  DEPENDENCY_NOT_FOUND: 422,
  DEPENDENCY_CYCLE: 422,
  WORKFLOW_CYCLE: 422,
  UNKNOWN_STEP: 422,
  UNKNOWN_INPUT: 422,
  INVALID_EXPRESSION: 422,
  EXPRESSION_FAILED: 422,
  STORE_UNAVAILABLE: 503,
};

export function statusOf(code: string): number {
  return HTTP_STATUS[code as ErrorCode] ?? 500;
}

/** Fastify's own errors (body parsing, schema validation) as Hive errors. */
function fromFastify(err: FastifyError & { validation?: unknown[]; validationContext?: string }): HiveError {
  if (err.validation) {
    const where = err.validationContext ?? 'request';
    const issues: FieldIssue[] = err.validation.map((v) => {
      const i = v as { instancePath?: string; path?: (string | number)[]; message?: string; params?: { issue?: { path?: (string | number)[]; message?: string } } };
      const path = i.params?.issue?.path ?? i.path;
      return { path: [where, ...(Array.isArray(path) ? path : (i.instancePath ?? '').split('/').filter(Boolean))].join('.'), message: i.params?.issue?.message ?? i.message ?? 'invalid' };
    });
    return new HiveError('VALIDATION_FAILED', `invalid ${where}: ${issues[0]?.path}: ${issues[0]?.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, { details: { issues } });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HiveError('PAYLOAD_TOO_LARGE', err.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HiveError('UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HiveError('VALIDATION_FAILED', `the body is not valid JSON: ${err.message}`, { details: { issues: [{ path: 'body', message: 'not valid JSON' }] } });
    default:
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new HiveError('VALIDATION_FAILED', err.message, { details: { issues: [{ path: 'request', message: err.message }] } });
      return toHiveError(err);
  }
}

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const e = err instanceof HiveError ? err : fromFastify(err);
  const status = statusOf(e.code);
  if (status >= 500) req.log.error({ err }, 'request failed');
  void reply.status(status).send({ error: e.toJSON() });
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
}
