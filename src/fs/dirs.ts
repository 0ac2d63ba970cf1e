import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `mkdir -p`, but one that fails instead of spinning: Node's recursive mkdir loops forever, blocking the event
 * loop at 100% CPU, when a parent exists but cannot hold children (a dangling symlink, a path under /proc, a
 * stale mount). Here a child that is still missing once its parent exists is an error. It looks before it
 * leaps because it runs for every attempt, and a failing mkdir costs a thrown errno exception.
 */
export function ensureDir(path: string): void {
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) return;
  try {
    mkdirSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw err;
    ensureDir(parent);
    try {
      mkdirSync(path);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
    }
  }
}
