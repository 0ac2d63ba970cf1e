/** core/ is pure: its files import only each other (plus the few pure packages below) — no node: modules, no other packages, nothing outside core/. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// Compiled to dist/test/core/; the sources are at <repo>/src/core/.
const CORE = fileURLToPath(new URL('../../../src/core/', import.meta.url));

/**
 * Packages core/ may import, by exact name (no subpaths). Each must be pure: no I/O, no globals, no
 * process access, deterministic. `jsep` is the parser under core/expr.ts (the workflow expression language):
 * it only turns a string into an AST.
 */
const PURE_PACKAGES: readonly string[] = ['jsep'];

/** Why `spec`, imported by core/`file`, is not allowed — or null when it is. */
function importProblem(file: string, spec: string, exists: (coreFile: string) => boolean): string | null {
  if (PURE_PACKAGES.includes(spec)) return null;
  if (!spec.startsWith('./')) return `${file} imports ${JSON.stringify(spec)}: core/ may import only ./<file>.js from core/ (or a package of PURE_PACKAGES)`;
  if (spec.slice(2).includes('/')) return `${file} imports ${spec}, outside core/`;
  if (!spec.endsWith('.js')) return `${file} imports ${spec} without the .js extension`;
  if (!exists(spec.slice(2).replace(/\.js$/, '.ts'))) return `${file} imports ${spec}, which is not a file of core/`;
  return null;
}

/** Every module specifier in a TypeScript source: static imports and re-exports (incl. `import type`), side-effect imports, dynamic import() and require(). */
export function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[\s\S]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]);
  return out;
}

describe('core purity', () => {
  const files = readdirSync(CORE).filter((f) => f.endsWith('.ts'));

  it('finds the core sources', () => {
    assert.ok(files.length >= 10, `found ${files.length} files in ${CORE}`);
    for (const f of ['types.ts', 'store.ts', 'routing.ts', 'task-state.ts']) assert.ok(files.includes(f), f);
  });

  it('the specifier scan sees every form of import', () => {
    const src = `import a from 'pkg-a';\nimport type { B } from "node:b";\nimport {\n  c,\n} from './c.js';\nexport * from '../d.js';\nimport 'side';\nconst e = await import('e');\nconst f = require('f');\n// import x from 'commented';`;
    assert.deepEqual(specifiers(src).sort(), ['../d.js', './c.js', 'e', 'f', 'node:b', 'pkg-a', 'side']);
  });

  it('allows the pure packages by exact name and refuses every other package, node: module or outside path', () => {
    const exists = (coreFile: string) => coreFile === 'errors.ts';
    for (const ok of ['jsep', './errors.js']) assert.equal(importProblem('x.ts', ok, exists), null, ok);
    const bad = ['yaml', 'zod', 'jsep/dist/jsep.js', 'jsep-plugin', '@jsep/plugin', 'node:fs', 'fs', '../db/x.js', './sub/x.js', './errors', './missing.js'];
    for (const spec of bad) assert.ok(importProblem('x.ts', spec, exists), `${spec} should be refused`);
  });

  for (const f of files) {
    it(`${f} imports only other files of src/core (and PURE_PACKAGES)`, () => {
      const src = readFileSync(join(CORE, f), 'utf8');
      for (const spec of specifiers(src)) {
        const problem = importProblem(f, spec, (coreFile) => existsSync(join(CORE, coreFile)));
        assert.equal(problem, null, problem ?? '');
      }
      assert.ok(!/\bprocess\.(env|argv|exit|cwd)\b/.test(src), `${f} reads the process: pass values in instead`);
    });
  }
});
