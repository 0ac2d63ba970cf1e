import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { buildApp } from '../../src/http/app.js';
import { testHive } from '../helpers/hive.js';

test('the OpenAPI document validates against the OpenAPI 3 schema and documents every route', async () => {
  const { hive, cleanup } = await testHive();
  const app = await buildApp(hive);
  try {
    const doc = (await app.inject({ url: '/api/v1/openapi.json' })).json();
    const validator = new Validator();
    const res = await validator.validate(doc);
    assert.equal(res.valid, true, JSON.stringify(res.errors, null, 2)?.slice(0, 2000));
    assert.equal(validator.version, '3.0');
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const expected = [
      'GET /health', 'GET /ready', 'GET /api/v1/status', 'GET /api/v1/events',
      'GET /api/v1/tasks', 'POST /api/v1/tasks', 'GET /api/v1/tasks/{id}', 'POST /api/v1/tasks/{id}/cancel', 'POST /api/v1/tasks/{id}/retry', 'GET /api/v1/tasks/{id}/logs',
      'GET /api/v1/dlq', 'POST /api/v1/dlq/{id}/requeue', 'POST /api/v1/dlq/requeue',
      'GET /api/v1/agents', 'POST /api/v1/agents', 'GET /api/v1/agents/{id}', 'PATCH /api/v1/agents/{id}', 'DELETE /api/v1/agents/{id}', 'POST /api/v1/agents/{id}/restart', 'POST /api/v1/agents/{id}/pause', 'POST /api/v1/agents/{id}/resume',
      'GET /api/v1/tokens', 'POST /api/v1/tokens', 'DELETE /api/v1/tokens/{id}',
      'GET /api/v1/workflows', 'POST /api/v1/workflows', 'GET /api/v1/workflows/{name}', 'POST /api/v1/workflows/{name}/execute',
      'GET /api/v1/workflow-runs', 'GET /api/v1/workflow-runs/{id}', 'POST /api/v1/workflow-runs/{id}/pause', 'POST /api/v1/workflow-runs/{id}/resume', 'POST /api/v1/workflow-runs/{id}/cancel', 'POST /api/v1/workflow-runs/{id}/retry',
    ].sort();
    assert.deepEqual(documented, expected);
    // each documented operation is really routed
    for (const op of expected) {
      const [method, path] = op.split(' ');
      assert.ok(app.hasRoute({ method: method as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), `${op} is documented but not routed`);
    }
  } finally {
    await app.close();
    await cleanup();
  }
});
