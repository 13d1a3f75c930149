import { describe, expect, it } from 'vitest';
import { composeBounce, shouldBounce } from '../../../lambdas/core/bounce';
import type { BounceInput } from '../../../lambdas/core/bounce';
import { inspectHeaders, LOOP_HEADER, splitMessage } from '../../../lambdas/core/mail';
import { REFUSAL_REASONS } from '../../../lambdas/core/policy';
import type { RefusalReason } from '../../../lambdas/core/policy';

const RELAY = 'relay.example.jp';
const SENDER = 'news@shop.example';
const ALIAS = `c-7k2m9q4x0abc@${RELAY}`;
const INPUT: BounceInput = {
  reason: 'message_too_large',
  relayDomain: RELAY,
  to: SENDER,
  finalRecipient: ALIAS,
  deliveryId: '0100018f2b3c4d5e-abcdef/0',
  sizeBytes: 45 * 1024 * 1024 + 123,
  limitBytes: 40 * 1024 * 1024,
  arrivalDate: new Date('2025-04-01T03:04:05Z'),
  now: new Date('2025-04-01T03:04:09Z'),
};

function compose(change: Partial<BounceInput> = {}) {
  const bounce = composeBounce({ ...INPUT, ...change });
  if (!bounce) throw new Error('no bounce composed');
  return bounce;
}

/** Header block and parts of a multipart message, split independently of the code under test. */
function parse(raw: Buffer) {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const headerText = text.slice(0, end);
  const unfolded = headerText.replace(/\r\n[ \t]+/g, ' ');
  const boundary = /boundary="([^"]+)"/.exec(unfolded)?.[1];
  if (!boundary) throw new Error('no boundary');
  const body = text.slice(end + 4);
  const closing = body.indexOf(`\r\n--${boundary}--`);
  expect(closing).toBeGreaterThan(0);
  const parts = body
    .slice(0, closing)
    .split(`--${boundary}\r\n`)
    .slice(1)
    .map((part) => {
      const split = part.indexOf('\r\n\r\n');
      return { headers: part.slice(0, split), body: part.slice(split + 4).replace(/\r\n$/, '') };
    });
  const field = (name: string): string | undefined => new RegExp(`^${name}: (.*)$`, 'mi').exec(unfolded)?.[1];
  return { headerText, unfolded, field, parts, boundary };
}

describe('shouldBounce', () => {
  it('answers an over-size refusal to an authenticated sender', () => {
    expect(shouldBounce('message_too_large', true)).toBe(true);
  });

  it('never answers an unauthenticated sender', () => {
    for (const reason of Object.keys(REFUSAL_REASONS) as RefusalReason[]) expect(shouldBounce(reason, false)).toBe(false);
  });

  it('answers no other refusal yet, bounceable or not', () => {
    const others = (Object.keys(REFUSAL_REASONS) as RefusalReason[]).filter((reason) => reason !== 'message_too_large');
    expect(others.filter((reason) => REFUSAL_REASONS[reason].bounceable).length).toBeGreaterThan(0);
    for (const reason of others) expect(shouldBounce(reason, true)).toBe(false);
  });
});

describe('composeBounce', () => {
  it('writes an RFC 3464 multipart/report from MAILER-DAEMON to the envelope sender', () => {
    const bounce = compose();
    expect(bounce.from).toBe(`MAILER-DAEMON@${RELAY}`);
    expect(bounce.to).toBe(SENDER);
    const { field, unfolded, parts } = parse(bounce.raw);
    expect(field('From')).toBe(`Mail Delivery System <MAILER-DAEMON@${RELAY}>`);
    expect(field('To')).toBe(`<${SENDER}>`);
    expect(field('Date')).toBe('Tue, 1 Apr 2025 03:04:09 +0000');
    expect(field('Message-ID')).toMatch(new RegExp(`^<dsn\\.[A-Za-z0-9.-]+@${RELAY.replace(/\./g, '\\.')}>$`));
    expect(field('MIME-Version')).toBe('1.0');
    expect(field('Auto-Submitted')).toBe('auto-replied');
    expect(field(LOOP_HEADER)).toBe(RELAY);
    expect(unfolded).toMatch(/^Content-Type: multipart\/report; report-type=delivery-status;\s+boundary="[^"]+"$/m);
    expect(parts.map((p) => /^Content-Type: ([^;\r\n]+)/m.exec(p.headers)?.[1])).toEqual(['text/plain', 'message/delivery-status']);
  });

  it('explains the limit in Japanese and English', () => {
    const [text] = parse(compose().raw).parts;
    expect(text?.headers).toMatch(/charset=UTF-8/);
    expect(text?.headers).toMatch(/Content-Transfer-Encoding: base64/);
    const decoded = Buffer.from(text?.body ?? '', 'base64').toString('utf8');
    expect(decoded).toContain('配信できませんでした');
    expect(decoded).toContain('上限');
    expect(decoded).toContain('could not be delivered');
    expect(decoded).toContain('40 MB (41,943,040 bytes');
    expect(decoded).toContain('45 MB (47,186,043 bytes)');
    expect(decoded).toContain(ALIAS);
  });

  it('reports the failed recipient with status 5.3.4', () => {
    const status = parse(compose().raw).parts[1]?.body ?? '';
    const [perMessage, perRecipient] = status.split('\r\n\r\n');
    expect(perMessage?.split('\r\n')).toEqual([`Reporting-MTA: dns; ${RELAY}`, 'Arrival-Date: Tue, 1 Apr 2025 03:04:05 +0000']);
    expect(perRecipient?.split('\r\n')).toEqual([`Final-Recipient: rfc822; ${ALIAS}`, 'Action: failed', 'Status: 5.3.4']);
  });

  it('is 7-bit with lines within RFC 5322 limits and an RFC 2047 subject', () => {
    const bounce = compose();
    expect([...bounce.raw].every((byte) => byte < 0x80)).toBe(true);
    expect(bounce.raw.toString('latin1')).not.toMatch(/[^\r]\n|\r(?!\n)/);
    for (const line of bounce.raw.toString('latin1').split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    const subject = parse(bounce.raw).field('Subject') ?? '';
    const words = subject.split(' ');
    for (const word of words) expect(word).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    const decoded = words.map((word) => Buffer.from(word.slice(10, -2), 'base64').toString('utf8')).join('');
    expect(decoded).toBe('配信できませんでした: メールが大きすぎます / Undeliverable: message too large');
  });

  it('names no address but the sender in To and the alias it was sent to', () => {
    const bounce = compose();
    const { parts, field } = parse(bounce.raw);
    const everything = `${bounce.raw.toString('latin1')}\n${Buffer.from(parts[0]?.body ?? '', 'base64').toString('utf8')}`;
    const found = new Set(everything.match(/[^\s<>;:,()"'（）]+@[^\s<>;:,()"'（）]+/g));
    const messageId = (field('Message-ID') ?? '').slice(1, -1);
    expect([...found].sort()).toEqual([ALIAS, `MAILER-DAEMON@${RELAY}`, messageId, SENDER].sort());
    expect(bounce.raw.toString('latin1').split('\r\n').filter((line) => line.includes(SENDER))).toEqual([`To: <${SENDER}>`]);
  });

  it('is what the relay itself refuses as an automatic message and a loop', () => {
    const { header } = splitMessage(compose().raw);
    const facts = inspectHeaders(header);
    expect(facts.looksLikeBounce).toBe(true);
    expect(facts.autoSubmitted).toBe(true);
    expect(facts.hasHeader(LOOP_HEADER)).toBe(true);
  });

  it('keeps the Message-ID for the same delivery and changes it for another', () => {
    const first = parse(compose().raw).field('Message-ID');
    expect(parse(compose({ now: new Date('2025-04-02T00:00:00Z') }).raw).field('Message-ID')).toBe(first);
    expect(parse(compose({ deliveryId: '0100018f2b3c4d5e-abcdef/1' }).raw).field('Message-ID')).not.toBe(first);
  });

  it('sends none to an address a 7-bit header cannot carry, or to the relay domain', () => {
    expect(composeBounce({ ...INPUT, to: 'たろう@example.jp' })).toBeUndefined();
    expect(composeBounce({ ...INPUT, to: 'news@shop.example\r\nBcc: x@evil.example' })).toBeUndefined();
    expect(composeBounce({ ...INPUT, to: `m-7k2m9q4x0abc@${RELAY.toUpperCase()}` })).toBeUndefined();
  });
});
