import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HiveError, type ErrorCode } from '../../src/core/errors.js';
import { DEFAULT_OPTIONS } from '../../src/core/options.js';
import { parseWorkflowDefinition, resolveRunInputs } from '../../src/core/workflow-def.js';
import { compileWorkflow, decideStart, needOutcome, needsVerdict, stepOutcome, stepTask, type CompiledWorkflow, type StepScope } from '../../src/core/workflow-plan.js';
import { WORKFLOW_LIMITS, type InputSpec } from '../../src/core/workflow.js';
import { FEATURE } from '../fixtures/feature-workflow.js';


const wf = (steps: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'w', steps, ...extra });

/** Asserts parseWorkflowDefinition refuses `doc` with `code` and a message containing every pattern; returns the error. */
function refused(doc: unknown, code: ErrorCode, ...patterns: (string | RegExp)[]): HiveError {
  let caught: unknown;
  try {
    parseWorkflowDefinition(doc);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HiveError, `expected a HiveError, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  for (const p of patterns) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `message ${JSON.stringify(caught.message)} should name ${p}`);
    else assert.match(caught.message, p);
  }
  return caught;
}

/** The issue paths of a VALIDATION_FAILED refusal. */
function issuePaths(doc: unknown): string[] {
  const e = refused(doc, 'VALIDATION_FAILED');
  return (e.details!.issues as { path: string }[]).map((i) => i.path);
}

function issueOf(doc: unknown, path: string): string {
  const e = refused(doc, 'VALIDATION_FAILED');
  const issues = e.details!.issues as { path: string; message: string }[];
  const hit = issues.find((i) => i.path === path);
  assert.ok(hit, `expected an issue at ${path}, got ${JSON.stringify(issues)}`);
  return hit.message;
}

const compiled = (doc: unknown): CompiledWorkflow => compileWorkflow(parseWorkflowDefinition(doc).spec);

function scope(steps: StepScope['steps'] = {}, inputs: Record<string, unknown> = {}): StepScope {
  return { inputs, steps, run: { id: 7, workflow: 'w', version: 1 } };
}
const done = (result: unknown, output: string | null = null): StepScope['steps'][string] => ({ status: 'completed', output, result });

// ================================================================ graph errors

describe('workflow definition: WORKFLOW_CYCLE', () => {
  it('names a 3-step cycle in order, in details.cycle and the message', () => {
    const e = refused(wf({ a: { needs: ['c'] }, b: { needs: ['a'] }, c: { needs: ['b'] } }), 'WORKFLOW_CYCLE', 'a -> c -> b -> a');
    assert.deepEqual(e.details!.cycle, ['a', 'c', 'b', 'a']);
    assert.equal(e.details!.step, 'a');
  });

  it('a cycle below an acyclic part names only the cycle', () => {
    const e = refused(wf({ root: {}, x: { needs: ['root', 'z'] }, y: { needs: ['x'] }, z: { needs: ['y'] }, leaf: { needs: ['root'] } }), 'WORKFLOW_CYCLE', 'x -> z -> y -> x');
    assert.deepEqual(e.details!.cycle, ['x', 'z', 'y', 'x']);
  });

  it('a step that needs itself', () => {
    const e = refused(wf({ ok: {}, loop: { needs: ['ok', 'loop'] } }), 'WORKFLOW_CYCLE', 'step loop needs itself');
    assert.equal(e.details!.step, 'loop');
    assert.deepEqual(e.details!.cycle, ['loop', 'loop']);
  });
});

describe('workflow definition: UNKNOWN_STEP', () => {
  it('needs a step that does not exist: names the step, the need and the workflow', () => {
    const e = refused(wf({ plan: {}, build: { needs: ['plan', 'plna'] } }), 'UNKNOWN_STEP', 'step build', '"plna"', 'workflow w', 'steps: plan, build');
    assert.deepEqual(e.details, { step: 'build', need: 'plna' });
  });

  it('a template referencing a step that does not exist', () => {
    const e = refused(wf({ plan: {}, build: { needs: ['plan'], prompt: 'do {{steps.pln.output}}' } }), 'UNKNOWN_STEP', 'step build prompt', 'steps.pln is not a step of workflow w');
    assert.deepEqual(e.details, { step: 'build', field: 'prompt', ref: 'steps.pln.output' });
  });

  it('a title referencing a step that does not exist', () => {
    const e = refused(wf({ plan: { title: '{{steps.nope.status}}' } }), 'UNKNOWN_STEP', 'step plan title');
    assert.equal(e.details!.field, 'title');
  });

  it('a template or `if` referencing a sibling (exists, not upstream)', () => {
    const steps = { plan: {}, backend: { needs: ['plan'] }, frontend: { needs: ['plan'], prompt: 'after {{steps.backend.output}}' } };
    const e = refused(wf(steps), 'UNKNOWN_STEP', 'step frontend prompt', 'steps.backend is not upstream of frontend', 'add it to needs');
    assert.deepEqual(e.details, { step: 'frontend', field: 'prompt', ref: 'steps.backend.output' });
    const f = refused(wf({ ...steps, frontend: { needs: ['plan'], if: "steps.backend.status == 'completed'" } }), 'UNKNOWN_STEP', 'step frontend if', 'not upstream of frontend');
    assert.deepEqual(f.details, { step: 'frontend', field: 'if', ref: 'steps.backend.status' });
  });

  it('a reference to a downstream step, or to itself, is not upstream either', () => {
    refused(wf({ plan: { prompt: '{{steps.build.output}}' }, build: { needs: ['plan'] } }), 'UNKNOWN_STEP', 'step plan prompt', 'not upstream of plan');
    refused(wf({ plan: { if: 'steps.plan.status' } }), 'UNKNOWN_STEP', 'step plan if', 'steps.plan is not upstream');
  });

  it('a for_each referencing a step that is not upstream', () => {
    const e = refused(wf({ a: {}, b: { for_each: 'steps.a.result' } }), 'UNKNOWN_STEP', 'step b for_each', 'not upstream of b');
    assert.equal(e.details!.field, 'for_each');
  });

  it('an indirect (transitive) upstream step may be referenced', () => {
    const c = compiled(wf({ a: {}, b: { needs: ['a'] }, c: { needs: ['b'], prompt: '{{steps.a.output}}' } }));
    assert.deepEqual(c.byName.get('c')!.reads, ['a']);
  });
});

describe('workflow definition: UNKNOWN_INPUT', () => {
  it('a template referencing an undeclared input names the step, field and the declared inputs', () => {
    const e = refused(wf({ plan: { prompt: 'Plan {{inputs.spek}}' } }, { inputs: { spec: 'string' } }), 'UNKNOWN_INPUT', 'step plan prompt', 'inputs.spek is not declared', 'inputs: spec');
    assert.deepEqual(e.details, { step: 'plan', field: 'prompt', ref: 'inputs.spek' });
  });

  it('an `if` referencing an undeclared input (no inputs at all)', () => {
    const e = refused(wf({ plan: { if: 'inputs.enabled' } }), 'UNKNOWN_INPUT', 'step plan if', 'inputs.enabled', 'inputs: none');
    assert.deepEqual(e.details, { step: 'plan', field: 'if', ref: 'inputs.enabled' });
  });

  it('`inputs` as a whole and declared inputs are fine', () => {
    compiled(wf({ plan: { prompt: '{{inputs}} {{inputs.a}}', if: 'inputs.a' } }, { inputs: { a: 'string' } }));
  });
});

describe('workflow definition: INVALID_EXPRESSION', () => {
  it('bad `if` syntax: names the step, the field and the position', () => {
    const e = refused(wf({ review: { if: 'a ==  == b' } }), 'INVALID_EXPRESSION', 'step review if', 'at character 6');
    assert.equal(e.details!.step, 'review');
    assert.equal(e.details!.field, 'if');
    assert.equal(e.details!.position, 6);
    assert.equal(e.details!.expression, 'a ==  == b');
  });

  it('a for_each syntax error', () => {
    const e = refused(wf({ each: { for_each: '[1, 2' } }), 'INVALID_EXPRESSION', 'step each for_each', 'at character 5');
    assert.deepEqual([e.details!.step, e.details!.field, e.details!.position], ['each', 'for_each', 5]);
  });

  it('a template syntax error gives the position inside the template', () => {
    const e = refused(wf({ a: { prompt: 'hello {{ 1 +  }} x' } }), 'INVALID_EXPRESSION', 'step a prompt', 'expression at character 9');
    assert.equal(e.details!.templatePosition, 12);
    refused(wf({ a: { prompt: 'hello {{ inputs' } }), 'INVALID_EXPRESSION', 'step a prompt', 'not closed');
  });

  it('steps.X.bogus: a step has output, result and status only', () => {
    const e = refused(wf({ plan: {}, build: { needs: ['plan'], prompt: '{{steps.plan.bogus}}' } }), 'INVALID_EXPRESSION', 'step build prompt', 'steps.plan.bogus', 'output, result, status');
    assert.deepEqual(e.details, { step: 'build', field: 'prompt', ref: 'steps.plan.bogus' });
    // the three fields, and deeper paths under them, are fine
    compiled(wf({ plan: {}, build: { needs: ['plan'], prompt: '{{steps.plan.output}} {{steps.plan.status}} {{steps.plan.result.a.b}} {{steps.plan}}' } }));
  });

  it('`steps` without a step name', () => {
    refused(wf({ plan: { prompt: '{{steps}}' } }), 'INVALID_EXPRESSION', 'step plan prompt', 'steps.NAME.output');
    refused(wf({ plan: { prompt: '{{steps[inputs.k].output}}' } }, { inputs: { k: 'string' } }), 'INVALID_EXPRESSION', 'step plan prompt');
  });

  it('`item` (or `index`) outside a for_each step', () => {
    const e = refused(wf({ plan: { prompt: 'Do {{item}}' } }), 'INVALID_EXPRESSION', 'step plan prompt', 'item exists only');
    assert.deepEqual(e.details, { step: 'plan', field: 'prompt', ref: 'item' });
    refused(wf({ plan: { title: '#{{index}}' } }), 'INVALID_EXPRESSION', 'step plan title', 'index exists only');
  });

  it('`item` inside the for_each expression itself, or in the `if` of a for_each step', () => {
    const e = refused(wf({ each: { for_each: 'item' } }), 'INVALID_EXPRESSION', 'step each for_each', 'item exists only');
    assert.equal(e.details!.field, 'for_each');
    refused(wf({ each: { for_each: '[1, 2]', if: 'item == 1' } }), 'INVALID_EXPRESSION', 'step each if');
    // in the title and the prompt of a for_each step it is fine
    compiled(wf({ each: { for_each: '[1, 2]', title: 'n{{index}}', prompt: '{{item}}' } }));
  });

  it('an unknown root name', () => {
    const e = refused(wf({ plan: { prompt: '{{foo.bar}}' } }), 'INVALID_EXPRESSION', 'step plan prompt', 'unknown name foo');
    assert.deepEqual(e.details, { step: 'plan', field: 'prompt', ref: 'foo.bar' });
    refused(wf({ plan: { if: 'enabled' } }), 'INVALID_EXPRESSION', 'step plan if', 'unknown name enabled');
  });

  it('run has id, workflow and version only', () => {
    compiled(wf({ plan: { prompt: '{{run.id}} {{run.workflow}} {{run.version}} {{run}}' } }));
    refused(wf({ plan: { prompt: '{{run.owner}}' } }), 'INVALID_EXPRESSION', 'step plan prompt', 'run.owner');
  });

  it('`===` is refused with a hint', () => {
    const e = refused(wf({ plan: { if: '1 === 1' } }), 'INVALID_EXPRESSION', 'step plan if', '=== is not allowed', 'use ==');
    assert.equal(e.details!.step, 'plan');
  });
});

// ================================================================ shape errors

describe('workflow definition: VALIDATION_FAILED names each path', () => {
  it('an unknown step key', () => {
    assert.match(issueOf(wf({ plan: { capz: ['x'] } }), 'steps.plan.capz'), /unknown key/);
  });

  it('a bad priority', () => {
    assert.match(issueOf(wf({ plan: { priority: 'urgent' } }), 'steps.plan.priority'), /critical, high, medium, low.*"urgent"/);
  });

  it('a bad timeout (not a duration, negative, a boolean, over 30 days)', () => {
    for (const timeout of ['soon', -5, true, '31d']) assert.deepEqual(issuePaths(wf({ plan: { timeout } })), ['steps.plan.timeout'], String(timeout));
  });

  it('retries and max_attempts both; either out of range', () => {
    assert.match(issueOf(wf({ plan: { retries: 1, max_attempts: 2 } }), 'steps.plan.max_attempts'), /not both/);
    assert.deepEqual(issuePaths(wf({ plan: { retries: 100 } })), ['steps.plan.retries']);
    assert.deepEqual(issuePaths(wf({ plan: { retries: -1 } })), ['steps.plan.retries']);
    assert.deepEqual(issuePaths(wf({ plan: { max_attempts: 0 } })), ['steps.plan.max_attempts']);
    assert.deepEqual(issuePaths(wf({ plan: { max_attempts: 1.5 } })), ['steps.plan.max_attempts']);
  });

  it('a step name that is not an identifier (it must be usable as steps.NAME)', () => {
    assert.match(issueOf(wf({ 'my-step': {} }), 'steps.my-step'), /letters, digits and _/);
    assert.deepEqual(issuePaths(wf({ '1st': {} })), ['steps.1st']);
    assert.deepEqual(issuePaths(wf({ ['s'.repeat(WORKFLOW_LIMITS.stepNameChars + 1)]: {} })), [`steps.${'s'.repeat(WORKFLOW_LIMITS.stepNameChars + 1)}`]);
  });

  it('no steps, or steps that are not a map', () => {
    assert.match(issueOf(wf({}), 'steps'), /at least one step/);
    assert.deepEqual(issuePaths({ name: 'w' }), ['steps']);
    assert.deepEqual(issuePaths({ name: 'w', steps: [{ prompt: 'x' }] }), ['steps']);
    assert.deepEqual(issuePaths(wf({ plan: 'do it' })), ['steps.plan']);
  });

  it('a bad or missing name', () => {
    assert.deepEqual(issuePaths(wf({ a: {} }, { name: 'bad name!' })), ['name']);
    assert.deepEqual(issuePaths({ steps: { a: {} } }), ['name']);
    assert.deepEqual(issuePaths(wf({ a: {} }, { name: 42 })), ['name']);
  });

  it('a bad input type, and a default that does not match the type', () => {
    assert.match(issueOf(wf({ a: {} }, { inputs: { x: { type: 'strng' } } }), 'inputs.x.type'), /string, number, boolean, object, array, any.*"strng"/);
    assert.deepEqual(issuePaths(wf({ a: {} }, { inputs: { x: 'strng' } })), ['inputs.x.type'], 'the shorthand too');
    assert.match(issueOf(wf({ a: {} }, { inputs: { n: { type: 'number', default: 'five' } } }), 'inputs.n.default'), /expected a number, got "five"/);
    assert.deepEqual(issuePaths(wf({ a: {} }, { inputs: { l: { type: 'array', default: {} } } })), ['inputs.l.default']);
    assert.deepEqual(issuePaths(wf({ a: {} }, { inputs: { r: { type: 'string', required: 'yes' } } })), ['inputs.r.required']);
    assert.deepEqual(issuePaths(wf({ a: {} }, { inputs: { 'bad-name': 'string' } })), ['inputs.bad-name']);
    assert.deepEqual(issuePaths(wf({ a: {} }, { inputs: { x: { type: 'string', dflt: 'a' } } })), ['inputs.x.dflt']);
    assert.deepEqual(issuePaths(wf({ a: {} }, { inputs: ['x'] })), ['inputs']);
  });

  it('caps and capabilities both', () => {
    assert.match(issueOf(wf({ plan: { caps: ['a'], capabilities: ['b'] } }), 'steps.plan.capabilities'), /not both/);
  });

  it('other step fields: agent, type, continue_on_failure, needs, caps entries, version', () => {
    assert.deepEqual(issuePaths(wf({ plan: { agent: 'bad agent' } })), ['steps.plan.agent']);
    assert.deepEqual(issuePaths(wf({ plan: { type: 'a type' } })), ['steps.plan.type']);
    assert.deepEqual(issuePaths(wf({ plan: { continue_on_failure: 'yes' } })), ['steps.plan.continue_on_failure']);
    assert.deepEqual(issuePaths(wf({ plan: { needs: 'other' } })), ['steps.plan.needs']);
    assert.deepEqual(issuePaths(wf({ plan: { caps: ['ok', ' bad'] } })), ['steps.plan.caps.1']);
    assert.deepEqual(issuePaths(wf({ plan: { if: 5 } })), ['steps.plan.if']);
    assert.deepEqual(issuePaths(wf({ plan: {} }, { version: 0 })), ['version']);
    assert.deepEqual(issuePaths(wf({ plan: {} }, { version: 'two' })), ['version']);
  });

  it('every problem is reported at once, and a non-object document at (root)', () => {
    const paths = issuePaths(wf({ plan: { capz: 1, priority: 'urgent', timeout: 'soon', retries: 1, max_attempts: 2, caps: ['a'], capabilities: ['b'] }, 'my-step': {} }));
    assert.deepEqual(new Set(paths), new Set(['steps.plan.capz', 'steps.plan.priority', 'steps.plan.timeout', 'steps.plan.max_attempts', 'steps.plan.capabilities', 'steps.my-step']));
    assert.deepEqual(issuePaths(['x']), ['(root)']);
    assert.deepEqual(issuePaths(null), ['(root)']);
  });

  it('the message of a bad capability entry reads as English', () => {
    assert.match(issueOf(wf({ plan: { caps: [' bad'] } }), 'steps.plan.caps.0'), /expected a capability,/);
  });

  it('an unknown top-level key is reported at its own path (no leading dot)', () => {
    assert.deepEqual(issuePaths(wf({ a: {} }, { extra: 1 })), ['extra']);
  });

  it('a definition over WORKFLOW_LIMITS.definitionChars is refused', () => {
    const prompt = 'x'.repeat(900_000);
    const steps = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`s${i}`, { prompt }]));
    assert.ok(JSON.stringify(steps).length > WORKFLOW_LIMITS.definitionChars);
    refused(wf(steps), 'VALIDATION_FAILED');
  });

  it('a step named __proto__ is refused, not silently dropped', () => {
    // JSON.parse makes __proto__ an own key, as a YAML or HTTP body would
    const doc = JSON.parse('{"name":"w","steps":{"__proto__":{"prompt":"x"}}}') as unknown;
    let steps: string[] | null = null;
    try {
      steps = Object.keys(parseWorkflowDefinition(doc).spec.steps);
    } catch (e) {
      assert.ok(e instanceof HiveError && e.code === 'VALIDATION_FAILED', String(e));
    }
    assert.equal(steps, null, `accepted with steps ${JSON.stringify(steps)}`);
  });
});

// ================================================================ normalised output

describe('workflow definition: the normalised form', () => {
  it('durations in ms, caps sorted and de-duplicated, locks sorted, retries → maxAttempts, defaults for the rest', () => {
    const { spec, version } = parseWorkflowDefinition({
      name: 'w',
      version: 3,
      description: 'about',
      inputs: { x: 'string', n: { type: 'number', default: 5, description: 'count' }, r: { type: 'array', required: true } },
      steps: {
        a: { caps: ['b', 'a', 'b'], timeout: '1h30m', retries: 2, locks: ['z', 'y', 'z'], description: 'ignored' },
        b: { needs: ['a', 'a'], capabilities: ['x'], agent: 'bob', timeout: 1500, max_attempts: 4, priority: 'high', type: 'review', title: 'T', prompt: 'P', continue_on_failure: true, if: 'true', for_each: '[1]' },
        c: { retries: 0 },
      },
    });
    assert.equal(version, 3);
    assert.equal(spec.name, 'w');
    assert.equal(spec.description, 'about');
    assert.deepEqual(spec.inputs, {
      x: { type: 'string', required: false },
      n: { type: 'number', required: false, default: 5, description: 'count' },
      r: { type: 'array', required: true },
    });
    assert.deepEqual(Object.keys(spec.steps), ['a', 'b', 'c'], 'definition order');
    assert.deepEqual(spec.steps.a, {
      needs: [], title: null, prompt: '', capabilities: ['a', 'b'], priority: null, timeoutMs: 5_400_000, maxAttempts: 3, locks: ['y', 'z'],
      agent: null, type: null, if: null, forEach: null, continueOnFailure: false,
    });
    assert.deepEqual(spec.steps.b, {
      needs: ['a'], title: 'T', prompt: 'P', capabilities: ['x'], priority: 'high', timeoutMs: 1500, maxAttempts: 4, locks: [],
      agent: 'bob', type: 'review', if: 'true', forEach: '[1]', continueOnFailure: true,
    });
    assert.equal(spec.steps.c.maxAttempts, 1, 'retries: 0 → one attempt');
    assert.equal(spec.steps.c.timeoutMs, 0);
  });

  it('without version, description or inputs', () => {
    const { spec, version } = parseWorkflowDefinition({ name: 'w', steps: { a: {} } });
    assert.equal(version, null);
    assert.equal(spec.description, null);
    assert.deepEqual(spec.inputs, {});
    assert.equal(spec.steps.a.maxAttempts, null, 'the default');
  });

  it('parses the example (FEATURE) workflow', () => {
    const { spec } = parseWorkflowDefinition(FEATURE);
    assert.deepEqual(spec.inputs, { spec: { type: 'string', required: true }, pass: { type: 'boolean', required: false, default: true } });
    assert.equal(spec.steps.each_file.forEach, 'steps.plan.result.files');
    assert.deepEqual(spec.steps.tests.needs, ['backend', 'frontend']);
  });
});

// ================================================================ run inputs

describe('resolveRunInputs', () => {
  const DECL: Record<string, InputSpec> = {
    s: { type: 'string', required: true },
    n: { type: 'number', required: false },
    b: { type: 'boolean', required: false, default: false },
    o: { type: 'object', required: false },
    l: { type: 'array', required: false, default: ['d'] },
    any: { type: 'any', required: false },
  };
  const issues = (given: unknown): { path: string; message: string }[] => {
    let caught: unknown;
    try {
      resolveRunInputs(DECL, given);
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof HiveError && caught.code === 'VALIDATION_FAILED', `expected VALIDATION_FAILED, got ${String(caught)}`);
    return caught.details!.issues as { path: string; message: string }[];
  };

  it('a required input missing', () => {
    assert.deepEqual(issues({}), [{ path: 'inputs.s', message: 'required (string)' }]);
  });

  it('an unknown input names what is declared', () => {
    const [i] = issues({ s: 'x', zz: 1 });
    assert.equal(i.path, 'inputs.zz');
    assert.match(i.message, /declares s, n, b, o, l, any/);
  });

  it('type mismatches, each at its path', () => {
    const got = issues({ s: 5, n: 'five', b: 'yes', o: [], l: {} });
    assert.deepEqual(got.map((i) => i.path), ['inputs.s', 'inputs.n', 'inputs.b', 'inputs.o', 'inputs.l']);
    assert.match(got[0].message, /expected a string, got 5/);
    assert.match(got[3].message, /expected an object, got \[\]/);
    assert.deepEqual(issues({ s: 'x', n: '1e3' }).map((i) => i.path), ['inputs.n'], 'only plain decimals read as numbers');
    assert.deepEqual(issues({ s: 'x', n: '' }).map((i) => i.path), ['inputs.n']);
    assert.deepEqual(issues({ s: 'x', b: 'TRUE' }).map((i) => i.path), ['inputs.b']);
  });

  it("strings read as numbers and booleans ('5' → 5, 'true' → true); defaults applied; optional without default → null", () => {
    assert.deepEqual(resolveRunInputs(DECL, { s: 'x', n: '5', b: 'true' }), { s: 'x', n: 5, b: true, o: null, l: ['d'], any: null });
    assert.deepEqual(resolveRunInputs(DECL, { s: 'x', n: ' -2.5 ', b: 'false', o: { a: 1 }, l: [], any: [1] }), { s: 'x', n: -2.5, b: false, o: { a: 1 }, l: [], any: [1] });
    assert.deepEqual(resolveRunInputs(DECL, { s: '5', n: 0 }), { s: '5', n: 0, b: false, o: null, l: ['d'], any: null }, 'a string input stays a string');
  });

  it('a non-object is refused at `inputs`; nothing given is {}', () => {
    for (const bad of ['str', [1], 5, true]) assert.deepEqual(issues(bad), [{ path: 'inputs', message: 'expected an object of input name to value' }], JSON.stringify(bad));
    assert.deepEqual(resolveRunInputs({}, undefined), {});
    assert.deepEqual(resolveRunInputs({}, null), {});
    assert.deepEqual(resolveRunInputs({ d: { type: 'number', required: true, default: 1 } }, undefined), { d: 1 }, 'a default satisfies required');
  });
});

// ================================================================ compiled

describe('compileWorkflow', () => {
  const c = compiled(FEATURE);

  it('computes dependents, in definition order', () => {
    const deps = Object.fromEntries(c.steps.map((s) => [s.name, s.dependents]));
    assert.deepEqual(deps, {
      plan: ['backend', 'frontend', 'each_file'],
      backend: ['tests'],
      frontend: ['tests'],
      tests: ['review', 'fix'],
      review: ['publish'],
      fix: ['after_fix'],
      after_fix: [],
      each_file: ['publish'],
      publish: [],
    });
    assert.deepEqual(c.steps.map((s) => s.index), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(c.byName.get('tests'), c.steps[3]);
  });

  it('`reads` lists exactly the upstream steps its expressions reference', () => {
    const reads = Object.fromEntries(c.steps.map((s) => [s.name, s.reads]));
    assert.deepEqual(reads, {
      plan: [],
      backend: ['plan'],
      frontend: [],
      tests: [],
      review: ['tests'],
      fix: ['tests'],
      after_fix: [],
      each_file: ['plan'],
      publish: ['each_file', 'review'],
    });
    // from every field (if, for_each, title, prompt), once each, transitive upstream included
    const d = compiled(wf({
      a: {}, b: { needs: ['a'] }, x: { needs: ['b'] },
      c: { needs: ['x'], if: 'steps.b.status', for_each: 'steps.a.result', title: '{{steps.x.output}}', prompt: '{{steps.b.output}} {{steps.a.result}}' },
    }));
    assert.deepEqual(d.byName.get('c')!.reads, ['b', 'a', 'x']);
  });

  it('gives a topological order (every step after its needs)', () => {
    assert.equal(c.order.length, 9);
    assert.deepEqual(new Set(c.order), new Set(Object.keys(FEATURE.steps)));
    for (const s of c.steps) for (const n of s.spec.needs) assert.ok(c.order.indexOf(n) < c.order.indexOf(s.name), `${n} before ${s.name}`);
    // a definition listing dependents first is still ordered by needs
    const r = compiled(wf({ z: { needs: ['y'] }, y: { needs: ['x'] }, x: {} }));
    assert.deepEqual(r.order, ['x', 'y', 'z']);
  });

  it('parses expressions once: if, for_each, title and prompt', () => {
    const each = c.byName.get('each_file')!;
    assert.equal(each.forEach!.source, 'steps.plan.result.files');
    assert.equal(each.if, null);
    assert.equal(each.title, null);
    assert.equal(each.prompt.source, 'Document {{item}} ({{index}})');
    assert.equal(c.byName.get('review')!.if!.source, 'steps.tests.result.passed == true');
  });
});

// ================================================================ advancing: pure decisions

describe('decideStart', () => {
  const c = compiled(FEATURE);
  const fscope = (steps: StepScope['steps']): StepScope => ({ inputs: { spec: 'login', pass: true }, steps, run: { id: 7, workflow: 'feature', version: 1 } });

  it('`if` false → skip, with the expression in the reason', () => {
    const d = decideStart(c, c.byName.get('review')!, fscope({ tests: done({ passed: false }) }));
    assert.deepEqual(d, { kind: 'skip', reason: 'if: steps.tests.result.passed == true was false' });
    const go = decideStart(c, c.byName.get('review')!, fscope({ tests: done({ passed: true }) }));
    assert.equal(go.kind, 'start');
  });

  it('a plain step starts one task with its prompt rendered and the default title workflow.step', () => {
    assert.deepEqual(decideStart(c, c.byName.get('plan')!, fscope({})), { kind: 'start', tasks: [{ title: 'feature.plan', prompt: 'Plan: login', item: null }] });
    const b = decideStart(c, c.byName.get('backend')!, fscope({ plan: done({ summary: 'S1' }) }));
    assert.deepEqual(b, { kind: 'start', tasks: [{ title: 'feature.backend', prompt: 'Implement API per S1', item: null }] });
  });

  it('for_each over N items → N tasks, rendered per item, with item indexes and titles workflow.step[i]', () => {
    const d = decideStart(c, c.byName.get('each_file')!, fscope({ plan: done({ files: ['a.ts', 'b.ts', 'c.ts'] }) }));
    assert.deepEqual(d, {
      kind: 'start',
      tasks: [
        { title: 'feature.each_file[0]', prompt: 'Document a.ts (0)', item: 0 },
        { title: 'feature.each_file[1]', prompt: 'Document b.ts (1)', item: 1 },
        { title: 'feature.each_file[2]', prompt: 'Document c.ts (2)', item: 2 },
      ],
    });
    const empty = decideStart(c, c.byName.get('each_file')!, fscope({ plan: done({ files: [] }) }));
    assert.deepEqual(empty, { kind: 'start', tasks: [] });
  });

  it('a title template is rendered (per item for for_each)', () => {
    const t = compiled(wf({ each: { for_each: "['x', 'y']", title: 'Doc {{item}} of {{run.workflow}}#{{run.id}}', prompt: '{{index}}' } }));
    const d = decideStart(t, t.steps[0], scope());
    assert.deepEqual(d, { kind: 'start', tasks: [{ title: 'Doc x of w#7', prompt: '0', item: 0 }, { title: 'Doc y of w#7', prompt: '1', item: 1 }] });
  });

  it('for_each that is not a list → fail with an EXPRESSION_FAILED reason', () => {
    for (const files of ['a.ts', null, { a: 1 }, 3]) {
      const d = decideStart(c, c.byName.get('each_file')!, fscope({ plan: done({ files }) }));
      assert.equal(d.kind, 'fail', JSON.stringify(files));
      assert.match((d as { reason: string }).reason, /^EXPRESSION_FAILED: for_each: steps\.plan\.result\.files gave .*, not a list$/);
    }
  });

  it('for_each over the item limit → fail; at the limit → start', () => {
    const over = decideStart(c, c.byName.get('each_file')!, fscope({ plan: done({ files: Array.from({ length: WORKFLOW_LIMITS.forEachItems + 1 }, (_, i) => i) }) }));
    assert.deepEqual(over, { kind: 'fail', reason: `EXPRESSION_FAILED: for_each: ${WORKFLOW_LIMITS.forEachItems + 1} items, over the limit of ${WORKFLOW_LIMITS.forEachItems}` });
    const at = decideStart(c, c.byName.get('each_file')!, fscope({ plan: done({ files: Array.from({ length: WORKFLOW_LIMITS.forEachItems }, (_, i) => i) }) }));
    assert.equal(at.kind, 'start');
    assert.equal((at as { tasks: unknown[] }).tasks.length, WORKFLOW_LIMITS.forEachItems);
  });

  it("a literal {{ is written {{ '{{' }}", () => {
    const t = compiled(wf({ a: { prompt: "use {{ '{{' }}name{{ '}}' }} here" } }));
    assert.deepEqual(decideStart(t, t.steps[0], scope()), { kind: 'start', tasks: [{ title: 'w.a', prompt: 'use {{name}} here', item: null }] });
  });

  it('a skipped upstream step reads as null; `if` is evaluated before for_each', () => {
    const p = decideStart(c, c.byName.get('publish')!, fscope({ each_file: done(['r1', 'r2']), review: { status: 'skipped', output: null, result: null } }));
    assert.deepEqual(p, { kind: 'start', tasks: [{ title: 'feature.publish', prompt: 'Publish 2 docs; review said ', item: null }] });
    const s = compiled(wf({ each: { if: 'false', for_each: '5' } }));
    assert.equal(decideStart(s, s.steps[0], scope()).kind, 'skip');
  });
});

describe('stepTask, needsVerdict, needOutcome, stepOutcome', () => {
  it('stepTask builds the task from the step and the defaults; agent pins through agent:NAME', () => {
    const c = compiled(wf({ a: { caps: ['z', 'x'], agent: 'bob', priority: 'low', timeout: '5s', retries: 1, locks: ['l'], type: 'review' }, b: {} }));
    const t = stepTask(c.steps[0], DEFAULT_OPTIONS.taskDefaults, { title: 'T', prompt: 'P', item: 2 }, 9);
    assert.deepEqual(t, {
      title: 'T', prompt: 'P', type: 'review', priority: 'low', capabilities: ['agent:bob', 'x', 'z'], dependsOn: [], locks: ['l'],
      retry: { ...DEFAULT_OPTIONS.taskDefaults.retry, maxAttempts: 2 }, timeoutMs: 5000, scheduleTimeoutMs: DEFAULT_OPTIONS.taskDefaults.scheduleTimeoutMs,
      idempotencyKey: null, metadata: {}, run: { id: 9, step: 'a', item: 2 },
    });
    const d = stepTask(c.steps[1], DEFAULT_OPTIONS.taskDefaults, { title: 'T', prompt: 'P', item: null }, 9);
    assert.equal(d.type, 'task');
    assert.equal(d.priority, DEFAULT_OPTIONS.taskDefaults.priority);
    assert.deepEqual(d.capabilities, []);
    assert.equal(d.retry.maxAttempts, DEFAULT_OPTIONS.taskDefaults.retry.maxAttempts);
  });

  it('needsVerdict: a blocked need cancels; all needs skipped skips; else go', () => {
    assert.equal(needsVerdict(2, 1, 'DEPENDENCY_FAILED: x'), 'cancel');
    assert.equal(needsVerdict(2, 0, null), 'skip');
    assert.equal(needsVerdict(2, 1, null), 'go');
    assert.equal(needsVerdict(0, 0, null), 'go', 'a root step goes');
  });

  it('needOutcome: completed (or failed with continue_on_failure) is live; skipped; the rest blocks', () => {
    assert.equal(needOutcome('completed', false), 'live');
    assert.equal(needOutcome('failed', true), 'live');
    assert.equal(needOutcome('failed', false), 'blocks');
    assert.equal(needOutcome('cancelled', true), 'blocks');
    assert.equal(needOutcome('skipped', false), 'skipped');
  });

  it('stepOutcome: any dead → failed, else any cancelled → cancelled, else completed', () => {
    assert.equal(stepOutcome(['completed', 'dead', 'cancelled']), 'failed');
    assert.equal(stepOutcome(['completed', 'cancelled']), 'cancelled');
    assert.equal(stepOutcome(['completed', 'completed']), 'completed');
    assert.equal(stepOutcome([]), 'completed');
  });
});
