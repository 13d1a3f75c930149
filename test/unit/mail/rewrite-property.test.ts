import fc from 'fast-check';
import libmime from 'libmime';
import { describe, expect, it } from 'vitest';
import { addressArbitrary, base64Word, percentEncode, SECRET_ENCODINGS } from '../../support/secret-encodings';
import { LOOP_HEADER, rewriteHeaders } from '../../../lambdas/mail';
import type { RewriteOptions } from '../../../lambdas/mail';

const baseOptions: Omit<RewriteOptions, 'secrets'> = {
  fromAlias: 'm-7k2m9q4x0abc@relay.example.jp',
  toAlias: 'c-3f8h2k5n9pqr@relay.example.jp',
  fallbackDisplayName: 'さくら雑貨店',
  loopHeader: { name: LOOP_HEADER, value: 'relay.example.jp' },
  now: new Date('2024-06-01T03:04:05Z'),
};


/** Text that may hold anything: controls, line separators, 8-bit, encoded words. */
const noise = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('\r\n', '\n', '\r', '\u2028', '\u0000', '=?', '?=', '"', '<', '>', ',', ';', ':', '\\', '(', ')', '注文', ' '),
  fc.string({ maxLength: 8 }).map((text) => base64Word('UTF-8', Buffer.from(`${text}\r\nBcc: x@y.example`))),
);

const FIELD_NAMES = [
  'From', 'To', 'Cc', 'Reply-To', 'Sender', 'Return-Path', 'Subject', 'Date', 'References', 'In-Reply-To', 'Message-ID',
  'Content-Type', 'Content-Disposition', 'Content-Description', 'Content-ID', 'Content-Language', 'MIME-Version',
  'Content-Transfer-Encoding', 'Received', 'X-Mailer', 'Comments', 'X-Anshin-Relay',
] as const;

/** A value shaped like what the field usually holds, with the encoded secret and noise inside. */
function shaped(name: string, secret: string, extra: string): string {
  switch (name) {
    case 'From':
    case 'To':
    case 'Cc':
    case 'Reply-To':
    case 'Sender':
      return `"${extra} ${secret}" <${secret}>, ${extra}`;
    case 'References':
    case 'In-Reply-To':
    case 'Message-ID':
    case 'Content-ID':
      return `<${extra}.${secret}> <abc@ap-northeast-1.amazonses.com>`;
    case 'Content-Type':
      return `multipart/mixed; boundary="b${extra}"; name="${secret}.pdf"`;
    case 'Content-Disposition':
      return `attachment; filename*=utf-8''${percentEncode(secret)}; filename="${extra}${secret}"`;
    default:
      return `${extra} ${secret} ${extra}`;
  }
}

const fieldArbitrary = (secrets: readonly string[]) =>
  fc
    .tuple(fc.constantFrom(...FIELD_NAMES), fc.constantFrom(...secrets), fc.nat(SECRET_ENCODINGS.length - 1), noise, fc.boolean())
    .map(([name, secret, encoding, extra, raw]) => {
      const encoded = (SECRET_ENCODINGS[encoding] ?? ((text: string) => text))(secret);
      return `${name}: ${raw ? `${extra}${encoded}` : shaped(name, encoded, extra)}`;
    });

const scenario = fc
  .uniqueArray(addressArbitrary, { minLength: 1, maxLength: 3 })
  .chain((secrets) =>
    fc.record({
      secrets: fc.constant(secrets),
      fields: fc.array(fieldArbitrary(secrets), { minLength: 1, maxLength: 12 }),
      lineEnd: fc.constantFrom('\r\n', '\n'),
    }),
  );

/** Independent of the module's own guard: every combination of up to three decodings. */
const decoders: readonly ((text: string) => string)[] = [
  (text) => libmime.decodeWords(text),
  (text) => text.replace(/(?:%[0-9a-f]{2})+/gi, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8')),
  (text) => text.replace(/(?:=[0-9a-f]{2})+/gi, (run) => Buffer.from(run.replace(/=/g, ''), 'hex').toString('utf8')),
  (text) => text.replace(/\\(.)/g, '$1'),
];

function readings(value: string): Set<string> {
  const seen = new Set([value]);
  let frontier = [value];
  for (let depth = 0; depth < 3; depth += 1) {
    frontier = frontier.flatMap((text) => decoders.map((decode) => decode(text))).filter((text) => !seen.has(text));
    for (const text of frontier) seen.add(text);
  }
  return seen;
}

// eslint-disable-next-line no-control-regex -- NUL is one of the characters asserted absent
const LINE_BREAK_OR_NUL = /[\r\n\u2028\u2029\u0000]/;

const unfoldedFields = (output: string): string[] => output.replace(/\r\n\r\n$/, '').replace(/\r\n(?=[ \t])/g, '').split('\r\n');

describe('rewriteHeaders for any header set with secrets in it', () => {
  it('never lets a secret, a line break or an 8-bit byte out', () => {
    fc.assert(
      fc.property(scenario, ({ secrets, fields, lineEnd }) => {
        const input = Buffer.from(`${fields.join(lineEnd)}${lineEnd}`, 'utf8');

        const output = rewriteHeaders(input, { ...baseOptions, secrets });

        expect(output.every((byte) => byte < 0x80)).toBe(true);
        const text = output.toString('latin1');
        expect(text.endsWith('\r\n\r\n')).toBe(true);
        const lines = text.slice(0, -4).split('\r\n');
        expect(lines.every((line) => line.length > 0 && line.length <= 998 && !/[\r\n]/.test(line))).toBe(true);
        for (const field of unfoldedFields(text)) {
          expect(field).toMatch(/^[\x21-\x39\x3b-\x7e]+: /);
          expect(libmime.decodeWords(field)).not.toMatch(LINE_BREAK_OR_NUL);
          for (const reading of readings(field)) {
            const folded = reading.normalize('NFKC').toLowerCase();
            for (const secret of secrets) expect(folded).not.toContain(secret);
          }
        }
        const names = unfoldedFields(text).map((field) => field.slice(0, field.indexOf(':')).toLowerCase());
        for (const once of ['from', 'to', 'subject', 'date', 'mime-version', 'content-type', 'x-anshin-relay']) {
          expect(names.filter((name) => name === once).length).toBeLessThanOrEqual(1);
        }
        expect(names).toEqual(expect.arrayContaining(['from', 'to', 'date', 'x-anshin-relay']));
      }),
      { numRuns: 300 },
    );
  });
});
