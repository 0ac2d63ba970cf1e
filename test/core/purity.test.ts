/** core/ is pure: its files import only each other — no node: modules, no packages, nothing outside core/. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// Compiled to dist/test/core/; the sources are at <repo>/src/core/.
const CORE = fileURLToPath(new URL('../../../src/core/', import.meta.url));

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

  for (const f of files) {
    it(`${f} imports only other files of src/core`, () => {
      const src = readFileSync(join(CORE, f), 'utf8');
      for (const spec of specifiers(src)) {
        assert.ok(spec.startsWith('./'), `${f} imports ${JSON.stringify(spec)}: core/ may import only ./<file>.js from core/`);
        assert.ok(!spec.slice(2).includes('/'), `${f} imports ${spec}, outside core/`);
        assert.ok(spec.endsWith('.js'), `${f} imports ${spec} without the .js extension`);
        assert.ok(existsSync(join(CORE, spec.slice(2).replace(/\.js$/, '.ts'))), `${f} imports ${spec}, which is not a file of core/`);
      }
      assert.ok(!/\bprocess\.(env|argv|exit|cwd)\b/.test(src), `${f} reads the process: pass values in instead`);
    });
  }
});
