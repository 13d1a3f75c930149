import { TextDecoder } from 'node:util';

/** One header field as SES lists it in a notification: unfolded, name as written. */
export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

/** Length of the header block, up to and including the blank line that ends it (or all of `raw`). */
export function headerBlockLength(raw: Buffer): number {
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x0a) continue;
    if (raw[i + 1] === 0x0a) return i + 2;
    if (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) return i + 3;
  }
  return raw.length;
}

/**
 * Parses the header block into fields, unfolding continuation lines (RFC 5322 §2.2.3: the CRLF
 * goes, the whitespace after it stays), as SES does for `mail.headers`.
 */
export function parseHeaderFields(raw: Buffer): HeaderField[] {
  const block = raw.subarray(0, headerBlockLength(raw)).toString('utf8');
  const fields: HeaderField[] = [];
  let current: { name: string; value: string } | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (line === '') break;
    if ((line.startsWith(' ') || line.startsWith('\t')) && current) {
      current.value += line;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    current = { name: line.slice(0, colon).trim(), value: line.slice(colon + 1) };
    fields.push(current);
  }
  return fields.map((f) => ({ name: f.name, value: f.value.trim() }));
}

export function headerValue(fields: readonly HeaderField[], name: string): string | undefined {
  return fields.find((f) => f.name.toLowerCase() === name.toLowerCase())?.value;
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

function decoder(charset: string): TextDecoder {
  try {
    return new TextDecoder(charset.split('*')[0]);
  } catch {
    return new TextDecoder('utf-8');
  }
}

function wordBytes(encoding: string, text: string): Buffer {
  if (encoding.toUpperCase() === 'B') return Buffer.from(text, 'base64');
  const bytes = text.replace(/_/g, ' ').replace(/=([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1');
}

/**
 * Decodes RFC 2047 encoded words (ISO-2022-JP and Shift_JIS included, as Japanese mail uses them);
 * whitespace between two adjacent encoded words is dropped (RFC 2047 §6.2).
 */
export function decodeEncodedWords(text: string): string {
  return text.replace(/(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)/g, '$1').replace(ENCODED_WORD, (_m, charset: string, encoding: string, payload: string) =>
    decoder(charset).decode(wordBytes(encoding, payload)),
  );
}
