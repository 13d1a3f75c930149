import Encoding from 'encoding-japanese';
import libmime from 'libmime';
import { decode as decodeCharset, normalizeCharset } from 'libmime/lib/charset';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Declared charsets that cannot explain raw 8-bit bytes: 7-bit ones, and UTF-8, which was tried first. */
const NOT_AN_EIGHT_BIT_CHARSET = /^(?:(?:us-?)?ascii|utf-?[78]|iso-?2022-)/i;

/** ESC `$` or ESC `(`: an ISO-2022-JP designation (RFC 1468) written raw into a header. */
// eslint-disable-next-line no-control-regex -- the escape byte is what marks raw ISO-2022-JP
const ISO_2022_JP_ESCAPE = /\x1b[$(]/;

/** What stands for each byte of a raw 8-bit header value whose charset could not be identified. */
export const UNREADABLE = '\uFFFD';

/**
 * Turns a raw header value (a binary string, one character per byte) into text. 7-bit ASCII stays as
 * it is; raw ISO-2022-JP escapes are decoded as ISO-2022-JP; other 8-bit bytes are read as UTF-8
 * (RFC 6532) when they are valid UTF-8, else in the charset of the top-level Content-Type (what
 * older Japanese clients and mobile carriers write), else as EUC-JP or Shift_JIS when the bytes
 * fit one (encoding-japanese's detection order) and read as Japanese text. Bytes none of these explain are not guessed at
 * (read as Windows-1252, a KOI8-R or Big5 subject would come out as a different script): each
 * becomes {@link UNREADABLE} and `identified` is false. RFC 2047 encoded words are left for
 * `decodeEncodedWords`.
 */
export function readHeaderBytes(binary: string, declaredCharset?: string): { readonly text: string; readonly identified: boolean } {
  const eightBit = hasEightBit(binary);
  if (!eightBit) return { text: ISO_2022_JP_ESCAPE.test(binary) ? decodeCharset(Buffer.from(binary, 'latin1'), 'ISO-2022-JP') : binary, identified: true };
  const bytes = Buffer.from(binary, 'latin1');
  try {
    return { text: STRICT_UTF8.decode(bytes), identified: true };
  } catch {
    // Not UTF-8: try the legacy charsets below.
  }
  const declared = declaredCharset?.trim();
  if (declared && !NOT_AN_EIGHT_BIT_CHARSET.test(declared)) {
    const text = decodeCharset(bytes, normalizeCharset(declared));
    if (!text.includes('\uFFFD')) return { text, identified: true };
  }
  const japanese = Encoding.detect(bytes, ['EUCJP', 'SJIS']);
  const guessed = japanese === 'EUCJP' ? decodeCharset(bytes, 'EUC-JP') : japanese === 'SJIS' ? decodeCharset(bytes, 'Shift_JIS') : undefined;
  if (guessed !== undefined && readsAsJapanese(guessed)) return { text: guessed, identified: true };
  // eslint-disable-next-line no-control-regex -- every byte outside ASCII is what cannot be read
  return { text: binary.replace(/[^\x00-\x7f]/g, UNREADABLE), identified: false };
}

/**
 * Whether text guessed as EUC-JP or Shift_JIS reads as Japanese: no replacement character, and kana,
 * Japanese punctuation or full-width forms, or else only the common (JIS level 1) kanji, as in a
 * name like 佐藤. Most 8-bit byte runs parse as one of the two (KOI8-R, Greek and Latin-1 text
 * among them), but then come out as rare kanji.
 */
function readsAsJapanese(text: string): boolean {
  if (text.includes('\uFFFD')) return false;
  if (/[\u3000-\u30ff\uff01-\uff5e]/u.test(text)) return true;
  // eslint-disable-next-line no-control-regex -- ASCII is what is left out
  return [...text.replace(/[\x00-\x7f]/g, '')].every(isCommonKanji);
}

/** JIS X 0208 level 1: rows 16-47, EUC-JP lead bytes 0xB0-0xCF. */
function isCommonKanji(character: string): boolean {
  const [lead = 0] = Encoding.convert(Encoding.stringToCode(character), { to: 'EUCJP', from: 'UNICODE' });
  return lead >= 0xb0 && lead <= 0xcf;
}

/** {@link readHeaderBytes}'s text: unidentifiable bytes come out as {@link UNREADABLE}. */
export function headerBytesToText(binary: string, declaredCharset?: string): string {
  return readHeaderBytes(binary, declaredCharset).text;
}

function hasEightBit(binary: string): boolean {
  for (let index = 0; index < binary.length; index += 1) {
    if (binary.charCodeAt(index) > 0x7f) return true;
  }
  return false;
}

/** Decodes RFC 2047 encoded words in any charset libmime knows (ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8, …). */
export function decodeEncodedWords(text: string): string {
  // Without `=?` libmime only strips its own joining marker, which holds a NUL; anything else comes
  // back as it was, and most values checked are plain, so they skip its five passes.
  if (!text.includes('=?') && !text.includes('\0')) return text;
  return libmime.decodeWords(text.includes('=?') ? relabelCharsets(text) : text);
}

/** An RFC 2047 encoded word: charset label, optional RFC 2231 language, encoding, text. */
const ENCODED_WORD = /=\?([\w-]+)((?:\*[\w-]*)?\?([QqBb])\?([^?]*)\?=)/g;

/**
 * Japanese charset labels real senders write that libmime does not map: it would leave the
 * ISO-2022-JP escapes undecoded or read the bytes as UTF-8. `csISO2022JP` is what .NET writes for
 * code page 50221; the others are Microsoft code-page and PHP mbstring names.
 */
const JAPANESE_LABELS: readonly (readonly [RegExp, string])[] = [
  [/^(?:cp5022[012]|csiso2022jp)$/i, 'ISO-2022-JP'],
  [/^(?:cp51932|x-cp51932)$/i, 'EUC-JP'],
  [/^(?:sjis-open|sjis-win|shift_jis-?2004|shift_jisx0213)$/i, 'Shift_JIS'],
];

/** Labels that name no charset; libmime reads them as UTF-8, which garbles Shift_JIS or EUC-JP bytes. */
const UNKNOWN_LABELS = /^(?:x-unknown|unknown|unknown-8bit|x-user-defined)$/i;

/**
 * Replaces the labels above by ones libmime decodes. Words with an unknown label get the charset
 * their bytes, taken together, read as (see `guessCharset`), so words splitting a character still
 * join as libmime joins words of one charset.
 */
function relabelCharsets(text: string): string {
  let guessed: string | undefined;
  const guess = (): string => {
    if (guessed === undefined) {
      const words = Array.from(text.matchAll(ENCODED_WORD)).filter(([, label = '']) => UNKNOWN_LABELS.test(label));
      guessed = guessCharset(Buffer.concat(words.map(([, , , encoding = 'B', payload = '']) => wordBytes(encoding, payload))).toString('latin1'));
    }
    return guessed;
  };
  return text.replace(ENCODED_WORD, (word, label: string, rest: string) => {
    const alias = JAPANESE_LABELS.find(([pattern]) => pattern.test(label))?.[1];
    if (alias) return `=?${alias}${rest}`;
    return UNKNOWN_LABELS.test(label) ? `=?${guess()}${rest}` : word;
  });
}

/** The bytes an encoded word's text stands for (RFC 2047 §4), for guessing their charset. */
function wordBytes(encoding: string, payload: string): Buffer {
  if (encoding.toUpperCase() === 'B') return Buffer.from(payload, 'base64');
  return Buffer.from(payload.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
}

/** The charset undeclared bytes (a binary string) read as, in the order `headerBytesToText` tries. */
function guessCharset(binary: string): string {
  if (!hasEightBit(binary)) return ISO_2022_JP_ESCAPE.test(binary) ? 'ISO-2022-JP' : 'UTF-8';
  try {
    STRICT_UTF8.decode(Buffer.from(binary, 'latin1'));
    return 'UTF-8';
  } catch {
    // Not UTF-8: a Japanese legacy charset, else Windows' Western one.
  }
  const japanese = Encoding.detect(Buffer.from(binary, 'latin1'), ['EUCJP', 'SJIS']);
  return japanese === 'EUCJP' ? 'EUC-JP' : japanese === 'SJIS' ? 'Shift_JIS' : 'windows-1252';
}

/**
 * Characters that must never reach a header, even inside decoded text: C0 and C1 controls (CR, LF,
 * NUL, NEL …), DEL, and the Unicode line and paragraph separators U+2028/U+2029.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const LINE_BREAKING_OR_CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;

/** Bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder what a name displays as. */
const BIDI_OVERRIDES = /[\u202a-\u202e\u2066-\u2069]/g;

/** HTAB is whitespace in a header (RFC 5322 WSP); every other control is not. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_EXCEPT_TAB = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/;

/** True when the text holds a control character other than HTAB, or U+2028/U+2029: never allowed in a header, decoded or not. */
export function hasControlCharacters(text: string): boolean {
  return CONTROL_EXCEPT_TAB.test(text);
}

/**
 * Makes decoded text safe to re-encode into a single header line: controls and line separators
 * become spaces, bidi overrides go, runs of spaces collapse to one, and the ends are trimmed.
 */
export function sanitizeText(text: string): string {
  return text.replace(LINE_BREAKING_OR_CONTROL, ' ').replace(BIDI_OVERRIDES, '').replace(/ {2,}/g, ' ').trim();
}


/** True when every character is printable ASCII, SP or HTAB: what may stand in an outbound header. */
export function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e\t]*$/.test(text);
}
