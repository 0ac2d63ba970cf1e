import { StringDecoder } from 'node:string_decoder';

/** A line longer than this is cut and delivered in pieces, so a program that never prints a newline cannot grow memory without bound. */
const MAX_LINE_CHARS = 1 << 20;

/**
 * Splits a byte stream into text lines (`\n` or `\r\n`), decoding UTF-8 across chunk boundaries. `end()`
 * delivers a last line that has no newline.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.rest + this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.onLine(text.slice(start, end));
      start = nl + 1;
    }
    this.rest = start === 0 ? text : text.slice(start);
    while (this.rest.length > MAX_LINE_CHARS) {
      this.onLine(this.rest.slice(0, MAX_LINE_CHARS));
      this.rest = this.rest.slice(MAX_LINE_CHARS);
    }
  }

  end(): void {
    const text = this.rest + this.decoder.end();
    this.rest = '';
    if (text !== '') this.onLine(text.endsWith('\r') ? text.slice(0, -1) : text);
  }
}
