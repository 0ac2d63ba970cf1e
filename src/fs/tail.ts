import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/** The bytes of a file from `offset` on: null when the file does not exist, empty when nothing is new. */
export function readFrom(file: string, offset: number): Buffer | null {
  if (!existsSync(file)) return null;
  const size = statSync(file).size;
  if (size <= offset) return Buffer.alloc(0);
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf;
  } finally {
    closeSync(fd);
  }
}
