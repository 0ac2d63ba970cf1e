// Copies non-TypeScript assets (SQL migrations) next to the compiled files in dist/.
import { cpSync } from 'node:fs';
cpSync('src/stores/sqlite/migrations', 'dist/src/stores/sqlite/migrations', { recursive: true });
