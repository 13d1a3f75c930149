/**
 * Checks on an outbound message that do not rely on the mail module under test: its own split,
 * unfolding and decodings (libmime's RFC 2047 decoder, percent and quoted-printable decoding).
 */
import libmime from 'libmime';

/** Header fields SES and readers expect at most once (DESIGN.md "Header rules"). */
const SINGLE_FIELDS = ['from', 'to', 'subject', 'date', 'mime-version', 'content-type'] as const;

const FIELD_LINE = /^[\x21-\x39\x3b-\x7e]+: /;
// eslint-disable-next-line no-control-regex -- these characters are what must not appear
const LINE_BREAKING = /[\r\n\u2028\u2029\u0000]/;

/** An outbound message cut at its first CRLF CRLF, the header as a latin1 string. */
export function splitOutbound(raw: Uint8Array): { header: string; body: Buffer } {
  const buffer = Buffer.from(raw);
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return { header: buffer.toString('latin1'), body: Buffer.alloc(0) };
  return { header: buffer.toString('latin1', 0, end), body: buffer.subarray(end + 4) };
}

/**
 * The body of an inbound message: everything after its first empty line, where CRLF, LF and a bare
 * CR each end a line. Undefined when the message has no empty line.
 */
export function bodyAfterBlankLine(raw: Buffer): Buffer | undefined {
  const match = /(?:^|\r\n|\n|\r(?!\n))(?:\r\n|\n|\r(?!\n))/.exec(raw.toString('latin1'));
  return match ? raw.subarray(match.index + match[0].length) : undefined;
}

/** Folding undone (RFC 5322 §2.2.3): each element one field. */
export function unfoldedFields(header: string): string[] {
  return header.replace(/\r\n(?=[ \t])/g, '').split('\r\n');
}

function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return Buffer.from(run.replace(/%/g, ''), 'hex').toString('latin1');
    }
  });
}

function quotedPrintableDecode(text: string): string {
  return text.replace(/=\r?\n/g, '').replace(/(?:=[0-9a-f]{2})+/gi, (run) => Buffer.from(run.replace(/=/g, ''), 'hex').toString('utf8'));
}

const DECODERS: readonly ((text: string) => string)[] = [(text) => libmime.decodeWords(text), percentDecode, quotedPrintableDecode];

/** The text as written and after every decoding, alone and in pairs (an address percent-encoded inside an encoded word). */
function decodings(text: string): string[] {
  const views = new Set([text]);
  for (const first of DECODERS) {
    const once = first(text);
    views.add(once);
    for (const second of DECODERS) views.add(second(once));
  }
  return [...views];
}

/**
 * Everything wrong with an outbound header block (without its closing empty line): 8-bit bytes and
 * controls other than HTAB, lines over 998 octets, lines that are not `Name: value` once unfolded, a single-use field that
 * repeats, a line break or NUL once encoded words are decoded, and any secret in any decoding,
 * compared case-insensitively (NFKC, so full-width forms count too).
 */
export function headerProblems(header: string, secrets: readonly string[]): string[] {
  const problems: string[] = [];
  if (/[^\t\r\n\x20-\x7e]/.test(header)) problems.push('8-bit byte or control character in header');
  const lines = header.split('\r\n');
  if (lines.some((line) => line.length > 998)) problems.push('line over 998 octets');
  if (lines.some((line) => /[\r\n]/.test(line))) problems.push('bare CR or LF in header');
  const fields = unfoldedFields(header);
  for (const field of fields) {
    if (!FIELD_LINE.test(field)) problems.push(`not a field: ${JSON.stringify(field.slice(0, 80))}`);
    if (LINE_BREAKING.test(libmime.decodeWords(field))) problems.push(`line break after decoding: ${JSON.stringify(field.slice(0, 80))}`);
  }
  const names = fields.map((field) => field.slice(0, field.indexOf(':')).toLowerCase());
  for (const name of SINGLE_FIELDS) {
    const count = names.filter((candidate) => candidate === name).length;
    if (count > 1) problems.push(`${name} ${count} times`);
  }
  const needles = [...new Set(secrets.map((secret) => secret.trim().normalize('NFKC').toLowerCase()).filter((secret) => secret.includes('@')))];
  const views = fields.flatMap(decodings).map((view) => view.normalize('NFKC').toLowerCase());
  for (const needle of needles) {
    if (views.some((view) => view.includes(needle))) problems.push(`secret in header: ${needle}`);
  }
  return problems;
}
