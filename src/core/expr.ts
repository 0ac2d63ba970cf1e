/**
 * The Hive expression language: what workflows write in `if:`, `for_each:` and `{{ ... }}` templates.
 * Pure and safe: parsed by jsep into an AST, checked against a whitelist, then interpreted here — no eval,
 * no Function, no access to prototypes, no I/O.
 *
 * Values are JSON data: objects, arrays, strings, numbers, booleans and null (undefined reads as null).
 *
 * Literals      `12`, `1.5`, `.5`, `1e3`, `'text'`, `"text"`, `true`, `false`, `null`, arrays `[a, b]`.
 *               String escapes: \n \r \t \b \f \v; a backslash before any other character gives that
 *               character (`\'`, `\\`); there are no \u or \x escapes.
 * Names         A bare name is a root of the scope (`steps`, `inputs`, ... whatever the caller provides);
 *               a root that the scope does not have reads as null. JavaScript reserved words and `this`
 *               are refused.
 * Members       `a.b`, `a['b']`, `a[0]`, `a[i]`. Only own properties of plain objects and elements of
 *               arrays are visible; anything else — a missing key, a member of null, of a string or of a
 *               number, an index out of range, `__proto__`, `constructor`, `prototype` — reads as null and
 *               never fails. Arrays have no `.length`: use len(x).
 * Operators     by precedence, loosest first:
 *               `c ? a : b`   the branch chosen by truthy(c)
 *               `||`  `&&`    short-circuit; the result is a boolean: truthy(a) || truthy(b)
 *               `==`  `!=`    strict for primitives (1 != '1'), deep for arrays and objects
 *               `<` `<=` `>` `>=`  numbers with numbers, strings with strings (code-unit order); else false
 *               `+`           numbers add; if either side is a string, both are joined as text (as a
 *                             template renders them: null is '', arrays/objects are JSON); else null
 *               `-` `*` `/` `%`  numbers only, else null
 *               `!x` `-x` `+x`   `-`/`+` need a number, else null
 *               Arithmetic that would give Infinity or NaN (1 / 0) gives null.
 * Functions     only these built-ins, called by name, with exactly this many arguments:
 *               len(x)              length of a string or array, key count of an object, else 0
 *               contains(h, n)      array h has an element deep-equal to n, or string h has substring n
 *               lower(s) upper(s) trim(s)   string functions; null for a non-string
 *               join(list, sep)     elements rendered as text, joined with the string sep; null if not a list
 *               keys(obj)           the keys of an object; [] for anything else
 *               default(x, y)       y when x is null, else x
 * Truthiness    false, null, 0, NaN and '' are false; everything else, including [] and {}, is true.
 * Refused       (INVALID_EXPRESSION, when the workflow is defined): assignment, `=>`, `new`, `typeof` and
 *               other keywords, `this`, `a, b` and `a; b`, object literals, template literals, regular
 *               expressions, `===`/`!==` (use `==`/`!=`), `??` (use default()), `**`, bitwise operators
 *               (`| & ^ ~ << >> >>>`), `?.` (not needed: members are already null-safe), calling a member
 *               (`a.b()`), unknown functions, wrong argument counts, array holes `[a, , b]`.
 * Limits        an expression is at most EXPR_LIMITS.sourceChars characters and its syntax tree at most
 *               EXPR_LIMITS.depth levels deep (`a.b.c` is 3 levels, `a + b + c` is 3, `f(a.b)` is 3), and
 *               brackets ( and [ nest at most EXPR_LIMITS.depth deep.
 *
 * Templates are text with `{{ expr }}` segments. A string value is inserted as is, null as nothing, numbers
 * and booleans as String(v), arrays and objects as JSON. There is no escape for a literal `{{`.
 *
 * evaluate() never fails because of the data: where JavaScript would throw, the result is null. It never
 * modifies the scope; a result may be (part of) a scope value itself, not a copy.
 */
import jsep from 'jsep';
import { HiveError } from './errors.js';

/** A reference an expression makes to its scope, as far as it is static: `steps.plan.result.files` → { root: 'steps', path: ['plan', 'result', 'files'] }. The path stops at the first computed member (a[b] where b is not a literal). */
export interface ExprRef {
  root: string;
  path: string[];
}

/** A parsed expression. Its syntax tree is kept privately (keyed by this object). */
export interface Expr {
  readonly source: string;
  readonly refs: readonly ExprRef[];
}

/** A parsed template: text parts and expressions, in order. */
export interface Template {
  readonly source: string;
  readonly refs: readonly ExprRef[];
  readonly parts: readonly (string | Expr)[];
}

export const EXPR_LIMITS: Readonly<{ sourceChars: number; depth: number }> = Object.freeze({ sourceChars: 2000, depth: 32 });

/** Templates hold whole prompts, so they may be long; each expression inside stays under EXPR_LIMITS. */
const TEMPLATE_SOURCE_CHARS = 1_000_000;

// ---------------------------------------------------------------------------------------------------------
// The checked syntax tree

type Primitive = string | number | boolean | null;
type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%';
type Node =
  | { k: 'lit'; v: Primitive }
  | { k: 'root'; name: string }
  | { k: 'member'; obj: Node; key: Node }
  | { k: 'array'; items: Node[] }
  | { k: 'unary'; op: '!' | '-' | '+'; arg: Node }
  | { k: 'binary'; op: BinaryOp; l: Node; r: Node }
  | { k: 'logical'; op: '&&' | '||'; l: Node; r: Node }
  | { k: 'cond'; test: Node; then: Node; else: Node }
  | { k: 'call'; fn: Builtin; args: Node[] };

interface Builtin {
  name: string;
  arity: number;
  run: (args: unknown[]) => unknown;
}

const BINARY_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%']);
const REFUSED_BINARY: ReadonlyMap<string, string> = new Map([
  ['===', '=== is not allowed: use == (it is already strict)'],
  ['!==', '!== is not allowed: use != (it is already strict)'],
  ['??', '?? is not allowed: use default(x, fallback)'],
  ['**', '** (power) is not allowed'],
  ...['|', '&', '^', '<<', '>>', '>>>'].map((op): [string, string] => [op, `bitwise operator ${op} is not allowed`]),
]);
/** Keys that never resolve, even when JSON.parse made them own properties. */
const HIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** JavaScript reserved words: refused as names, so `typeof x`, `new F()`, `void 0` get a clear message. */
const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends finally for function if import in instanceof let new return static super switch throw try typeof var void while with yield await'.split(' '),
);
/** Hints for jsep's `Unexpected "c"` errors about characters that start constructs the language lacks. */
const UNEXPECTED_HINTS: Readonly<Record<string, string>> = {
  '=': 'assignment and => are not allowed; compare with ==',
  '{': 'object literals are not allowed',
  '}': 'object literals are not allowed',
  '`': 'template literals are not allowed; join strings with +',
  '/': 'regular expressions are not allowed',
};

// ---------------------------------------------------------------------------------------------------------
// Values

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** undefined and values JSON cannot hold read as null. */
function norm(v: unknown): unknown {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint' ? null : v;
}

const INDEX = /^(?:0|[1-9]\d*)$/;

function member(obj: unknown, key: unknown): unknown {
  if (Array.isArray(obj)) {
    let i: number;
    if (typeof key === 'number') i = key;
    else if (typeof key === 'string' && INDEX.test(key)) i = Number(key);
    else return null;
    return Number.isInteger(i) && i >= 0 && i < obj.length && Object.hasOwn(obj, i) ? norm(obj[i]) : null;
  }
  if (isPlainObject(obj)) {
    const k = typeof key === 'string' ? key : typeof key === 'number' && Number.isFinite(key) ? String(key) : null;
    return k !== null && !HIDDEN_KEYS.has(k) && Object.hasOwn(obj, k) ? norm(obj[k]) : null;
  }
  return null;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(norm(x), norm(b[i])));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(norm(a[k]), norm(b[k])));
  }
  return false;
}

/** How a template renders a value (and how `+` turns a non-string into text). */
function toText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}

/** JS-like truthiness: false, null, undefined, 0, NaN and '' are false; [] and {} are true. */
export function truthy(value: unknown): boolean {
  return Boolean(value);
}

const finite = (n: number): number | null => (Number.isFinite(n) ? n : null);
const str = (f: (s: string) => string) => (args: unknown[]) => (typeof args[0] === 'string' ? f(args[0]) : null);

const BUILTINS: ReadonlyMap<string, Builtin> = new Map(
  (
    [
      ['len', 1, ([x]) => (typeof x === 'string' || Array.isArray(x) ? x.length : isPlainObject(x) ? Object.keys(x).length : 0)],
      ['contains', 2, ([h, n]) => (Array.isArray(h) ? h.some((e) => deepEqual(norm(e), n)) : typeof h === 'string' && typeof n === 'string' ? h.includes(n) : false)],
      ['lower', 1, str((s) => s.toLowerCase())],
      ['upper', 1, str((s) => s.toUpperCase())],
      ['trim', 1, str((s) => s.trim())],
      ['join', 2, ([list, sep]) => (Array.isArray(list) && typeof sep === 'string' ? Array.from(list, (e) => toText(norm(e))).join(sep) : null)],
      ['keys', 1, ([o]) => (isPlainObject(o) ? Object.keys(o) : [])],
      ['default', 2, ([x, fallback]) => (x === null || x === undefined ? fallback : x)],
    ] as [string, number, (args: unknown[]) => unknown][]
  ).map(([name, arity, run]) => [name, { name, arity, run }]),
);

// ---------------------------------------------------------------------------------------------------------
// Evaluation

function ev(n: Node, scope: Readonly<Record<string, unknown>>): unknown {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'root':
      return typeof scope === 'object' && scope !== null && Object.hasOwn(scope, n.name) ? norm(scope[n.name]) : null;
    case 'member':
      return member(ev(n.obj, scope), ev(n.key, scope));
    case 'array':
      return n.items.map((item) => ev(item, scope));
    case 'unary': {
      const v = ev(n.arg, scope);
      if (n.op === '!') return !truthy(v);
      if (typeof v !== 'number') return null;
      return n.op === '-' ? -v : v;
    }
    case 'logical': {
      const l = truthy(ev(n.l, scope));
      if (n.op === '&&') return l && truthy(ev(n.r, scope));
      return l || truthy(ev(n.r, scope));
    }
    case 'cond':
      return truthy(ev(n.test, scope)) ? ev(n.then, scope) : ev(n.else, scope);
    case 'call':
      return norm(n.fn.run(n.args.map((a) => ev(a, scope))));
    case 'binary':
      return binary(n.op, ev(n.l, scope), ev(n.r, scope));
  }
}

function binary(op: BinaryOp, l: unknown, r: unknown): unknown {
  switch (op) {
    case '==':
      return deepEqual(l, r);
    case '!=':
      return !deepEqual(l, r);
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const comparable = (typeof l === 'number' && typeof r === 'number') || (typeof l === 'string' && typeof r === 'string');
      if (!comparable) return false;
      const [a, b] = [l as number | string, r as number | string];
      return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    }
    case '+':
      if (typeof l === 'number' && typeof r === 'number') return finite(l + r);
      if (typeof l === 'string' || typeof r === 'string') return toText(l) + toText(r);
      return null;
    case '-':
    case '*':
    case '/':
    case '%':
      if (typeof l !== 'number' || typeof r !== 'number') return null;
      return finite(op === '-' ? l - r : op === '*' ? l * r : op === '/' ? l / r : l % r);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Parsing and checking

/** A refusal inside parsing; the public functions turn it into INVALID_EXPRESSION with the right wording. */
class Refusal {
  constructor(
    readonly reason: string,
    readonly position?: number,
  ) {}
}

function refuse(reason: string, position?: number): never {
  throw new Refusal(reason, position);
}

/** Deepest nesting of ( and [ outside string literals: checked before jsep, whose parser recurses per level. */
function bracketDepth(s: string): number {
  let depth = 0;
  let max = 0;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[') max = Math.max(max, ++depth);
    else if (c === ')' || c === ']') depth--;
  }
  return max;
}

function runJsep(source: string): jsep.Expression {
  try {
    return jsep(source);
  } catch (err) {
    if (err instanceof RangeError) refuse(`nested deeper than ${EXPR_LIMITS.depth} levels`);
    const e = err as { index?: unknown; description?: unknown; message?: unknown };
    if (typeof e?.index === 'number' && typeof e.description === 'string') {
      const ch = /^Unexpected "(.)"$/.exec(e.description)?.[1];
      const hint = ch !== undefined && Object.hasOwn(UNEXPECTED_HINTS, ch) ? ` (${UNEXPECTED_HINTS[ch]})` : '';
      throw new Refusal(`${e.description} at character ${e.index}${hint}`, e.index);
    }
    refuse(typeof e?.message === 'string' ? e.message : String(err));
  }
}

function isNode(v: unknown): v is jsep.Expression {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string';
}

function child(v: unknown, depth: number): Node {
  if (!isNode(v)) refuse('incomplete expression');
  return check(v, depth);
}

/** jsep's AST → the checked tree; everything not explicitly allowed is refused. */
function check(node: jsep.Expression, depth: number): Node {
  if (depth > EXPR_LIMITS.depth) refuse(`nested deeper than ${EXPR_LIMITS.depth} levels`);
  const next = depth + 1;
  switch (node.type) {
    case 'Literal': {
      const v = node.value;
      if (v instanceof RegExp) refuse('regular expressions are not allowed');
      if (typeof v === 'number' && !Number.isFinite(v)) refuse(`number ${String(node.raw)} is out of range`);
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { k: 'lit', v };
      return refuse(`literal ${String(node.raw)} is not allowed`);
    }
    case 'Identifier': {
      const name = node.name;
      if (typeof name !== 'string') return refuse('malformed name');
      if (RESERVED.has(name)) refuse(`\`${name}\` is not allowed (a reserved word)`);
      return { k: 'root', name };
    }
    case 'ThisExpression':
      return refuse('`this` is not allowed');
    case 'MemberExpression': {
      if (node.optional) refuse('?. is not needed: member access already gives null for a missing value; write a.b');
      const obj = child(node.object, next);
      if (node.computed) return { k: 'member', obj, key: child(node.property, next) };
      const prop = node.property;
      if (!isNode(prop) || prop.type !== 'Identifier' || typeof prop.name !== 'string') return refuse('malformed member access');
      return { k: 'member', obj, key: { k: 'lit', v: prop.name } };
    }
    case 'ArrayExpression': {
      const elements = node.elements;
      if (!Array.isArray(elements)) return refuse('malformed array');
      if (elements.some((e) => e === null)) refuse('array holes ([a, , b]) are not allowed');
      return { k: 'array', items: elements.map((e) => child(e, next)) };
    }
    case 'UnaryExpression': {
      const op = node.operator;
      if (op === '!' || op === '-' || op === '+') return { k: 'unary', op, arg: child(node.argument, next) };
      return refuse(op === '~' ? 'bitwise operator ~ is not allowed' : `operator ${String(op)} is not allowed`);
    }
    case 'BinaryExpression': {
      const op = node.operator;
      if (typeof op !== 'string') return refuse('malformed operator');
      if (op === '&&' || op === '||') return { k: 'logical', op, l: child(node.left, next), r: child(node.right, next) };
      if (BINARY_OPS.has(op)) return { k: 'binary', op: op as BinaryOp, l: child(node.left, next), r: child(node.right, next) };
      return refuse(REFUSED_BINARY.get(op) ?? `operator ${op} is not allowed`);
    }
    case 'ConditionalExpression':
      return { k: 'cond', test: child(node.test, next), then: child(node.consequent, next), else: child(node.alternate, next) };
    case 'CallExpression': {
      const callee = node.callee;
      if (!isNode(callee)) return refuse('malformed call');
      if (callee.type === 'MemberExpression') refuse('calling a member (a.b()) is not allowed; only the built-in functions can be called, by name');
      if (callee.type !== 'Identifier' || typeof callee.name !== 'string') refuse('only the built-in functions can be called, by name');
      const fn = BUILTINS.get(callee.name as string);
      if (!fn) return refuse(`unknown function ${String(callee.name)}(); the functions are ${[...BUILTINS.keys()].join(', ')}`);
      const args = node.arguments;
      if (!Array.isArray(args)) return refuse('malformed call');
      if (args.length !== fn.arity) refuse(`${fn.name}() takes ${fn.arity} argument${fn.arity === 1 ? '' : 's'}, not ${args.length}`);
      return { k: 'call', fn, args: args.map((a) => child(a, next)) };
    }
    case 'Compound': {
      const body = Array.isArray(node.body) ? node.body : [];
      if (body.length === 0) refuse('the expression is empty');
      const keyword = body.find((b): b is jsep.Identifier => isNode(b) && b.type === 'Identifier' && RESERVED.has(b.name as string));
      if (keyword) refuse(`\`${keyword.name}\` is not allowed (a reserved word)`);
      return refuse('several expressions in one are not allowed (separated by , or ;, or an operator is missing)');
    }
    case 'SequenceExpression':
      return refuse('sequence expressions (a, b) are not allowed');
    default:
      return refuse(`${node.type} is not allowed`);
  }
}

function refKey(r: ExprRef): string {
  return JSON.stringify([r.root, ...r.path]);
}

/** Static references, in order of first appearance, without duplicates. */
function collectRefs(n: Node, out: Map<string, ExprRef>): void {
  switch (n.k) {
    case 'lit':
      return;
    case 'root': {
      const ref = { root: n.name, path: [] };
      if (!out.has(refKey(ref))) out.set(refKey(ref), ref);
      return;
    }
    case 'member': {
      const keys: Node[] = [];
      let base: Node = n;
      while (base.k === 'member') {
        keys.unshift(base.key);
        base = base.obj;
      }
      if (base.k === 'root') {
        const path: string[] = [];
        for (const key of keys) {
          if (key.k !== 'lit' || (typeof key.v !== 'string' && typeof key.v !== 'number')) break;
          path.push(String(key.v));
        }
        const ref = { root: base.name, path };
        if (!out.has(refKey(ref))) out.set(refKey(ref), ref);
      } else collectRefs(base, out);
      for (const key of keys) collectRefs(key, out);
      return;
    }
    case 'array':
      for (const item of n.items) collectRefs(item, out);
      return;
    case 'unary':
      collectRefs(n.arg, out);
      return;
    case 'binary':
    case 'logical':
      collectRefs(n.l, out);
      collectRefs(n.r, out);
      return;
    case 'cond':
      collectRefs(n.test, out);
      collectRefs(n.then, out);
      collectRefs(n.else, out);
      return;
    case 'call':
      for (const a of n.args) collectRefs(a, out);
      return;
  }
}

function freezeRefs(refs: Iterable<ExprRef>): readonly ExprRef[] {
  return Object.freeze([...refs].map((r) => Object.freeze({ root: r.root, path: Object.freeze([...r.path]) as string[] })));
}

/** Parses and checks; throws Refusal. */
function compile(source: string): Node {
  if (typeof source !== 'string') refuse('an expression must be a string');
  if (source.length > EXPR_LIMITS.sourceChars) refuse(`longer than ${EXPR_LIMITS.sourceChars} characters (${source.length})`);
  if (bracketDepth(source) > EXPR_LIMITS.depth) refuse(`nested deeper than ${EXPR_LIMITS.depth} levels`);
  return check(runJsep(source), 1);
}

const ASTS = new WeakMap<Expr, Node>();

function makeExpr(source: string, node: Node): Expr {
  const refs = new Map<string, ExprRef>();
  collectRefs(node, refs);
  const expr: Expr = Object.freeze({ source, refs: freezeRefs(refs.values()) });
  ASTS.set(expr, node);
  return expr;
}

/** How an expression appears in a message: quoted, cut when very long. */
function show(source: string, max = 200): string {
  return JSON.stringify(source.length > max ? `${source.slice(0, max)}…` : source);
}

function invalid(source: string, r: Refusal, extra = ''): HiveError {
  const details: Record<string, unknown> = { expression: source.length > EXPR_LIMITS.sourceChars ? `${source.slice(0, 200)}…` : source };
  if (r.position !== undefined) details.position = r.position;
  return new HiveError('INVALID_EXPRESSION', `invalid expression ${show(source)}: ${r.reason}${extra}`, { details });
}

/** Parses an expression (for `if:` / `for_each:`); throws INVALID_EXPRESSION naming the problem. */
export function parseExpr(source: string): Expr {
  try {
    return makeExpr(source, compile(source));
  } catch (err) {
    if (err instanceof Refusal) throw invalid(String(source), err);
    throw err;
  }
}

function astOf(expr: Expr): Node {
  const cached = ASTS.get(expr);
  if (cached) return cached;
  // An Expr not made by parseExpr (copied, deserialized): parse its source again.
  const node = ASTS.get(parseExpr(expr.source));
  ASTS.set(expr, node as Node);
  return node as Node;
}

function failed(source: string, err: unknown): HiveError {
  const why = err instanceof Error ? err.message : String(err);
  return new HiveError('EXPRESSION_FAILED', `expression ${show(source)} could not be evaluated: ${why}`, { details: { expression: source }, cause: err });
}

/** Evaluates against a scope of JSON data. Never throws because of the data (null instead); never mutates the scope. */
export function evaluate(expr: Expr, scope: Readonly<Record<string, unknown>>): unknown {
  const node = astOf(expr);
  try {
    return ev(node, scope);
  } catch (err) {
    throw failed(expr.source, err); // only for data that is not JSON (getters that throw, cycles)
  }
}

/** Index of the `}}` closing a segment whose expression starts at `from`, skipping `}}` inside string literals; -1 if none. */
function closingBraces(s: string, from: number): number {
  let quote = '';
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '}' && s[i + 1] === '}') return i;
  }
  // An unclosed quote: end at the first `}}` anyway, so the parse error names the quote.
  return s.indexOf('}}', from);
}

/** Parses text with `{{ expr }}` segments; throws INVALID_EXPRESSION for an unclosed `{{` or a bad expression. */
export function parseTemplate(source: string): Template {
  if (typeof source !== 'string') throw invalid(String(source), new Refusal('a template must be a string'));
  if (source.length > TEMPLATE_SOURCE_CHARS) {
    throw new HiveError('INVALID_EXPRESSION', `invalid template ${show(source, 60)}: longer than ${TEMPLATE_SOURCE_CHARS} characters (${source.length})`, {
      details: { expression: `${source.slice(0, 200)}…` },
    });
  }
  const parts: (string | Expr)[] = [];
  const refs = new Map<string, ExprRef>();
  let i = 0;
  for (let open = source.indexOf('{{'); open !== -1; open = source.indexOf('{{', i)) {
    if (open > i) parts.push(source.slice(i, open));
    const close = closingBraces(source, open + 2);
    if (close === -1) {
      const excerpt = source.slice(open, open + 60);
      throw new HiveError('INVALID_EXPRESSION', `invalid template: "{{" at character ${open} is not closed by "}}": ${show(excerpt, 60)}`, {
        details: { expression: excerpt, position: open },
      });
    }
    const raw = source.slice(open + 2, close);
    const inner = raw.trim();
    const start = open + 2 + (raw.length - raw.trimStart().length);
    let node: Node;
    try {
      node = compile(inner);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      const e = invalid(inner, err, ` (in a template, expression at character ${start})`);
      if (err.position !== undefined) (e.details as Record<string, unknown>).templatePosition = start + err.position;
      throw e;
    }
    const expr = makeExpr(inner, node);
    for (const r of expr.refs) if (!refs.has(refKey(r))) refs.set(refKey(r), r);
    parts.push(expr);
    i = close + 2;
  }
  if (i < source.length) parts.push(source.slice(i));
  return Object.freeze({ source, refs: freezeRefs(refs.values()), parts: Object.freeze(parts) });
}

/** Renders a template: strings as is, null as '', numbers and booleans as String(v), arrays and objects as JSON. */
export function render(t: Template, scope: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const part of t.parts) {
    if (typeof part === 'string') out += part;
    else {
      const v = evaluate(part, scope);
      try {
        out += toText(v);
      } catch (err) {
        throw failed(part.source, err);
      }
    }
  }
  return out;
}
