import fc from 'fast-check';
import libmime from 'libmime';
import { describe, expect, it } from 'vitest';
import { LOOP_HEADER, rewriteHeaders } from '../../../lambdas/mail';
import type { RewriteOptions } from '../../../lambdas/mail';
import { addressArbitrary } from '../../support/secret-encodings';
import { japaneseBytes } from './japanese-bytes';

/**
 * Addresses hidden where a mail client would find them but a naive check would not: split over
 * RFC 2231 continuations, percent-encoded in a Japanese charset, in comments of structured fields;
 * and the small header defects that lose parts or show text in the wrong script.
 */

const CONTACT = 'news@shop.example';
const OTHER_SENDER = 'sales@shop-help.example';
const options: RewriteOptions = {
  fromAlias: 'm-7k2m9q4x0abc@relay.example.jp',
  toAlias: 'c-3f8h2k5n9pqr@relay.example.jp',
  fallbackDisplayName: 'さくら雑貨店',
  secrets: [CONTACT, OTHER_SENDER],
  loopHeader: { name: LOOP_HEADER, value: 'relay.example.jp' },
  now: new Date('2024-06-01T03:04:05Z'),
};

const header = (...lines: (string | Buffer)[]): Buffer =>
  Buffer.concat(lines.map((line) => Buffer.concat([typeof line === 'string' ? Buffer.from(line, 'latin1') : line, Buffer.from('\r\n')])));

const rewrite = (input: Buffer): string => rewriteHeaders(input, options).toString('latin1');

/** One output field, unfolded. */
const fieldOf = (output: string, name: string): string | undefined =>
  output
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n')
    .find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`));

/** Parameters as a mail client reads them: continuations joined, every charset decoded, NFKC-folded. */
function readParameters(field: string | undefined): Record<string, string> {
  if (!field) return {};
  const parsed = libmime.parseHeaderValue(field.slice(field.indexOf(':') + 1));
  return Object.fromEntries(Object.entries(parsed.params).map(([key, value]) => [key, libmime.decodeWords(value).normalize('NFKC').toLowerCase()]));
}

const percent = (bytes: Buffer): string => [...bytes].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
const fullWidth = (text: string): string => [...text].map((char) => String.fromCodePoint(char.codePointAt(0)! + 0xfee0)).join('');

describe('rewriteHeaders: addresses in MIME parameters', () => {
  it.each([
    ['split over continuations', `attachment; filename*0="news@"; filename*1="shop.example.pdf"`],
    ['split over continuations listed out of order', `attachment; filename*1="shop.example.pdf"; filename*0="news@"`],
    ['split over encoded continuations', `attachment; filename*0*=utf-8''news%40; filename*1*=shop.example.pdf`],
    ['percent-encoded in Shift_JIS full-width forms', `attachment; filename*=Shift_JIS''${percent(japaneseBytes(`${fullWidth(CONTACT)}.pdf`, 'SJIS'))}`],
    ['percent-encoded in ISO-2022-JP full-width forms', `attachment; filename*=ISO-2022-JP''${percent(japaneseBytes(fullWidth(CONTACT), 'JIS'))}`],
    ['in an RFC 2047 word inside a quoted value', `attachment; filename="=?UTF-8?B?${Buffer.from(`${CONTACT}.pdf`).toString('base64')}?="`],
  ])('rewrites a file name that holds an address %s, and keeps the attachment', (_label, disposition) => {
    const output = rewrite(header('From: Shop <news@shop.example>', 'Content-Type: application/pdf', `Content-Disposition: ${disposition}`));

    const field = fieldOf(output, 'Content-Disposition');
    expect(field).toMatch(/^Content-Disposition: attachment/);
    const { filename = '' } = readParameters(field);
    expect(filename).toContain('[address removed]');
    expect(filename).not.toContain('news@');
  });

  it('rewrites a Content-Type name parameter split over continuations, keeping the type', () => {
    const output = rewrite(header('Content-Type: application/pdf; name*0="sales@shop-"; name*1="help.example.pdf"'));

    const field = fieldOf(output, 'Content-Type');
    expect(field).toMatch(/^Content-Type: application\/pdf/);
    expect(readParameters(field).name).toBe('[address removed].pdf');
  });

  it('keeps a clean split file name as received', () => {
    const output = rewrite(header('Content-Disposition: attachment; filename*0="invoice-"; filename*1="2024.pdf"'));
    expect(fieldOf(output, 'Content-Disposition')).toBe('Content-Disposition: attachment; filename*0="invoice-"; filename*1="2024.pdf"');
  });
});

/** One continuation section (RFC 2231 §3, §4.1) of a split value: quoted, or percent-encoded in a charset. */
const section = fc.constantFrom<(index: number, piece: string) => string>(
  (index, piece) => `filename*${index}="${piece}"`,
  (index, piece) => `filename*${index}*=${index === 0 ? "utf-8''" : ''}${percent(Buffer.from(piece))}`,
);

describe('rewriteHeaders: an address split over file-name continuations, any way', () => {
  it('never lets the address out, read as a client joins and decodes the parameter, and keeps the attachment', () => {
    fc.assert(
      fc.property(addressArbitrary, fc.array(fc.nat(40), { minLength: 1, maxLength: 4 }), section, fc.boolean(), fc.boolean(), (secret, cuts, encode, fullWidthForm, shuffled) => {
        const text = fullWidthForm ? fullWidth(secret) : secret;
        const points = [...new Set(cuts.map((cut) => cut % text.length))].filter((point) => point > 0).sort((a, b) => a - b);
        const pieces = [0, ...points].map((start, i) => text.slice(start, points[i] ?? text.length));
        // An encoded first section names the charset; the quoted form cannot carry non-ASCII.
        const sections = pieces.map((piece, index) => (fullWidthForm ? `filename*${index}*=${index === 0 ? "utf-8''" : ''}${percent(Buffer.from(piece))}` : encode(index, piece)));
        const ordered = shuffled ? [...sections].reverse() : sections;
        const output = rewriteHeaders(header(`Content-Disposition: attachment; ${ordered.join('; ')}`), { ...options, secrets: [secret] }).toString('latin1');

        const field = fieldOf(output, 'Content-Disposition');
        expect(field).toMatch(/^Content-Disposition: attachment/);
        expect(JSON.stringify(readParameters(field))).not.toContain(secret);
        expect(output.toLowerCase()).not.toContain(secret);
      }),
      { numRuns: 300 },
    );
  });
});

describe('rewriteHeaders: every known address of the party', () => {
  it.each([
    ['a Date comment', 'Date: Sat, 01 Jun 2024 12:00:00 +0900 (sales@shop-help.example)', 'Date'],
    ['a MIME-Version comment', 'MIME-Version: 1.0 (sales@shop-help.example)', 'MIME-Version'],
    ['a Content-Transfer-Encoding comment', 'Content-Transfer-Encoding: base64 (sales@shop-help.example)', 'Content-Transfer-Encoding'],
    ['a Content-ID', 'Content-ID: <sales@shop-help.example>', 'Content-ID'],
    ['References', 'References: <a1@mail.example> <x-sales@shop-help.example>', 'References'],
  ])('does not let another registered sender through in %s', (_label, line, name) => {
    const output = rewrite(header('From: Shop <news@shop.example>', line));
    expect(output.toLowerCase()).not.toContain(OTHER_SENDER);
    if (name === 'Date') expect(fieldOf(output, 'Date')).toBe('Date: Sat, 01 Jun 2024 03:04:05 +0000');
    if (name === 'MIME-Version') expect(fieldOf(output, 'MIME-Version')).toBe('MIME-Version: 1.0');
    if (name === 'Content-Transfer-Encoding') expect(fieldOf(output, 'Content-Transfer-Encoding')).toBe('Content-Transfer-Encoding: base64');
    if (name === 'References') expect(fieldOf(output, 'References')).toBe('References: <a1@mail.example>');
  });
});

describe('rewriteHeaders: an address behind decodings in an order a fixed chain misses', () => {
  const percentEncoded = (text: string): string => [...Buffer.from(text)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

  // Hex digits first, so that quoted-printable reads `=06` as a byte once the percent-escapes are
  // gone; long enough that the encoded Subject splits a percent-escape over two encoded words.
  const hexLike = '0656.+._4._4@d.example.jp';

  it.each([
    // Percent-decoding `?=%30…` leaves `?=06…`, which quoted-printable would then read as a byte.
    ['percent-escapes after `?=`', `?=${percentEncoded(hexLike)}`],
    ['percent-escapes after `=`', `=${percentEncoded(hexLike)}`],
    ['a quoted-pair before percent-escapes', `\\=${percentEncoded(hexLike)}`],
  ])('keeps the address out of a Subject with %s', (_label, value) => {
    const output = rewriteHeaders(header(`Subject: ${value}`), { ...options, secrets: [hexLike] }).toString('latin1');
    const subject = fieldOf(output, 'Subject') ?? '';
    const decoded = libmime.decodeWords(subject);
    const percentDecoded = decoded.replace(/(?:%[0-9a-f]{2})+/gi, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
    expect(percentDecoded.replace(/\\(.)/g, '$1').toLowerCase()).not.toContain(hexLike);
  });
});

describe('rewriteHeaders: header defects', () => {
  it('reads a first line `From : …` as the From field, not as an mbox separator', () => {
    const output = rewrite(header('From : "Sakura Shop" <news@shop.example>', 'Subject: hi'));
    expect(fieldOf(output, 'From')).toBe('From: Sakura Shop <m-7k2m9q4x0abc@relay.example.jp>');
  });

  it('never folds inside a quoted boundary, however long', () => {
    const boundary = `----=_Part boundary with spaces ${'x'.repeat(60)} end`;
    const output = rewrite(header(`Content-Type: multipart/mixed; charset=UTF-8; boundary="${boundary}"`));

    const lines = output.split('\r\n');
    const boundaryLine = lines.find((line) => line.includes('boundary='));
    expect(boundaryLine).toBe(` boundary="${boundary}"`);
    expect(readParameters(fieldOf(output, 'Content-Type')).boundary).toBe(boundary.toLowerCase());
  });

  it.each([
    // "Привет мир", "Re: Καλημέρα", "Café crème": each also parses as EUC-JP or Shift_JIS bytes.
    ['KOI8-R', Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4, 0x20, 0xcd, 0xc9, 0xd2])],
    ['ISO-8859-7 mixed with ASCII', Buffer.concat([Buffer.from('Re: '), Buffer.from([0xca, 0xe1, 0xeb, 0xe7, 0xec, 0xdd, 0xf1, 0xe1])])],
    ['ISO-8859-1', Buffer.from('Caf\xe9 cr\xe8me', 'latin1')],
  ])('drops a raw 8-bit Subject in a charset it cannot identify (%s) instead of showing another script', (_label, bytes) => {
    const output = rewrite(header(Buffer.concat([Buffer.from('Subject: '), bytes]), 'Content-Type: text/plain'));
    expect(fieldOf(output, 'Subject')).toBeUndefined();
  });

  it('still reads raw Shift_JIS and UTF-8 subjects', () => {
    const sjis = rewrite(header(Buffer.concat([Buffer.from('Subject: '), japaneseBytes('ご注文の確認', 'SJIS')])));
    const utf8 = rewrite(header(Buffer.from('Subject: ご注文の確認', 'utf8')));
    for (const output of [sjis, utf8]) expect(libmime.decodeWords(fieldOf(output, 'Subject')!.slice(9))).toBe('ご注文の確認');
  });

  it('falls back to the store name for a display name in bytes it cannot identify', () => {
    const from = Buffer.concat([Buffer.from('From: '), Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]), Buffer.from(' <news@shop.example>')]);
    expect(fieldOf(rewrite(header(from)), 'From')).toBe('From: =?UTF-8?B?44GV44GP44KJ6ZuR6LKo5bqX?= <m-7k2m9q4x0abc@relay.example.jp>');
  });
});
