/** Byte-level syntax of header fields that both the split and the field parser read the same way. */

const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** WSP (RFC 5234): a line starting with it continues the field before (RFC 5322 §2.2.3). */
export function isWsp(byte: number | undefined): boolean {
  return byte === SP || byte === HTAB;
}

/**
 * Where the field name starting at `start` ends and where its colon is, or undefined when the bytes
 * there are not `name:`: RFC 5322 §3.6.8 printable ASCII other than the colon, then the colon,
 * with the obsolete WSP before it allowed (§4.5). A line end stops the scan, so `limit` may be the
 * line's end or the buffer's.
 */
export function fieldNameAt(bytes: Buffer, start: number, limit: number): { readonly nameEnd: number; readonly colon: number } | undefined {
  let nameEnd = start;
  while (nameEnd < limit) {
    const byte = bytes[nameEnd] ?? 0;
    if (byte < 0x21 || byte > 0x7e || byte === COLON) break;
    nameEnd += 1;
  }
  if (nameEnd === start) return undefined;
  let colon = nameEnd;
  while (colon < limit && isWsp(bytes[colon])) colon += 1;
  return colon < limit && bytes[colon] === COLON ? { nameEnd, colon } : undefined;
}
