import libmime from 'libmime';
import { isPrintableAscii } from './header-text';

/** RFC 5322 §2.1.1: a line must not exceed 998 octets, and should not exceed 78. */
const MAX_LINE_OCTETS = 998;
const FOLD_AT = 76;

/**
 * RFC 2047 §2 caps an encoded word at 75 characters; libmime's `maxLength` counts the whole word,
 * and 52 (what Nodemailer uses) leaves room for the field name on the first line.
 */
const ENCODED_WORD_LENGTH = 52;

/** A word longer than this cannot be folded under 78 characters, so text holding one is encoded. */
const LONGEST_PLAIN_WORD = 70;

/** RFC 5322 §3.2.3 atext. */
const ATOM_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

/**
 * Q for mostly Latin text, B otherwise (Japanese encodes shorter in B): Nodemailer's rule, since
 * libmime leaves the choice to the caller.
 */
function wordEncodingFor(text: string): 'Q' | 'B' {
  let latin = 0;
  let other = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index) | 0x20;
    if (code >= 0x61 && code <= 0x7a) latin += 1;
    else if (text.charCodeAt(index) >= 0x80) other += 1;
  }
  return other < latin ? 'Q' : 'B';
}

function hasLongWord(text: string): boolean {
  let run = 0;
  for (let index = 0; index < text.length; index += 1) {
    run = text.charCodeAt(index) === 0x20 ? 0 : run + 1;
    if (run > LONGEST_PLAIN_WORD) return true;
  }
  return false;
}

/** The whole text as UTF-8 encoded words, split on character boundaries (RFC 2047 §5). */
function encodeAsWords(text: string): string {
  return libmime.encodeWord(text, wordEncodingFor(text), ENCODED_WORD_LENGTH);
}

/** True when plain text would be misread: it contains something shaped like an encoded word. */
function looksEncoded(text: string): boolean {
  return text.includes('=?');
}

/**
 * A display name (sanitized text) as an RFC 5322 phrase: atoms as they are, other ASCII as a
 * quoted-string, anything else (or anything that would read as an encoded word) as UTF-8 encoded
 * words (RFC 2047 §5 (3)).
 */
function encodeDisplayName(name: string): string {
  if (isPrintableAscii(name) && !looksEncoded(name) && !hasLongWord(name)) {
    return ATOM_PHRASE.test(name) ? name : `"${name.replace(/["\\]/g, '\\$&')}"`;
  }
  return encodeAsWords(name);
}

/**
 * Unstructured text (Subject, Content-Description) as 7-bit: ASCII as it is, otherwise the span
 * from the first to the last non-ASCII word as UTF-8 encoded words (libmime `encodeWords`).
 */
export function encodeUnstructured(text: string): string {
  if (isPrintableAscii(text) && !looksEncoded(text) && !hasLongWord(text)) return text;
  if (looksEncoded(text) || hasLongWord(text)) return encodeAsWords(text);
  return libmime.encodeWords(text, wordEncodingFor(text), ENCODED_WORD_LENGTH);
}

/** A mailbox with its display name encoded, e.g. `=?UTF-8?B?…?= <m-x@relay.example.jp>`; the bare address without one. */
export function formatMailbox(displayName: string, address: string): string {
  return displayName ? `${encodeDisplayName(displayName)} <${address}>` : address;
}

/**
 * One header field, folded at whitespace near 76 characters (RFC 5322 §2.2.3). Undefined when the
 * result would not be a single clean field: a value that is not printable ASCII, or a line that
 * still exceeds 998 octets because a word in it is that long.
 */
export function formatField(name: string, value: string): string | undefined {
  if (!isPrintableAscii(value)) return undefined;
  const folded = libmime.foldLines(`${name}: ${value}`, FOLD_AT, false);
  const lines = folded.split('\r\n');
  if (lines.some((line) => line.length > MAX_LINE_OCTETS || /^[ \t]*$/.test(line))) return undefined;
  return folded;
}

/**
 * A MIME field with parameters (RFC 2045 §5.1), folded only at the `;` between parameters: never
 * inside a quoted-string or a comment. Folding inside a quoted boundary is lawful (unfolding only
 * removes the CRLF), but mail readers that unfold differently then find no parts. Each line holds
 * as many parameters as fit in 76 characters; a longer parameter gets a line of its own, up to 998
 * octets. A value that needs no folding is kept as it is. Undefined when the value is not printable ASCII or a parameter exceeds that.
 */
export function formatParameterizedField(name: string, value: string): string | undefined {
  if (!isPrintableAscii(value)) return undefined;
  // A value that fits one line goes out as received, its own spacing included.
  if (name.length + 2 + value.length <= FOLD_AT) return `${name}: ${value}`;
  const [first = '', ...rest] = splitParameters(value);
  const lines: string[] = [];
  let line = `${name}: ${first}`;
  for (const parameter of rest) {
    if (line.length + 2 + parameter.length <= FOLD_AT) {
      line = `${line}; ${parameter}`;
      continue;
    }
    lines.push(`${line};`);
    line = ` ${parameter}`;
  }
  lines.push(line);
  if (lines.some((candidate) => candidate.length > MAX_LINE_OCTETS || /^[ \t]*$/.test(candidate))) return undefined;
  return lines.join('\r\n');
}

/** The `;`-separated parts of a parameterized value, trimmed, empty ones left out; `;` in quotes or comments does not separate. */
function splitParameters(value: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  let depth = 0;
  for (let index = 0; index < value.length; index += 1) {
    const char = value[index];
    if (char === '\\' && (quoted || depth > 0)) index += 1;
    else if (char === '"' && depth === 0) quoted = !quoted;
    else if (char === '(' && !quoted) depth += 1;
    else if (char === ')' && !quoted && depth > 0) depth -= 1;
    else if (char === ';' && !quoted && depth === 0) {
      parts.push(value.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(value.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 §3.3 date-time in UTC, e.g. `Tue, 02 Jan 2024 03:04:05 +0000`. */
export function formatRfc5322Date(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
