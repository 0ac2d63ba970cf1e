#!/usr/bin/env node
// Entry point of the `hive` command: runs the compiled CLI (built by `npm ci` through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('error NOT_BUILT: dist/ is missing; run `npm ci` (or `npm run build`) in the hive folder first\n');
  process.exit(1);
}
await import(main.href);
