import { fieldNameAt, isWsp } from './field-syntax';
import { LineScanner, lineEndLength } from './line-scanner';

/** A raw message cut into its header block and its body, both views of the original bytes. */
export interface SplitMessage {
  /** Every header line with its own line end, without the blank line that closes the block. */
  readonly header: Buffer;
  /** Everything after the blank line, byte for byte. */
  readonly body: Buffer;
}


/**
 * Splits a raw message at the blank line that ends its header block (RFC 5322 §2.1). CRLF, LF and a
 * bare CR each end a line, read the way Python's `email` package reads them, so `\r\r\n` is a line
 * end followed by a blank line.
 *
 * Without any blank line the header block ends at the first line that is neither a header field
 * (`name:`, RFC 5322 §2.2) nor a continuation of one (§2.2.3), and that line starts the body; when
 * every line is a field the message is header-only and the body is empty. A leading mbox `From `
 * line counts as part of the header block. A stray non-field line before a blank line stays in the
 * header block, where the keep-list drops it, so the body is exactly what follows the blank line.
 *
 * Both parts are `subarray` views of `raw` (no copy). The scans are native `Buffer.indexOf`
 * searches, a few passes over the bytes at most, so the cost stays linear and small whatever the
 * message holds.
 * Hand-written because mailsplit's `Splitter` is an asynchronous stream that knows only LF line ends.
 */
export function splitMessage(raw: Buffer): SplitMessage {
  const blank = findBlankLine(raw);
  if (blank) return { header: raw.subarray(0, blank.start), body: raw.subarray(blank.end) };
  const bodyStart = findFirstNonFieldLine(raw);
  return { header: raw.subarray(0, bodyStart), body: raw.subarray(bodyStart) };
}

/**
 * A line end immediately followed by another line end is one of these byte pairs, and each of them
 * is one: an LF always ends a line, and a CR followed by a CR is a bare CR ending one.
 */
const LINE_END_PAIRS = [Buffer.from('\n\r', 'latin1'), Buffer.from('\n\n', 'latin1'), Buffer.from('\r\r', 'latin1')];

/**
 * The message is searched a block at a time: the three searches of a block then read it from the
 * CPU cache, which makes a message without a blank line cost about one pass over memory, and an
 * ordinary message is done within its first block.
 */
const SEARCH_BLOCK = 128 * 1024;

/** Offset of the first line-end pair in `region`, or -1; each search only looks before the best so far. */
function earliestPair(region: Buffer): number {
  let first = region.length;
  for (const pair of LINE_END_PAIRS) {
    const at = region.subarray(0, Math.min(region.length, first + 1)).indexOf(pair);
    if (at >= 0 && at < first) first = at;
  }
  return first === region.length ? -1 : first;
}

/** Start and end of the first empty line, or undefined when the message has none. */
function findBlankLine(raw: Buffer): { start: number; end: number } | undefined {
  // An empty first line means an empty header block.
  const leading = lineEndLength(raw, 0);
  if (leading > 0) return { start: 0, end: leading };
  // Blocks overlap by one byte, for a pair across their edge.
  for (let from = 0; from < raw.length - 1; from += SEARCH_BLOCK - 1) {
    const found = earliestPair(raw.subarray(from, Math.min(raw.length, from + SEARCH_BLOCK)));
    if (found >= 0) {
      const start = from + found + 1;
      return { start, end: start + lineEndLength(raw, start) };
    }
  }
  return undefined;
}

/** Offset of the first line that is neither a field nor a continuation, or `raw.length`. */
function findFirstNonFieldLine(raw: Buffer): number {
  const lines = new LineScanner(raw);
  let lineStart = 0;
  let first = true;
  while (lineStart < raw.length) {
    const isHeaderLine = (first && startsWithMboxFrom(raw)) || (!first && isContinuation(raw, lineStart)) || startsWithFieldName(raw, lineStart);
    if (!isHeaderLine) return lineStart;
    lineStart = lines.nextLineStart(lines.lineEnd(lineStart));
    first = false;
  }
  return raw.length;
}

function isContinuation(raw: Buffer, lineStart: number): boolean {
  return isWsp(raw[lineStart]);
}

function startsWithFieldName(raw: Buffer, lineStart: number): boolean {
  return fieldNameAt(raw, lineStart, raw.length) !== undefined;
}

const MBOX_FROM = Buffer.from('From ', 'latin1');

function startsWithMboxFrom(raw: Buffer): boolean {
  return raw.length >= MBOX_FROM.length && raw.subarray(0, MBOX_FROM.length).equals(MBOX_FROM);
}
