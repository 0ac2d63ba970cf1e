import { closeSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureDir } from '../fs/dirs.js';

/**
 * One attempt's log file: bytes appended in arrival order. Plain synchronous calls on purpose: an open, a few
 * appends to the page cache and a close cost microseconds, while a stream's round trips through the thread pool
 * halved the rate of short attempts. A log that cannot be opened or written is reported once through `onError`
 * and then ignored: losing a log must not fail the attempt.
 */
export class LogFile {
  private fd: number | null = null;

  constructor(
    readonly path: string,
    private readonly onError: (message: string) => void,
  ) {
    try {
      ensureDir(dirname(path));
      this.fd = openSync(path, 'a');
    } catch (err) {
      this.fail(err);
    }
  }

  write(data: Buffer | string): void {
    if (this.fd === null) return;
    try {
      if (typeof data === 'string') writeSync(this.fd, data);
      else writeSync(this.fd, data);
    } catch (err) {
      this.fail(err);
    }
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
    } catch {
      // nothing left to lose: every write already reached the kernel
    }
  }

  private fail(err: unknown): void {
    this.close();
    this.onError(`hive: cannot write log ${this.path}: ${(err as Error).message}`);
  }
}
