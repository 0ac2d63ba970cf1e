import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HiveError } from '../../src/core/errors.js';
import { EXPR_LIMITS, evaluate, parseExpr, parseTemplate, render, truthy, type ExprRef } from '../../src/core/expr.js';

const ev = (source: string, scope: Record<string, unknown> = {}): unknown => evaluate(parseExpr(source), scope);

/** Asserts INVALID_EXPRESSION naming the source and matching `reason`; returns the error. */
function refused(source: string, reason: RegExp, parse: (s: string) => unknown = parseExpr): HiveError {
  let caught: unknown;
  try {
    parse(source);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HiveError, `${JSON.stringify(source)} should be refused, got ${String(caught)}`);
  assert.equal(caught.code, 'INVALID_EXPRESSION', source);
  assert.match(caught.message, reason, source);
  return caught;
}

const SCOPE = {
  steps: {
    plan: { status: 'succeeded', result: { files: ['a.ts', 'b.ts'], count: 2, meta: { owner: 'ann' } } },
    tests: { status: 'succeeded', result: { passed: true } },
    empty: { result: null },
  },
  inputs: { name: 'Hive', n: 3, tags: ['x', 'y'], obj: { a: 1 }, key: 'plan', idx: 1, blank: '', zero: 0 },
  item: 'b.ts',
};

describe('expr: literals and names', () => {
  it('evaluates literals and array literals', () => {
    assert.equal(ev('12'), 12);
    assert.equal(ev('1.5'), 1.5);
    assert.equal(ev('.5'), 0.5);
    assert.equal(ev('1e3'), 1000);
    assert.equal(ev("'single'"), 'single');
    assert.equal(ev('"double"'), 'double');
    assert.equal(ev("'it\\'s\\n'"), "it's\n");
    assert.equal(ev('true'), true);
    assert.equal(ev('false'), false);
    assert.equal(ev('null'), null);
    assert.deepEqual(ev('[1, "a", [true, null], inputs.n]', SCOPE), [1, 'a', [true, null], 3]);
    assert.deepEqual(ev('[]'), []);
  });

  it('reads scope roots; a root the scope lacks is null, as are inherited ones', () => {
    assert.equal(ev('item', SCOPE), 'b.ts');
    assert.equal(ev('nope', SCOPE), null);
    assert.equal(ev('toString', SCOPE), null);
    assert.equal(ev('constructor', SCOPE), null);
    assert.equal(ev('__proto__', SCOPE), null);
    assert.equal(ev('x', { x: undefined }), null);
    assert.equal(ev('f', { f: () => 1 }), null);
  });

  it('answers the documented examples', () => {
    assert.equal(ev('steps.tests.result.passed == true', SCOPE), true);
    assert.equal(ev('steps.tests.result.passed != true', SCOPE), false);
    const nullResult = { steps: { tests: { result: null } } };
    assert.equal(ev('steps.tests.result.passed == true', nullResult), false);
    assert.equal(ev('steps.tests.result.passed != true', nullResult), true);
    const files = ev('steps.plan.result.files', SCOPE);
    assert.deepEqual(files, ['a.ts', 'b.ts']);
    assert.ok(Array.isArray(files));
  });
});

describe('expr: member access', () => {
  it('reads own properties and array elements, by dot, string, number and computed keys', () => {
    assert.equal(ev('steps.plan.result.count', SCOPE), 2);
    assert.equal(ev("steps['plan'].result['meta'].owner", SCOPE), 'ann');
    assert.equal(ev('steps.plan.result.files[0]', SCOPE), 'a.ts');
    assert.equal(ev("steps.plan.result.files['1']", SCOPE), 'b.ts');
    assert.equal(ev('steps.plan.result.files[inputs.idx]', SCOPE), 'b.ts');
    assert.equal(ev('steps[inputs.key].status', SCOPE), 'succeeded');
    assert.equal(ev('[10, 20, 30][1 + 1]'), 30);
    assert.equal(ev('o[1]', { o: { '1': 'one' } }), 'one');
  });

  it('gives null for anything missing, never throwing', () => {
    const cases = [
      'steps.nope.result',
      'steps.empty.result.passed',
      'steps.empty.result.a.b.c.d',
      'inputs.name.length',
      'inputs.name[0]',
      'inputs.n.x',
      'inputs.tags.length',
      'inputs.tags[2]',
      'inputs.tags[-1]',
      'inputs.tags[0.5]',
      "inputs.tags['01']",
      'inputs.tags[null]',
      'inputs.obj[true]',
      'inputs.obj[inputs.tags]',
      'true.x',
      'null[0]',
      '[1][5]',
      'nope.a.b',
    ];
    for (const c of cases) assert.equal(ev(c, SCOPE), null, c);
  });

  it('never reaches prototypes: __proto__, constructor, prototype, inherited methods', () => {
    const cases = [
      'steps.__proto__',
      'inputs.constructor',
      "inputs['__proto__']",
      "inputs['constructor']",
      'inputs.constructor.prototype',
      'inputs.obj.hasOwnProperty',
      'x.toString',
      'inputs.name.toString',
      'inputs.tags.map',
      "inputs.tags['constructor']",
      'inputs.obj.prototype',
      'inputs.n.constructor',
      'steps.__proto__.__proto__',
    ];
    for (const c of cases) assert.equal(ev(c, { ...SCOPE, x: { a: 1 } }), null, c);
    // Own keys with those names (JSON.parse makes __proto__ an own property) stay hidden too.
    const tricky = JSON.parse('{"o": {"__proto__": {"polluted": 1}, "constructor": 2, "prototype": 3, "ok": 4}}') as Record<string, unknown>;
    assert.equal(ev('o.__proto__', tricky), null);
    assert.equal(ev('o.__proto__.polluted', tricky), null);
    assert.equal(ev('o.constructor', tricky), null);
    assert.equal(ev("o['prototype']", tricky), null);
    assert.equal(ev('o.ok', tricky), 4);
    // Instances of classes are not plain data.
    assert.equal(ev('d.getTime', { d: new Date(0) }), null);
    assert.equal(ev('m.size', { m: new Map() }), null);
    // Null-prototype objects are plain data.
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: 'v' });
    assert.equal(ev('b.k', { b: bare }), 'v');
  });

  it('holes and undefined values read as null', () => {
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    assert.equal(ev('a[1]', { a: sparse }), null);
    assert.equal(ev('a[2]', { a: sparse }), 3);
    assert.equal(ev('o.u', { o: { u: undefined } }), null);
    assert.deepEqual(ev('[o.u]', { o: { u: undefined } }), [null]);
  });
});

describe('expr: operators', () => {
  it('== and != are strict for primitives and deep for arrays and objects', () => {
    const t: [string, boolean][] = [
      ['1 == 1', true],
      ["1 == '1'", false],
      ['0 == false', false],
      ["'' == null", false],
      ['null == null', true],
      ['nope == null', true],
      ["'a' == 'a'", true],
      ['[1, [2, 3]] == [1, [2, 3]]', true],
      ['[1, 2] == [2, 1]', false],
      ['[1] == [1, 1]', false],
      ['o == p', true],
      ['o == q', false],
      ['o == r', false],
      ['[] == e', false],
      ['inputs.tags == ["x", "y"]', true],
      ['1 != 2', true],
      ["1 != '1'", true],
      ['o != p', false],
      ['[1] != [1]', false],
    ];
    const scope = { ...SCOPE, o: { a: [1, { b: 2 }] }, p: { a: [1, { b: 2 }] }, q: { a: [1, { b: 3 }] }, r: { a: [1, { b: 2 }], c: 1 }, e: {} };
    for (const [src, want] of t) assert.equal(ev(src, scope), want, src);
  });

  it('< <= > >= compare numbers with numbers and strings with strings, else false', () => {
    const t: [string, boolean][] = [
      ['1 < 2', true],
      ['2 < 1', false],
      ['2 <= 2', true],
      ['3 > 2', true],
      ['2 >= 3', false],
      ["'a' < 'b'", true],
      ["'b' >= 'a'", true],
      ["'10' < '9'", true],
      ["1 < '2'", false],
      ["'1' >= 0", false],
      ['null < 1', false],
      ['null >= 0', false],
      ['[1] < [2]', false],
      ['true > false', false],
      ['inputs.n > 2', true],
    ];
    for (const [src, want] of t) assert.equal(ev(src, SCOPE), want, src);
  });

  it('&& and || short-circuit and give booleans; ! negates truthiness', () => {
    const t: [string, boolean][] = [
      ['1 && "x"', true],
      ['1 && 0', false],
      ['null && nope.x', false],
      ['"" || 0', false],
      ['"" || "a"', true],
      ['[] || false', true],
      ['!null', true],
      ['![]', false],
      ['!!inputs.name', true],
      ['!inputs.blank', true],
      ['true && false || true', true],
      ['true || false && false', true],
    ];
    for (const [src, want] of t) assert.equal(ev(src, SCOPE), want, src);
  });

  it('+ adds numbers and joins text when either side is a string', () => {
    assert.equal(ev('1 + 2'), 3);
    assert.equal(ev("'a' + 'b'"), 'ab');
    assert.equal(ev("'n=' + 3"), 'n=3');
    assert.equal(ev("3 + 'x'"), '3x');
    assert.equal(ev("'v' + null"), 'v');
    assert.equal(ev("'v' + true"), 'vtrue');
    assert.equal(ev("'v' + [1, 'a']"), 'v[1,"a"]');
    assert.equal(ev("'v' + o", { o: { a: 1 } }), 'v{"a":1}');
    assert.equal(ev('1 + true'), null);
    assert.equal(ev('1 + null'), null);
    assert.equal(ev('[1] + [2]'), null);
    assert.equal(ev('1 + 2 * 3'), 7);
    assert.equal(ev('(1 + 2) * 3'), 9);
  });

  it('- * / % need numbers; non-finite results are null', () => {
    assert.equal(ev('5 - 7'), -2);
    assert.equal(ev('4 * 2.5'), 10);
    assert.equal(ev('9 / 2'), 4.5);
    assert.equal(ev('9 % 4'), 1);
    assert.equal(ev('10 - 2 - 3'), 5);
    assert.equal(ev("'5' - 1"), null);
    assert.equal(ev("'a' * 2"), null);
    assert.equal(ev('null / 1'), null);
    assert.equal(ev('[4] % 2'), null);
    assert.equal(ev('1 / 0'), null);
    assert.equal(ev('0 / 0'), null);
    assert.equal(ev('5 % 0'), null);
    assert.equal(ev('1e300 * 1e300'), null);
  });

  it('unary - and + need a number', () => {
    assert.equal(ev('-3'), -3);
    assert.equal(ev('-inputs.n', SCOPE), -3);
    assert.equal(ev('+4'), 4);
    assert.equal(ev('- -4'), 4);
    assert.equal(ev("-'3'"), null);
    assert.equal(ev("+'3'"), null);
    assert.equal(ev('-null'), null);
    assert.equal(ev('+true'), null);
  });

  it('the ternary picks a branch by truthiness and evaluates only that branch', () => {
    assert.equal(ev('inputs.n > 2 ? "big" : "small"', SCOPE), 'big');
    assert.equal(ev('inputs.zero ? "yes" : "no"', SCOPE), 'no');
    assert.equal(ev('[] ? 1 : 2'), 1);
    assert.equal(ev('null ? 1 : false ? 2 : 3'), 3);
    assert.equal(ev('inputs.n > 2 && inputs.n < 5 ? "mid" : "out"', SCOPE), 'mid');
  });
});

describe('expr: built-in functions', () => {
  it('len', () => {
    assert.equal(ev("len('abc')"), 3);
    assert.equal(ev('len(inputs.tags)', SCOPE), 2);
    assert.equal(ev('len(inputs.obj)', SCOPE), 1);
    assert.equal(ev('len(e)', { e: {} }), 0);
    assert.equal(ev('len(null)'), 0);
    assert.equal(ev('len(42)'), 0);
    assert.equal(ev('len(true)'), 0);
    assert.equal(ev('len(nope.x)'), 0);
  });

  it('contains: deep array membership or substring', () => {
    assert.equal(ev("contains(inputs.tags, 'y')", SCOPE), true);
    assert.equal(ev("contains(inputs.tags, 'z')", SCOPE), false);
    assert.equal(ev('contains([[1, 2], o], [1, 2])', { o: { a: 1 } }), true);
    assert.equal(ev('contains([o], p)', { o: { a: [1] }, p: { a: [1] } }), true);
    assert.equal(ev("contains([1, 2], '1')"), false);
    assert.equal(ev('contains([null], nope)'), true);
    assert.equal(ev("contains('hello world', 'o w')"), true);
    assert.equal(ev("contains('hello', 'z')"), false);
    assert.equal(ev("contains('a1', 1)"), false);
    assert.equal(ev("contains(null, 'a')"), false);
    assert.equal(ev("contains(o, 'a')", { o: { a: 1 } }), false);
  });

  it('lower, upper, trim: strings only, else null', () => {
    assert.equal(ev("lower('MiXeD')"), 'mixed');
    assert.equal(ev("upper('MiXeD')"), 'MIXED');
    assert.equal(ev("trim('  x y \\n')"), 'x y');
    assert.equal(ev('lower(1)'), null);
    assert.equal(ev('upper(null)'), null);
    assert.equal(ev('trim(inputs.tags)', SCOPE), null);
  });

  it('join renders elements as text with a string separator', () => {
    assert.equal(ev("join(inputs.tags, ', ')", SCOPE), 'x, y');
    assert.equal(ev("join([1, null, true, 'a', [2], o], '|')", { o: { k: 'v' } }), '1||true|a|[2]|{"k":"v"}');
    assert.equal(ev("join([], '-')"), '');
    assert.equal(ev("join('abc', '-')"), null);
    assert.equal(ev('join(inputs.tags, 1)', SCOPE), null);
  });

  it('keys lists an object\'s keys, [] for anything else', () => {
    assert.deepEqual(ev('keys(steps)', SCOPE), ['plan', 'tests', 'empty']);
    assert.deepEqual(ev('keys(inputs.tags)', SCOPE), []);
    assert.deepEqual(ev('keys(null)'), []);
    assert.deepEqual(ev("keys('ab')"), []);
  });

  it('default replaces null only', () => {
    assert.equal(ev("default(nope, 'fb')"), 'fb');
    assert.equal(ev("default(steps.empty.result.x, 'fb')", SCOPE), 'fb');
    assert.equal(ev("default(inputs.zero, 'fb')", SCOPE), 0);
    assert.equal(ev("default(inputs.blank, 'fb')", SCOPE), '');
    assert.equal(ev("default(false, 'fb')"), false);
    assert.deepEqual(ev('default(nope, [])'), []);
  });

  it('functions compose and take expressions as arguments', () => {
    assert.equal(ev("upper(join(default(inputs.missing, inputs.tags), '+'))", SCOPE), 'X+Y');
    assert.equal(ev('len(keys(inputs)) > 5', SCOPE), true);
  });
});

describe('expr: truthy', () => {
  it('is JS-like, with [] and {} true', () => {
    for (const v of [false, null, undefined, 0, -0, Number.NaN, '']) assert.equal(truthy(v), false, String(v));
    for (const v of [true, 1, -1, 'a', ' ', '0', 'false', [], {}, [0]]) assert.equal(truthy(v), true, JSON.stringify(v));
  });
});

describe('expr: refusals', () => {
  it('refuses what the language lacks, naming it, with INVALID_EXPRESSION', () => {
    const cases: [string, RegExp][] = [
      ['a = 1', /Unexpected "=" at character 2 \(assignment/],
      ['(x) => x', /assignment and => are not allowed/],
      ['new Foo()', /`new` is not allowed/],
      ['typeof x', /`typeof` is not allowed/],
      ['void 0', /`void` is not allowed/],
      ['delete a.b', /`delete` is not allowed/],
      ['a instanceof b', /`instanceof` is not allowed/],
      ["'x' in o", /`in` is not allowed/],
      ['a, b', /several expressions/],
      ['a; b', /several expressions/],
      ['a b', /several expressions/],
      ['(a, b)', /sequence expressions/],
      ['this', /`this` is not allowed/],
      ['this.x', /`this` is not allowed/],
      ['{a: 1}', /object literals are not allowed/],
      ['`x${a}`', /template literals are not allowed/],
      ['/ab+c/', /regular expressions are not allowed/],
      ['a === b', /=== is not allowed: use ==/],
      ['a !== b', /!== is not allowed: use !=/],
      ['a ?? b', /\?\? is not allowed: use default/],
      ['a ** 2', /\*\* \(power\) is not allowed/],
      ['a | b', /bitwise operator \| is not allowed/],
      ['a & b', /bitwise operator & is not allowed/],
      ['a ^ b', /bitwise operator \^ is not allowed/],
      ['a << 1', /bitwise operator << is not allowed/],
      ['a >> 1', /bitwise operator >> is not allowed/],
      ['a >>> 1', /bitwise operator >>> is not allowed/],
      ['~a', /bitwise operator ~ is not allowed/],
      ['a?.b', /\?\. is not needed/],
      ['a?.[0]', /\?\. is not needed/],
      ['a.b()', /calling a member/],
      ["inputs.name.toUpperCase()", /calling a member/],
      ['a()()', /only the built-in functions can be called/],
      ['len(a)(b)', /only the built-in functions can be called/],
      ['a(b)', /unknown function a\(\); the functions are len, contains, lower, upper, trim, join, keys, default/],
      ['(a + b)(x)', /only the built-in functions can be called, by name/],
      ['[len][0](x)', /calling a member/],
      ['eval("1")', /unknown function eval\(\)/],
      ['Function("x")', /unknown function Function\(\)/],
      ['constructor(x)', /unknown function constructor\(\)/],
      ['toString()', /unknown function toString\(\)/],
      ['len()', /len\(\) takes 1 argument, not 0/],
      ['len(a, b)', /len\(\) takes 1 argument, not 2/],
      ['contains(a)', /contains\(\) takes 2 arguments, not 1/],
      ['default(a)', /default\(\) takes 2 arguments, not 1/],
      ['join(a)', /join\(\) takes 2 arguments, not 1/],
      ['[1, , 2]', /array holes/],
      ['default', /`default` is not allowed/],
      ['1e400', /out of range/],
      ['', /empty/],
      ['   ', /empty/],
      ['a +', /Expected expression after \+ at character 3/],
      ['(a', /Unclosed \( at character 2/],
      ["'abc", /Unclosed quote/],
      ['a[', /character/],
      ['a.', /character 2/],
      ['a += 1', /Expected expression after \+/],
      ['a ? b', /Expected :/],
    ];
    for (const [src, reason] of cases) {
      const e = refused(src, reason);
      assert.ok(e.message.startsWith(`invalid expression ${JSON.stringify(src)}: `), e.message);
      assert.equal(e.details?.expression, src);
    }
  });

  it('parse errors carry the character position in the message and details', () => {
    const e = refused('steps.a.result ==', /^invalid expression "steps\.a\.result ==": Expected expression after == at character 17$/);
    assert.deepEqual(e.details, { expression: 'steps.a.result ==', position: 17 });
    const e2 = refused('a && (b ||', /at character \d+/);
    assert.equal(typeof e2.details?.position, 'number');
    // Refusals found after parsing have no position.
    assert.deepEqual(refused('a === b', /===/).details, { expression: 'a === b' });
  });

  it('enforces EXPR_LIMITS on length and depth', () => {
    assert.equal(EXPR_LIMITS.sourceChars, 2000);
    assert.equal(EXPR_LIMITS.depth, 32);
    const atLimit = `'${'x'.repeat(EXPR_LIMITS.sourceChars - 2)}'`;
    assert.equal((ev(atLimit) as string).length, EXPR_LIMITS.sourceChars - 2);
    const long = refused(`'${'x'.repeat(EXPR_LIMITS.sourceChars)}'`, /longer than 2000 characters/);
    assert.ok(long.message.length < 400, 'the message cuts a long source');
    refused(`${'('.repeat(40)}1${')'.repeat(40)}`, /nested deeper than 32/);
    refused(`${'['.repeat(40)}${']'.repeat(40)}`, /nested deeper than 32/);
    refused(`${'!'.repeat(40)}a`, /nested deeper than 32/);
    refused(`a${'.b'.repeat(40)}`, /nested deeper than 32/);
    refused(Array.from({ length: 40 }, (_, i) => `x${i}`).join(' + '), /nested deeper than 32/);
    refused(`${'a ? b : '.repeat(40)}c`, /nested deeper than 32/);
    // Deep inputs far past the limit are refused cleanly (no stack overflow).
    refused('!'.repeat(1999) + 'a', /nested deeper/);
    refused('-'.repeat(1999) + '1', /nested deeper/);
    refused(`${'('.repeat(999)}1${')'.repeat(999)}`, /nested deeper/);
    // Within the limits is fine.
    assert.equal(ev(`${'('.repeat(20)}1${')'.repeat(20)}`), 1);
    assert.equal(ev(`${'!'.repeat(20)}true`), true);
  });

  it('non-string sources are refused', () => {
    assert.throws(() => parseExpr(42 as unknown as string), { code: 'INVALID_EXPRESSION' });
    assert.throws(() => parseTemplate(null as unknown as string), { code: 'INVALID_EXPRESSION' });
  });
});

describe('expr: refs', () => {
  const refs = (src: string): readonly ExprRef[] => parseExpr(src).refs;

  it('reports static member paths from each root', () => {
    assert.deepEqual(refs('steps.plan.result.files'), [{ root: 'steps', path: ['plan', 'result', 'files'] }]);
    assert.deepEqual(refs("steps['plan'].result[0]"), [{ root: 'steps', path: ['plan', 'result', '0'] }]);
    assert.deepEqual(refs('item'), [{ root: 'item', path: [] }]);
    assert.deepEqual(refs('1 + 2'), []);
    assert.deepEqual(refs("'steps.x'"), []);
  });

  it('stops the path at the first computed member and reports the key expression too', () => {
    assert.deepEqual(refs('steps[inputs.key].result'), [
      { root: 'steps', path: [] },
      { root: 'inputs', path: ['key'] },
    ]);
    assert.deepEqual(refs('steps.plan.result.files[i].name'), [
      { root: 'steps', path: ['plan', 'result', 'files'] },
      { root: 'i', path: [] },
    ]);
    assert.deepEqual(refs('a[1 + 1].b'), [{ root: 'a', path: [] }]);
  });

  it('finds refs inside function arguments, ternaries, arrays, unary and binary operands; not function names', () => {
    assert.deepEqual(refs("len(steps.plan.result.files) > 0 ? upper(inputs.name) : default(inputs.other, item)"), [
      { root: 'steps', path: ['plan', 'result', 'files'] },
      { root: 'inputs', path: ['name'] },
      { root: 'inputs', path: ['other'] },
      { root: 'item', path: [] },
    ]);
    assert.deepEqual(refs('[a.x, !b, -c.d] == e'), [
      { root: 'a', path: ['x'] },
      { root: 'b', path: [] },
      { root: 'c', path: ['d'] },
      { root: 'e', path: [] },
    ]);
    assert.deepEqual(refs('keys(o)[0]'), [{ root: 'o', path: [] }]);
  });

  it('reports each ref once, in order of appearance', () => {
    assert.deepEqual(refs('a.b == 1 || a.b == 2 || a.c == a.b'), [
      { root: 'a', path: ['b'] },
      { root: 'a', path: ['c'] },
    ]);
  });

  it('reports prototype-ish paths as written (evaluation still gives null)', () => {
    assert.deepEqual(refs('steps.__proto__'), [{ root: 'steps', path: ['__proto__'] }]);
  });

  it('returns frozen results', () => {
    const e = parseExpr('a.b');
    assert.ok(Object.isFrozen(e));
    assert.ok(Object.isFrozen(e.refs));
    assert.ok(Object.isFrozen(e.refs[0].path));
    assert.equal(e.source, 'a.b');
  });
});

describe('expr: evaluate', () => {
  it('never mutates the scope', () => {
    const scope = {
      steps: { plan: { result: { files: ['b', 'a'], meta: { k: 1 } } } },
      inputs: { tags: ['z', 'y'], name: ' Pad ' },
    };
    const before = structuredClone(scope);
    const sources = [
      'steps.plan.result.files',
      "join(steps.plan.result.files, ',')",
      'keys(steps.plan.result.meta)',
      'contains(inputs.tags, "y")',
      'trim(inputs.name)',
      "inputs.tags + 'x'",
      '[inputs.tags, steps] == [inputs.tags, steps]',
      'steps.__proto__',
      'default(nope, inputs.tags)',
    ];
    for (const s of sources) evaluate(parseExpr(s), scope);
    assert.deepEqual(scope, before);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('works for an Expr that was copied (re-parses its source)', () => {
    const copy = { ...parseExpr('a + 1') };
    assert.equal(evaluate(copy, { a: 1 }), 2);
    assert.throws(() => evaluate({ source: 'a = 1', refs: [] }, {}), { code: 'INVALID_EXPRESSION' });
  });

  it('gives the same answer when evaluated again', () => {
    const e = parseExpr('len(a) + 1');
    assert.equal(evaluate(e, { a: [1, 2] }), 3);
    assert.equal(evaluate(e, { a: 'abcd' }), 5);
  });
});

describe('expr: templates', () => {
  it('renders every value type', () => {
    const t = parseTemplate('s={{ s }} n={{n}} f={{ f }} b={{ b }} nul={{ nul }} miss={{ miss.x }} arr={{ arr }} obj={{ obj }}');
    const out = render(t, { s: 'text', n: 42, f: 1.5, b: false, nul: null, arr: [1, 'a', null], obj: { k: [true] } });
    assert.equal(out, 's=text n=42 f=1.5 b=false nul= miss= arr=[1,"a",null] obj={"k":[true]}');
  });

  it('plain text is kept as is and has no refs', () => {
    const t = parseTemplate('no braces here } { }} {');
    assert.deepEqual(t.refs, []);
    assert.equal(render(t, {}), 'no braces here } { }} {');
    assert.equal(render(parseTemplate(''), {}), '');
  });

  it('collects the union of the refs of its expressions', () => {
    const t = parseTemplate('Fix {{ steps.plan.result.files[0] }} for {{ inputs.name }} ({{ inputs.name }}, {{ len(steps.plan.result.files) }}, {{ x ? y.z : 1 }})');
    assert.deepEqual(t.refs, [
      { root: 'steps', path: ['plan', 'result', 'files', '0'] },
      { root: 'inputs', path: ['name'] },
      { root: 'steps', path: ['plan', 'result', 'files'] },
      { root: 'x', path: [] },
      { root: 'y', path: ['z'] },
    ]);
    assert.equal(t.source.startsWith('Fix {{'), true);
    assert.equal(t.parts.length, 11);
  });

  it('renders expressions in place, whitespace inside braces is optional', () => {
    const t = parseTemplate("{{item}}:{{ upper(item) }}:{{\n  default(nope, 'd')\n}}!");
    assert.equal(render(t, { item: 'ab' }), 'ab:AB:d!');
    assert.equal(render(parseTemplate("{{ '}}' + a }}"), { a: 'x' }), '}}x');
    assert.equal(render(parseTemplate('{{a}}{{b}}'), { a: 1, b: 2 }), '12');
  });

  it('refuses an unclosed {{ with its position', () => {
    const e = refused('Hello {{ inputs.name', /^invalid template: "\{\{" at character 6 is not closed by "\}\}"/, parseTemplate);
    assert.equal(e.details?.position, 6);
    refused('ok {{ a }} then {{ b', /character 16 is not closed/, parseTemplate);
    refused('{{ a }', /not closed/, parseTemplate);
  });

  it('refuses a bad expression inside, naming it and where it is', () => {
    const e = refused('x {{ a == }} y', /^invalid expression "a ==": Expected expression after == at character 4 \(in a template, expression at character 5\)$/, parseTemplate);
    assert.deepEqual(e.details, { expression: 'a ==', position: 4, templatePosition: 9 });
    refused('{{ a.b() }}', /calling a member/, parseTemplate);
    refused('{{ }}', /empty/, parseTemplate);
    refused("{{ 'abc }}", /Unclosed quote/, parseTemplate);
    refused(`{{ '${'x'.repeat(EXPR_LIMITS.sourceChars)}' }}`, /longer than 2000/, parseTemplate);
  });

  it('accepts long templates up to 1,000,000 characters and refuses longer ones', () => {
    const big = `${'p'.repeat(999_990)}{{ a }}`;
    assert.equal(render(parseTemplate(big), { a: 'Z' }).length, 999_991);
    const e = refused('q'.repeat(1_000_001), /longer than 1000000 characters/, parseTemplate);
    assert.ok(e.message.length < 300);
  });

  it('does not mutate the scope', () => {
    const scope = { a: { list: [3, 1, 2] } };
    render(parseTemplate('{{ a.list }} {{ join(a.list, "-") }} {{ keys(a) }}'), scope);
    assert.deepEqual(scope, { a: { list: [3, 1, 2] } });
  });
});
