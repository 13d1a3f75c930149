import { fieldNameAt, isWsp } from './field-syntax';
import { LineScanner } from './line-scanner';

/** One header field as received. */
export interface HeaderField {
  /** Lower-cased field name, for look-ups. */
  readonly key: string;
  /**
   * The value as a binary (latin1) string, one character per received byte, unfolded (RFC 5322
   * §2.2.3: the CRLF of each fold removed, its whitespace kept) and trimmed of surrounding WSP.
   */
  readonly value: string;
}

/** Any CR or LF left inside a field's bytes is one of its folds (or a bare line end within one). */
const LINE_BREAKS = /[\r\n]/g;

/**
 * Parses a header block into fields, in order. Lines that are not `name: value` (garbage, an
 * indented first line) are left out, with their continuation lines. CRLF, LF and a bare CR each
 * end a line, as in `splitMessage`, and a leading mbox `From ` (or HTTP `POST `) line is not a field.
 *
 * Only the names are read up front; a value is decoded from the bytes the first time it is asked
 * for, so the cost of a field nobody looks at (the thousands of `Received` lines of a hostile
 * message) is finding where it ends.
 *
 * Hand-written rather than mailsplit's `Headers`: that class needs the whole block as one string
 * (a copy of a header block that can be megabytes), knows only LF and CRLF line ends, and splits
 * every field eagerly; `bench/corners.ts` measures the difference on a 5 MB header block.
 * `test/unit/mail/header-scanning-parity.test.ts` holds this parser to mailsplit's results.
 */
export function parseHeaderFields(header: Buffer): HeaderField[] {
  const fields: HeaderField[] = [];
  const lines = new LineScanner(header);
  let entry: FieldBytes | undefined;
  const close = (bytes: FieldBytes) => {
    const field = bytes.start === 0 && startsWithPreamble(header) ? undefined : fieldAt(header, bytes);
    if (field) fields.push(field);
  };
  for (let lineStart = 0; lineStart < header.length; ) {
    const lineEnd = lines.lineEnd(lineStart);
    const byte = header[lineStart];
    if (entry && isWsp(byte)) {
      entry.end = lineEnd;
    } else {
      if (entry) close(entry);
      entry = { start: lineStart, firstLineEnd: lineEnd, end: lineEnd };
    }
    lineStart = lines.nextLineStart(lineEnd);
  }
  if (entry) close(entry);
  return fields;
}

/** Where one field's bytes lie: its first line, and its continuations up to `end` (line ends within included). */
interface FieldBytes {
  readonly start: number;
  readonly firstLineEnd: number;
  end: number;
}

/** The field, or undefined when its first line is not `name:`. */
function fieldAt(header: Buffer, { start, firstLineEnd, end }: FieldBytes): HeaderField | undefined {
  const name = fieldNameAt(header, start, firstLineEnd);
  if (!name) return undefined;
  return new ReceivedField(header.toString('latin1', start, name.nameEnd).toLowerCase(), header, name.colon + 1, end);
}

/** A field whose value is decoded from the received bytes on first use and kept. */
class ReceivedField implements HeaderField {
  #value: string | undefined;

  constructor(
    readonly key: string,
    private readonly header: Buffer,
    private readonly valueStart: number,
    private readonly valueEnd: number,
  ) {}

  get value(): string {
    this.#value ??= trimWsp(this.header.toString('latin1', this.valueStart, this.valueEnd).replace(LINE_BREAKS, ''));
    return this.#value;
  }
}

/**
 * An mbox `From ` line or an HTTP `POST ` line opening the block, matched case-insensitively; never
 * a field, so `From : …` (obsolete space before the colon, RFC 5322 §4.5) is the From field.
 */
function startsWithPreamble(header: Buffer): boolean {
  const opening = header.toString('latin1', 0, 5).toLowerCase();
  if (opening !== 'from ' && opening !== 'post ') return false;
  const firstLineEnd = header.indexOf(0x0a) < 0 ? header.length : header.indexOf(0x0a);
  return fieldNameAt(header, 0, firstLineEnd) === undefined;
}

/** Removes leading and trailing SP and HTAB; a `/[ \t]+$/` regex is quadratic on long inner runs. */
export function trimWsp(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isWsp(value.charCodeAt(start))) start += 1;
  while (end > start && isWsp(value.charCodeAt(end - 1))) end -= 1;
  return value.slice(start, end);
}

/** Field look-ups over one parsed header block. */
export class HeaderIndex {
  private readonly byKey = new Map<string, HeaderField[]>();

  constructor(readonly fields: readonly HeaderField[]) {
    for (const field of fields) {
      const list = this.byKey.get(field.key);
      if (list) list.push(field);
      else this.byKey.set(field.key, [field]);
    }
  }

  /** Every field of that name, in order (name matched case-insensitively). */
  all(name: string): readonly HeaderField[] {
    return this.byKey.get(name.trim().toLowerCase()) ?? [];
  }

  /** The first field of that name, the one SES and most readers honour when a name repeats. */
  first(name: string): HeaderField | undefined {
    return this.all(name)[0];
  }

  has(name: string): boolean {
    return this.all(name).length > 0;
  }
}
