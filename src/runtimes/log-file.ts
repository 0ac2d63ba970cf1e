import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/**
 * One attempt's log file: bytes appended in arrival order. A log that cannot be opened or written is reported
 * once through `onError` and then ignored: losing a log must not fail the attempt.
 */
export class LogFile {
  private stream: WriteStream | null = null;

  constructor(
    readonly path: string,
    private readonly onError: (message: string) => void,
  ) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      const stream = createWriteStream(path, { flags: 'a' });
      stream.on('error', (err) => this.fail(err));
      this.stream = stream;
    } catch (err) {
      this.fail(err);
    }
  }

  write(data: Buffer | string): void {
    this.stream?.write(data);
  }

  /** Resolves when everything written is on disk (or the file failed). */
  close(): Promise<void> {
    const stream = this.stream;
    if (stream === null) return Promise.resolve();
    this.stream = null;
    return new Promise((resolve) => {
      stream.once('close', resolve);
      stream.end();
    });
  }

  private fail(err: unknown): void {
    if (this.stream !== null) this.stream.destroy();
    this.stream = null;
    this.onError(`hive: cannot write log ${this.path}: ${(err as Error).message}`);
  }
}
