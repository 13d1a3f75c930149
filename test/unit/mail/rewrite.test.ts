import libmime from 'libmime';
import { describe, expect, it } from 'vitest';
import { LOOP_HEADER, rewriteHeaders } from '../../../lambdas/mail';
import { MAX_TEXT_CHARS } from '../../../lambdas/mail/rewrite';
import type { RewriteOptions } from '../../../lambdas/mail';
import { japaneseBytes } from './japanese-bytes';

const options: RewriteOptions = {
  fromAlias: 'm-7k2m9q4x0abc@relay.example.jp',
  toAlias: 'c-3f8h2k5n9pqr@relay.example.jp',
  fallbackDisplayName: 'さくら雑貨店',
  secrets: ['order@shop.example.jp', 'hanako@example.ne.jp'],
  loopHeader: { name: LOOP_HEADER, value: 'relay.example.jp' },
  now: new Date('2024-06-01T03:04:05Z'),
};

const header = (...lines: (string | Buffer)[]): Buffer =>
  Buffer.concat(lines.map((line) => Buffer.concat([typeof line === 'string' ? Buffer.from(line, 'latin1') : line, Buffer.from('\r\n')])));

const rewrite = (input: Buffer, overrides: Partial<RewriteOptions> = {}): string => rewriteHeaders(input, { ...options, ...overrides }).toString('latin1');

/** The output's fields, unfolded, as [name, value] pairs. */
const fieldsOf = (output: string): [string, string][] =>
  output
    .replace(/\r\n\r\n$/, '')
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n')
    .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]);

const valueOf = (output: string, name: string): string | undefined => fieldsOf(output).find(([field]) => field === name)?.[1];

describe('rewriteHeaders', () => {
  it('ends the block with CRLF CRLF and uses CRLF throughout', () => {
    const output = rewrite(header('From: Shop <order@shop.example.jp>', 'Subject: hi'));

    expect(output.endsWith('\r\n\r\n')).toBe(true);
    expect(output.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('builds From from the original display name and the alias', () => {
    expect(valueOf(rewrite(header('From: "Shop, Inc." <order@shop.example.jp>')), 'From')).toBe('"Shop, Inc." <m-7k2m9q4x0abc@relay.example.jp>');
  });

  it('uses the display name of the first mailbox of the first From field', () => {
    const output = rewrite(header('From: First <a@one.example>, Second <b@two.example>', 'From: Third <c@three.example>'));

    expect(valueOf(output, 'From')).toBe('First <m-7k2m9q4x0abc@relay.example.jp>');
  });

  it.each([
    ['no From at all', header('Subject: x')],
    ['a From without a display name', header('From: order@shop.example.jp')],
    ['a display name that is only the address', header('From: "order@shop.example.jp" <order@shop.example.jp>')],
    ['a display name made of spaces and controls', header('From: =?UTF-8?B?IA0KIA==?= <order@shop.example.jp>')],
  ])('falls back to the fallback name with %s', (_label, input) => {
    expect(valueOf(rewrite(input), 'From')).toBe('=?UTF-8?B?44GV44GP44KJ6ZuR6LKo5bqX?= <m-7k2m9q4x0abc@relay.example.jp>');
  });

  it('uses the bare alias when neither name is usable', () => {
    expect(valueOf(rewrite(header('From: a@b.example'), { fallbackDisplayName: '' }), 'From')).toBe('m-7k2m9q4x0abc@relay.example.jp');
  });

  it('removes any other address from a display name', () => {
    expect(valueOf(rewrite(header('From: "Shop (support@shop.example.jp)" <a@b.example>')), 'From')).toBe('"Shop ([address removed])" <m-7k2m9q4x0abc@relay.example.jp>');
  });

  it.each([
    ['an atom phrase', 'Sakura Zakka', 'Sakura Zakka'],
    ['specials', 'Shop. "Best" \\o/', '"Shop. \\"Best\\" \\\\o/"'],
    ['something shaped like an encoded word', '=?x?q?y?=', '=?UTF-8?Q?=3D=3Fx=3Fq=3Fy=3F=3D?='],
  ])('writes an ASCII display name with %s safely', (_label, name, written) => {
    const encoded = `=?UTF-8?B?${Buffer.from(name).toString('base64')}?=`;

    expect(valueOf(rewrite(header(`From: ${encoded} <a@b.example>`)), 'From')).toBe(`${written} <m-7k2m9q4x0abc@relay.example.jp>`);
  });

  it('sets To to the alias only, dropping every other recipient', () => {
    const output = rewrite(header('To: a@b.example, "Other" <c-3f8h2k5n9pqr@relay.example.jp>, x@y.example', 'Cc: z@y.example'));

    expect(valueOf(output, 'To')).toBe('Other <c-3f8h2k5n9pqr@relay.example.jp>');
    expect(valueOf(output, 'Cc')).toBeUndefined();
  });

  it('writes To even when the input names the alias nowhere', () => {
    expect(valueOf(rewrite(header('To: undisclosed-recipients:;')), 'To')).toBe('c-3f8h2k5n9pqr@relay.example.jp');
  });

  it('drops a To display name that holds an address', () => {
    expect(valueOf(rewrite(header('To: "hanako@example.ne.jp" <C-3F8H2K5N9PQR@relay.example.jp>')), 'To')).toBe('c-3f8h2k5n9pqr@relay.example.jp');
  });

  it('rewrites Reply-To to the sender alias only when the input has one', () => {
    expect(valueOf(rewrite(header('Reply-To: support@shop.example.jp')), 'Reply-To')).toBe('m-7k2m9q4x0abc@relay.example.jp');
    expect(valueOf(rewrite(header('From: a@b.example')), 'Reply-To')).toBeUndefined();
  });

  it('adds exactly one loop header, whatever the input carries', () => {
    const output = rewrite(header('X-Anshin-Relay: relay.example.jp', 'x-anshin-relay: other'));

    expect(fieldsOf(output).filter(([name]) => name.toLowerCase() === 'x-anshin-relay')).toEqual([['X-Anshin-Relay', 'relay.example.jp']]);
  });

  it.each([
    ['a missing Date', header('Subject: x')],
    ['an unparseable Date', header('Date: yesterday')],
    ['a Date holding an address', header('Date: Sat, 1 Jun 2024 12:00:00 +0900 (order@shop.example.jp)')],
  ])('writes Date from now for %s', (_label, input) => {
    expect(valueOf(rewrite(input), 'Date')).toBe('Sat, 01 Jun 2024 03:04:05 +0000');
  });

  it('keeps a well-formed Date as written', () => {
    expect(valueOf(rewrite(header('Date: Sat, 1 Jun 2024 12:00:00 +0900 (JST)')), 'Date')).toBe('Sat, 1 Jun 2024 12:00:00 +0900 (JST)');
  });

  it('decodes and re-encodes a Subject as UTF-8 encoded words', () => {
    const jis = japaneseBytes('ご注文の確認', 'JIS').toString('base64');

    const output = rewrite(header(`Subject: Re: =?ISO-2022-JP?B?${jis}?=`));

    expect(valueOf(output, 'Subject')).toBe('Re: =?UTF-8?B?44GU5rOo5paH44Gu56K66KqN?=');
  });

  it('cuts a Subject longer than MAX_TEXT_CHARS, marking the cut', () => {
    const subject = valueOf(rewrite(header(`Subject: ${'word '.repeat(10_000)}`)), 'Subject') ?? '';

    expect(libmime.decodeWords(subject)).toBe(`${'word '.repeat(10_000).slice(0, MAX_TEXT_CHARS)}…`);
  });

  it('keeps an empty Subject empty', () => {
    expect(valueOf(rewrite(header('Subject:')), 'Subject')).toBe('');
  });

  it('replaces secrets in the Subject in any case', () => {
    expect(valueOf(rewrite(header('Subject: Contact ORDER@Shop.Example.JP or hanako@example.ne.jp')), 'Subject')).toBe(
      'Contact [address removed] or [address removed]',
    );
  });

  it('drops a Subject that still reveals a secret in an encoding it does not decode itself', () => {
    expect(valueOf(rewrite(header('Subject: mail order%40shop.example.jp')), 'Subject')).toBeUndefined();
  });

  it('treats the aliases as public even when listed as secrets', () => {
    const output = rewrite(header('From: Shop <a@b.example>'), { secrets: ['M-7K2M9Q4X0ABC@relay.example.jp', options.toAlias] });

    expect(valueOf(output, 'From')).toBe('Shop <m-7k2m9q4x0abc@relay.example.jp>');
    expect(valueOf(output, 'To')).toBe('c-3f8h2k5n9pqr@relay.example.jp');
  });

  it('keeps the MIME fields once each, first occurrence, raw values as received', () => {
    const output = rewrite(
      header(
        'MIME-Version: 1.0 (Mac OS X Mail 16.0 \\(3731.500.231\\))',
        'Content-Type: multipart/mixed;',
        '\tboundary="Apple-Mail=_0E2B1C3A"',
        'Content-Transfer-Encoding: 7bit',
        'Content-Language: ja-JP',
        'Content-ID: <part0@example.jp>',
        'Content-Disposition: inline',
        'Content-Type: text/plain',
        'MIME-Version: 1.1',
      ),
    );

    expect(fieldsOf(output)).toEqual([
      ['From', '=?UTF-8?B?44GV44GP44KJ6ZuR6LKo5bqX?= <m-7k2m9q4x0abc@relay.example.jp>'],
      ['To', 'c-3f8h2k5n9pqr@relay.example.jp'],
      ['Date', 'Sat, 01 Jun 2024 03:04:05 +0000'],
      ['MIME-Version', '1.0 (Mac OS X Mail 16.0 \\(3731.500.231\\))'],
      ['Content-Type', 'multipart/mixed;\tboundary="Apple-Mail=_0E2B1C3A"'],
      ['Content-Transfer-Encoding', '7bit'],
      ['Content-Disposition', 'inline'],
      ['Content-Language', 'ja-JP'],
      ['Content-ID', '<part0@example.jp>'],
      ['X-Anshin-Relay', 'relay.example.jp'],
    ]);
  });

  it('re-encodes Content-Description like a Subject', () => {
    expect(valueOf(rewrite(header(Buffer.from('Content-Description: 請求書'))), 'Content-Description')).toBe('=?UTF-8?B?6KuL5rGC5pu4?=');
  });

  it('rebuilds a Content-Type whose parameter is too long for one line, keeping the boundary', () => {
    const output = rewrite(header(`Content-Type: multipart/mixed; boundary="b1"; name="${'n'.repeat(1200)}.pdf"`));

    const contentType = valueOf(output, 'Content-Type') ?? '';
    expect(contentType).toMatch(/^multipart\/mixed; boundary=b1; name\*0=n+; name\*1=/);
    expect(output.split('\r\n').every((line) => line.length <= 78)).toBe(true);
  });

  it('drops a Content-Transfer-Encoding that is not 7-bit text', () => {
    expect(valueOf(rewrite(header(Buffer.from('Content-Transfer-Encoding: ８bit'))), 'Content-Transfer-Encoding')).toBeUndefined();
  });

  it('drops a Content-Type whose boundary reveals a secret, since the boundary cannot change', () => {
    expect(valueOf(rewrite(header('Content-Type: multipart/mixed; boundary="order@shop.example.jp"')), 'Content-Type')).toBeUndefined();
  });

  it.each(['Received', 'Return-Path', 'Sender', 'Cc', 'Bcc', 'Message-ID', 'DKIM-Signature', 'ARC-Seal', 'Authentication-Results', 'X-Original-To', 'Delivered-To', 'Disposition-Notification-To', 'List-Unsubscribe', 'Auto-Submitted', 'X-Mailer', 'Comments', 'Keywords', 'Resent-From'])(
    'drops %s',
    (name) => {
      const output = rewrite(header(`${name}: value <x@y.example>`, 'Subject: kept'));

      expect(fieldsOf(output).map(([field]) => field.toLowerCase())).not.toContain(name.toLowerCase());
      expect(valueOf(output, 'Subject')).toBe('kept');
    },
  );

  it("adds the relay's own one-click List-Unsubscribe in place of the sender's (RFC 8058)", () => {
    const url = 'https://menu.example.jp/v1/unsubscribe/c-7k2m9p4q8r3s.0123456789abcdef0123456789abcdef';
    const output = rewrite(header('List-Unsubscribe: <mailto:leave@shop.example.jp>', 'List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'Subject: kept'), { listUnsubscribe: url });

    expect(fieldsOf(output).filter(([field]) => field.toLowerCase().startsWith('list-'))).toEqual([
      ['List-Unsubscribe', `<${url}>`],
      ['List-Unsubscribe-Post', 'List-Unsubscribe=One-Click'],
    ]);
  });

  it.each(['mailto:leave@shop.example.jp', 'https://menu.example.jp/u/<x>', 'javascript:alert(1)', 'https://menu.example.jp/u/a b'])('refuses %s as the List-Unsubscribe URL', (url) => {
    expect(() => rewrite(header('Subject: kept'), { listUnsubscribe: url })).toThrow(/listUnsubscribe/);
  });

  it('folds long encoded text under 78 characters a line', () => {
    const output = rewrite(header(Buffer.from(`Subject: ${'長い件名のテスト'.repeat(40)}`), Buffer.from(`From: ${'長い名前'.repeat(30)} <a@b.example>`)));

    expect(output.split('\r\n').every((line) => line.length <= 78)).toBe(true);
  });

  it.each([
    ['fromAlias', { fromAlias: 'm-x@relay.example.jp\r\nBcc: x@y.example' }, 'fromAlias is not a plain address'],
    ['toAlias', { toAlias: 'Name <c-x@relay.example.jp>' }, 'toAlias is not a plain address'],
    ['now', { now: new Date('not a date') }, 'now is not a valid date'],
    ['loopHeader', { loopHeader: { name: 'X-Anshin-Relay', value: 'a\r\nb' } }, 'loopHeader is not a valid header field'],
  ])('refuses an invalid %s', (_label, overrides, message) => {
    expect(() => rewrite(header('Subject: x'), overrides)).toThrow(message);
  });

  it('rewrites a 5 MB header block, 100 KB lines and 10,000 fields into plain ASCII', () => {
    const inputs = [
      header(`Subject: ${'日本語 '.repeat(500_000)}`),
      header(...Array.from({ length: 50 }, (_, index) => `X-Line-${index}: ${'a'.repeat(100_000)}`), `Subject: ${'b'.repeat(100_000)}`, `References: ${'<a@b.example> '.repeat(7_000)}`),
      Buffer.from(Array.from({ length: 10_000 }, (_, index) => `Subject: s${index}\r\nFrom: "n${index}" <a${index}@example.jp>\r\n`).join('')),
      Buffer.concat([Buffer.from('Subject: x'), Buffer.alloc(5 * 1024 * 1024, 0x0d)]),
      Buffer.from(`Subject: x${'\r\n y'.repeat(1_000_000)}\r\n`),
    ];

    // How the time grows with such input is measured by `npm run bench`; a quadratic rewrite of these
    // would not finish within the test's time.
    for (const input of inputs) {
      const output = rewriteHeaders(input, options);

      expect(output.every((byte) => byte < 0x80)).toBe(true);
    }
  });
});
