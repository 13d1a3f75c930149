import { Headers } from '@zone-eu/mailsplit';

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

/** RFC 5322 §3.6.8 field name, with the obsolete WSP before the colon (§4.5). */
const FIELD_NAME = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/**
 * Parses a header block into fields, in order. Lines that are not `name: value` (garbage, an
 * indented first line) are left out. A bare CR counts as a line end, as in `splitMessage`, and a
 * leading mbox `From ` line is not a field.
 */
export function parseHeaderFields(header: Buffer): HeaderField[] {
  // mailsplit splits lines on LF and CRLF only, so bare CR line ends (classic Mac mail) are made LF first.
  const text = header.toString('latin1').replace(/\r(?!\n)/g, '\n');
  const fields: HeaderField[] = [];
  for (const { line } of new Headers(text).getList()) {
    const match = FIELD_NAME.exec(line);
    if (!match?.[1]) continue;
    fields.push({ key: match[1].toLowerCase(), value: trimWsp(line.slice(match[0].length).replace(/\r\n/g, '')) });
  }
  return fields;
}

/** Removes leading and trailing SP and HTAB; a `/[ \t]+$/` regex is quadratic on long inner runs. */
export function trimWsp(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isWsp(value.charCodeAt(start))) start += 1;
  while (end > start && isWsp(value.charCodeAt(end - 1))) end -= 1;
  return value.slice(start, end);
}

function isWsp(code: number): boolean {
  return code === 0x20 || code === 0x09;
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
