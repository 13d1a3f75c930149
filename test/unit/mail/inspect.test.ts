import { describe, expect, it } from 'vitest';
import { inspectHeaders } from '../../../lambdas/mail';
import { japaneseBytes } from './japanese-bytes';

const header = (...lines: (string | Buffer)[]): Buffer =>
  Buffer.concat(lines.map((line) => Buffer.concat([typeof line === 'string' ? Buffer.from(line, 'latin1') : line, Buffer.from('\r\n')])));

describe('inspectHeaders', () => {
  it('collects sender addresses from From, Sender, Reply-To and Return-Path, lower-cased and deduplicated', () => {
    const facts = inspectHeaders(
      header(
        'Return-Path: <Bounce-1@ESP.example.com>',
        'From: Shop <Order@Shop.example.jp>',
        'Sender: bounce-1@esp.example.com',
        'Reply-To: "Support" <support@shop.example.jp>, order@shop.example.jp',
        'To: c-abc@relay.example.jp',
        'Cc: someone@example.org',
      ),
    );

    expect(facts.senderAddresses).toEqual(['order@shop.example.jp', 'bounce-1@esp.example.com', 'support@shop.example.jp']);
    expect(facts.from).toEqual([{ address: 'order@shop.example.jp', displayName: 'Shop' }]);
    expect(facts.fromFieldCount).toBe(1);
  });

  it('counts every From field and lists the mailboxes of all of them', () => {
    const facts = inspectHeaders(header('From: a@example.jp, "B" <b@example.jp>', 'From: c@example.jp'));

    expect(facts.fromFieldCount).toBe(2);
    expect(facts.from.map((mailbox) => mailbox.address)).toEqual(['a@example.jp', 'b@example.jp', 'c@example.jp']);
  });

  it('reads group syntax into its member mailboxes', () => {
    const facts = inspectHeaders(header('From: Team: "A" <a@example.jp>, b@example.jp;'));

    expect(facts.from).toEqual([
      { address: 'a@example.jp', displayName: 'A' },
      { address: 'b@example.jp', displayName: '' },
    ]);
  });

  it.each([
    ['ISO-2022-JP B', 'From: =?ISO-2022-JP?B?GyRCJDUkLyRpOygyX0U5GyhC?= <order@shop.example.jp>', 'さくら雑貨店'],
    ['Shift_JIS B', 'From: =?Shift_JIS?B?grOCrYLngUaOR4nd?= <order@shop.example.jp>', 'さくら：雑貨'],
    ['EUC-JP Q', 'From: =?EUC-JP?Q?=BB=B3=C5=C4?= <order@shop.example.jp>', '山田'],
    ['UTF-8 Q', 'From: =?utf-8?q?Caf=C3=A9_=E4=BA=AC=E9=83=BD?= <order@shop.example.jp>', 'Café 京都'],
    ['a comment as the name', 'From: order@shop.example.jp (Shop Team)', 'Shop Team'],
  ])('decodes a %s display name', (_label, line, name) => {
    expect(inspectHeaders(header(line)).from[0]?.displayName).toBe(name);
  });

  it('reads raw UTF-8 header bytes (RFC 6532)', () => {
    expect(inspectHeaders(header(Buffer.from('From: 山田 太郎 <taro@example.jp>'))).from[0]?.displayName).toBe('山田 太郎');
  });

  it('reads raw 8-bit bytes in the top-level Content-Type charset', () => {
    const facts = inspectHeaders(
      header(Buffer.concat([Buffer.from('From: '), japaneseBytes('鈴木', 'SJIS'), Buffer.from(' <s@example.jp>')]), 'Content-Type: text/plain; charset=Shift_JIS'),
    );

    expect(facts.from[0]?.displayName).toBe('鈴木');
  });

  it('guesses EUC-JP or Shift_JIS for raw 8-bit bytes without a usable charset', () => {
    const eucjp = inspectHeaders(header(Buffer.concat([Buffer.from('From: '), japaneseBytes('佐藤', 'EUCJP'), Buffer.from(' <a@example.jp>')])));
    const sjis = inspectHeaders(header(Buffer.concat([Buffer.from('From: '), japaneseBytes('ひらがな', 'SJIS'), Buffer.from(' <b@example.jp>')]), 'Content-Type: text/plain; charset=ISO-2022-JP'));

    expect(eucjp.from[0]?.displayName).toBe('佐藤');
    expect(sjis.from[0]?.displayName).toBe('ひらがな');
  });

  it('turns control characters decoded from an encoded name into spaces', () => {
    const encoded = Buffer.from('Shop\r\nBcc: x@example.org\u2028end').toString('base64');

    expect(inspectHeaders(header(`From: =?UTF-8?B?${encoded}?= <a@example.jp>`)).from[0]?.displayName).toBe('Shop Bcc: x@example.org end');
  });

  it('does not let an encoded name inject an address into the parse', () => {
    const facts = inspectHeaders(header('From: =?UTF-8?Q?evil=40attacker.example_=3Cx=40y.example=3E?= <real@shop.example.jp>'));

    expect(facts.from).toEqual([{ address: 'real@shop.example.jp', displayName: 'evil@attacker.example <x@y.example>' }]);
  });

  it.each([
    ['auto-replied', 'Auto-Submitted: auto-replied', true],
    ['auto-generated with a comment', 'Auto-Submitted: auto-generated (vacation)', true],
    ['an empty value', 'Auto-Submitted:', true],
    ['no', 'Auto-Submitted: no', false],
    ['No with a comment', 'Auto-Submitted: No (sent by a person)', false],
    ['Precedence: auto_reply', 'Precedence: auto_reply', true],
    ['Precedence: bulk', 'Precedence: bulk', false],
    ['X-Autoreply', 'X-Autoreply: yes', true],
  ])('reads autoSubmitted from %s', (_label, line, expected) => {
    expect(inspectHeaders(header('From: a@example.jp', line)).autoSubmitted).toBe(expected);
  });

  it('is not autoSubmitted without any marker', () => {
    expect(inspectHeaders(header('From: a@example.jp')).autoSubmitted).toBe(false);
  });

  it.each([
    ['a delivery-status report', ['From: a@example.jp', 'Content-Type: multipart/report; report-type=delivery-status;', ' boundary="b"'], true],
    ['a quoted, upper-case report type', ['From: a@example.jp', 'Content-Type: Multipart/Report; Report-Type="Delivery-Status"; boundary=b'], true],
    ['a global delivery status', ['From: a@example.jp', 'Content-Type: multipart/report; report-type=global-delivery-status; boundary=b'], true],
    ['MAILER-DAEMON', ['From: Mail Delivery System <MAILER-DAEMON@mx.example.jp>'], true],
    ['postmaster', ['From: postmaster@mx.example.jp'], true],
    ['a bare MAILER-DAEMON without domain', ['From: MAILER-DAEMON'], true],
    ['a null Return-Path', ['Return-Path: <>', 'From: a@example.jp'], true],
    ['a read receipt', ['From: a@example.jp', 'Content-Type: multipart/report; report-type=disposition-notification; boundary=b'], false],
    ['ordinary mail', ['From: a@example.jp', 'Content-Type: text/plain'], false],
  ])('reads looksLikeBounce from %s', (_label, lines, expected) => {
    expect(inspectHeaders(header(...lines)).looksLikeBounce).toBe(expected);
  });

  it('answers hasHeader case-insensitively', () => {
    const facts = inspectHeaders(header('X-Anshin-Relay: relay.example.jp', 'From: a@example.jp'));

    expect(facts.hasHeader('x-anshin-relay')).toBe(true);
    expect(facts.hasHeader('X-ANSHIN-RELAY')).toBe(true);
    expect(facts.hasHeader('Sender')).toBe(false);
  });

  it('reads the first Message-ID, unfolded', () => {
    expect(inspectHeaders(header('Message-ID:', ' <abc.123@example.jp>', 'Message-ID: <second@example.jp>')).messageId).toBe('<abc.123@example.jp>');
    expect(inspectHeaders(header('From: a@example.jp')).messageId).toBeUndefined();
  });

  it('reads folded fields, LF and bare CR line ends alike', () => {
    const lf = inspectHeaders(Buffer.from('From: "Shop"\n <a@example.jp>\nReply-To: b@example.jp\n'));
    const cr = inspectHeaders(Buffer.from('From: "Shop"\r <a@example.jp>\rReply-To: b@example.jp\r'));

    expect(lf.senderAddresses).toEqual(['a@example.jp', 'b@example.jp']);
    expect(cr.senderAddresses).toEqual(['a@example.jp', 'b@example.jp']);
  });

  it('ignores a leading mbox From line and lines that are not fields', () => {
    const facts = inspectHeaders(header('From sender@example.jp Sat Jun  1 12:00:00 2024', 'garbage line', ' Subject: indented', 'From: a@example.jp'));

    expect(facts.fromFieldCount).toBe(1);
    expect(facts.hasHeader('subject')).toBe(false);
  });

  it('reports no mailbox for an oversized From, but still lists the addresses in it', () => {
    const facts = inspectHeaders(header(`From: "${'x'.repeat(5000)}" <huge@example.jp>`));

    expect(facts.from).toEqual([]);
    expect(facts.fromFieldCount).toBe(1);
    expect(facts.senderAddresses).toContain('huge@example.jp');
  });

  // How the time grows with such input is measured by `npm run bench`; a quadratic reading of these
  // would not finish within the test's time.
  it('reads hostile address fields (nested groups, thousands of addresses, 10,000 From fields)', () => {
    const nested = header(`From: ${'g:'.repeat(50_000)}a@example.jp`);
    const many = header(`Reply-To: ${'a@b.example,'.repeat(20_000)}`);
    const fields = header(...Array.from({ length: 10_000 }, (_, index) => `From: "n${index}" <a${index}@example.jp>`));

    expect(inspectHeaders(nested).fromFieldCount).toBe(1);
    expect(inspectHeaders(many).fromFieldCount).toBe(0);
    const facts = inspectHeaders(fields);

    expect(facts.fromFieldCount).toBe(10_000);
  });
});
