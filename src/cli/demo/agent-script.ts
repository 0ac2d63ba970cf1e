/**
 * The demo's agent program, written into the demo repository as agent.mjs. It does real work in the
 * repository it runs in: writes modules and tests, runs `node --test`, reviews, commits. The first word of
 * the prompt is the action. `flaky` in the prompt makes attempt 1 fail (to show a retry).
 */
export const AGENT_SCRIPT = String.raw`
import { writeFileSync, readFileSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { spawnSync, execFileSync } from 'node:child_process';

const prompt = process.argv[2] ?? '';
const action = prompt.split(' ')[0];
const op = /op=(\w+)/.exec(prompt)?.[1];
const attempt = Number(process.env.HIVE_ATTEMPT ?? '1');
const OPS = {
  add: { expr: 'a + b', cases: [[2, 3, 5], [-1, 1, 0]] },
  sub: { expr: 'a - b', cases: [[5, 3, 2], [0, 4, -4]] },
  mul: { expr: 'a * b', cases: [[4, 3, 12], [7, 0, 0]] },
  div: { expr: 'a / b', cases: [[8, 2, 4], [9, 3, 3]] },
  pow: { expr: 'a ** b', cases: [[2, 3, 8], [5, 0, 1]] },
  mod: { expr: 'a % b', cases: [[7, 3, 1], [9, 3, 0]] },
};
const out = (obj) => console.log(JSON.stringify(obj));
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
mkdirSync('src', { recursive: true });
mkdirSync('test', { recursive: true });

function runTests(files) {
  const r = spawnSync(process.execPath, ['--test', ...files], { encoding: 'utf8' });
  process.stdout.write(r.stdout.split('\n').filter((l) => /^# (tests|pass|fail)/.test(l)).join('\n') + '\n');
  const passed = Number(/# pass (\d+)/.exec(r.stdout)?.[1] ?? 0);
  const failed = Number(/# fail (\d+)/.exec(r.stdout)?.[1] ?? 0);
  return { code: r.status ?? 1, passed, failed };
}

switch (action) {
  case 'plan': {
    const files = Object.keys(OPS).map((o) => 'src/' + o + '.js');
    writeFileSync('PLAN.md', '# Plan\n\n' + files.map((f) => '- ' + f).join('\n') + '\n- src/index.js\n');
    sleep(150);
    out({ files });
    break;
  }
  case 'plan-ops': {
    const ops = (/ops=(\S+)/.exec(prompt)?.[1] ?? '').split(',').filter((o) => OPS[o]);
    writeFileSync('PLAN.md', readFileSync('PLAN.md', 'utf8') + ops.map((o) => '- src/' + o + '.js (workflow)').join('\n') + '\n');
    sleep(100);
    out({ ops, files: ops.map((o) => 'src/' + o + '.js') });
    break;
  }
  case 'write-test': {
    const { cases } = OPS[op];
    const body = cases.map(([a, b, r]) => '  assert.equal(' + op + '(' + a + ', ' + b + '), ' + r + ');').join('\n');
    writeFileSync('test/' + op + '.test.js', "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { " + op + " } from '../src/" + op + ".js';\n\ntest('" + op + "', () => {\n" + body + '\n});\n');
    out({ file: 'test/' + op + '.test.js' });
    break;
  }
  case 'implement': {
    if (prompt.includes('flaky') && attempt === 1) {
      console.error('simulated failure on attempt 1: the model API timed out');
      process.exit(1);
    }
    const { expr } = OPS[op];
    writeFileSync('src/' + op + '.js', 'export function ' + op + '(a, b) {\n  return ' + expr + ';\n}\n');
    sleep(100);
    out({ file: 'src/' + op + '.js' });
    break;
  }
  case 'index': {
    const mods = readdirSync('src').filter((f) => f.endsWith('.js') && f !== 'index.js').sort();
    writeFileSync('src/index.js', mods.map((m) => "export * from './" + m + "';").join('\n') + '\n');
    out({ file: 'src/index.js', exports: mods.length });
    break;
  }
  case 'fix': {
    out({ fixed: false, note: 'nothing to fix' });
    break;
  }
  case 'test': {
    const { cases } = OPS[op];
    const body = cases.map(([a, b, r]) => '  assert.equal(' + op + '(' + a + ', ' + b + '), ' + r + ');').join('\n');
    writeFileSync('test/' + op + '.test.js', "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { " + op + " } from '../src/" + op + ".js';\n\ntest('" + op + "', () => {\n" + body + '\n});\n');
    const r = runTests(['test/' + op + '.test.js']);
    out({ passed: r.code === 0, tests: r.passed + r.failed });
    process.exit(r.code);
  }
  case 'test-all': {
    const files = readdirSync('test').filter((f) => f.endsWith('.test.js')).map((f) => 'test/' + f);
    const r = runTests(files);
    out({ passed: r.code === 0, tests: r.passed + r.failed, files: files.length });
    process.exit(r.code);
  }
  case 'review': {
    const src = readdirSync('src').map((f) => readFileSync('src/' + f, 'utf8')).join('');
    const lines = src.split('\n').filter(Boolean).length;
    writeFileSync('REVIEW.md', '# Review\n\nApproved: ' + lines + ' lines of source, every module tested.\n');
    out({ approved: true, lines });
    break;
  }
  case 'commit': {
    const paths = (/paths=(\S+)/.exec(prompt)?.[1] ?? '.').split(',').filter((p) => existsSync(p));
    execFileSync('git', ['add', ...paths]);
    execFileSync('git', ['commit', '-q', '-m', prompt.replace(/^commit\s+/, '').replace(/paths=\S+/, '').trim() || 'demo commit']);
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    out({ commit: sha, paths });
    break;
  }
  default:
    console.error('unknown action: ' + action);
    process.exit(2);
}
`;
