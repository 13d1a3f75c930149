const CR = 0x0d;
const LF = 0x0a;

/** Header lines are short: up to here a plain loop finds the line end sooner than a native call. */
const SHORT_LINE_BYTES = 160;

/**
 * Walks the lines of a byte buffer where CRLF, LF and a bare CR each end a line (the way Python's
 * `email` package and `splitMessage` read them). Short lines are scanned in place; past
 * `SHORT_LINE_BYTES` the line end is found with `Buffer.indexOf`, which scans natively, and each
 * search result is reused until the walk passes it, so a whole walk is one pass over the bytes
 * however long the lines are and however their ends are mixed. Offsets asked about must not
 * decrease.
 */
export class LineScanner {
  private nextCr = -1;
  private nextLf = -1;

  constructor(private readonly bytes: Buffer) {}

  /** Offset of the first CR or LF at or after `from`, or the buffer's length when there is none. */
  lineEnd(from: number): number {
    const bytes = this.bytes;
    const limit = Math.min(bytes.length, from + SHORT_LINE_BYTES);
    for (let index = from; index < limit; index += 1) {
      const byte = bytes[index];
      if (byte === CR || byte === LF) return index;
    }
    if (limit === bytes.length) return limit;
    return this.searchFrom(limit);
  }

  private searchFrom(from: number): number {
    if (this.nextCr !== this.bytes.length && this.nextCr < from) this.nextCr = this.find(CR, from);
    if (this.nextLf !== this.bytes.length && this.nextLf < from) this.nextLf = this.find(LF, from);
    return Math.min(this.nextCr, this.nextLf);
  }

  /** Offset where the line after the one ending at `lineEnd` starts. */
  nextLineStart(lineEnd: number): number {
    return lineEnd + lineEndLength(this.bytes, lineEnd);
  }

  private find(byte: number, from: number): number {
    const at = this.bytes.indexOf(byte, from);
    return at < 0 ? this.bytes.length : at;
  }
}

/** Length of the line end at `index` (0 when there is none): CRLF is one line end, CR or LF alone another. */
export function lineEndLength(bytes: Buffer, index: number): number {
  const byte = bytes[index];
  if (byte === LF) return 1;
  if (byte === CR) return bytes[index + 1] === LF ? 2 : 1;
  return 0;
}
