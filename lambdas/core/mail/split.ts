/** A raw message cut into its header block and its body, both views of the original bytes. */
export interface SplitMessage {
  /** Every header line with its own line end, without the blank line that closes the block. */
  readonly header: Buffer;
  /** Everything after the blank line, byte for byte. */
  readonly body: Buffer;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

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
 * Both parts are `subarray` views of `raw` (no copy); the scan is linear in the message size.
 * Hand-written because mailsplit's `Splitter` is an asynchronous stream that knows only LF line ends.
 */
export function splitMessage(raw: Buffer): SplitMessage {
  const blank = findBlankLine(raw);
  if (blank) return { header: raw.subarray(0, blank.start), body: raw.subarray(blank.end) };
  const bodyStart = findFirstNonFieldLine(raw);
  return { header: raw.subarray(0, bodyStart), body: raw.subarray(bodyStart) };
}

/** Length of the line end at `index` (0 when there is none): CRLF is one line end, CR or LF alone another. */
function lineEndLength(raw: Buffer, index: number): number {
  const byte = raw[index];
  if (byte === LF) return 1;
  if (byte === CR) return raw[index + 1] === LF ? 2 : 1;
  return 0;
}

/** Start and end of the first empty line, or undefined when the message has none. */
function findBlankLine(raw: Buffer): { start: number; end: number } | undefined {
  // An empty first line means an empty header block.
  const leading = lineEndLength(raw, 0);
  if (leading > 0) return { start: 0, end: leading };
  let index = 0;
  while (index < raw.length) {
    const ending = lineEndLength(raw, index);
    if (ending === 0) {
      index += 1;
      continue;
    }
    const next = index + ending;
    const blank = lineEndLength(raw, next);
    if (blank > 0) return { start: next, end: next + blank };
    index = next;
  }
  return undefined;
}

/** Offset of the first line that is neither a field nor a continuation, or `raw.length`. */
function findFirstNonFieldLine(raw: Buffer): number {
  let lineStart = 0;
  let first = true;
  while (lineStart < raw.length) {
    const isHeaderLine = (first && startsWithMboxFrom(raw)) || (!first && isContinuation(raw, lineStart)) || startsWithFieldName(raw, lineStart);
    if (!isHeaderLine) return lineStart;
    lineStart = nextLineStart(raw, lineStart);
    first = false;
  }
  return raw.length;
}

function nextLineStart(raw: Buffer, from: number): number {
  let index = from;
  while (index < raw.length) {
    const ending = lineEndLength(raw, index);
    if (ending > 0) return index + ending;
    index += 1;
  }
  return raw.length;
}

function isContinuation(raw: Buffer, lineStart: number): boolean {
  const byte = raw[lineStart];
  return byte === SP || byte === HTAB;
}

/** RFC 5322 §3.6.8: a field name is one or more printable ASCII characters other than the colon, then `:` (obs-syntax allows WSP before it). */
function startsWithFieldName(raw: Buffer, lineStart: number): boolean {
  let index = lineStart;
  while (index < raw.length) {
    const byte = raw[index] ?? 0;
    if (byte < 0x21 || byte > 0x7e || byte === COLON) break;
    index += 1;
  }
  if (index === lineStart) return false;
  while (raw[index] === SP || raw[index] === HTAB) index += 1;
  return raw[index] === COLON;
}

const MBOX_FROM = Buffer.from('From ', 'latin1');

function startsWithMboxFrom(raw: Buffer): boolean {
  return raw.length >= MBOX_FROM.length && raw.subarray(0, MBOX_FROM.length).equals(MBOX_FROM);
}
