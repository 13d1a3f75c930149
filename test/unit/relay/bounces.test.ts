import { describe, expect, it } from 'vitest';
import { composeBounce, shouldBounce } from '../../../lambdas/relay/bounces';
import type { BouncedReason, BounceInput } from '../../../lambdas/relay/bounces';
import { inspectHeaders, LOOP_HEADER, splitMessage } from '../../../lambdas/mail';
import { REFUSAL_REASONS } from '../../../lambdas/relay/screening';
import type { RefusalReason, SpamVerdictAction } from '../../../lambdas/relay/screening';
import { relayInboundMail } from '../../../lambdas/relay/relay-inbound-mail';
import type { RelayOptions } from '../../../lambdas/relay/relay-inbound-mail';
import type { Verdicts } from '../../../lambdas/relay/verdicts';
import { createInMemoryPorts, seedReverseAlias, seedStoreAndCustomerAlias } from '../../support/in-memory-ports';
import type { InMemoryPorts } from '../../support/in-memory-ports';

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

const ALL_REASONS = Object.keys(REFUSAL_REASONS) as RefusalReason[];
const BOUNCED: readonly BouncedReason[] = [
  'not_an_alias',
  'unknown_alias',
  'expired_alias',
  'alias_disabled',
  'unregistered_sender',
  'not_conversation_owner',
  'message_too_large',
  'rate_limited',
  'store_paused',
];
/** Refusals that must read alike, so a stranger cannot tell whether an alias exists. */
const GENERIC: readonly BouncedReason[] = BOUNCED.filter((reason) => !['message_too_large', 'rate_limited', 'store_paused'].includes(reason));

describe('shouldBounce', () => {
  it.each(BOUNCED)('answers %s to an authenticated sender', (reason) => {
    expect(shouldBounce(reason, true)).toBe(true);
  });

  it('answers exactly the refusals policy marks bounceable', () => {
    expect(ALL_REASONS.filter((reason) => shouldBounce(reason, true)).sort()).toEqual([...BOUNCED].sort());
    expect(ALL_REASONS.filter((reason) => REFUSAL_REASONS[reason].bounceable).sort()).toEqual([...BOUNCED].sort());
  });

  it.each(ALL_REASONS)('never answers %s to an unauthenticated sender', (reason) => {
    expect(shouldBounce(reason, false)).toBe(false);
  });

  it.each(['loop_detected', 'null_sender', 'auto_submitted', 'virus_detected', 'spam_detected', 'spam_quarantined', 'dmarc_reject', 'alias_paused'] as const)(
    'never answers %s, even to an authenticated sender',
    (reason) => {
      expect(shouldBounce(reason, true)).toBe(false);
    },
  );
});

describe('composeBounce', () => {
  it('writes an RFC 3464 multipart/report from MAILER-DAEMON to the envelope sender', () => {
    const bounce = compose();
    expect(bounce.from).toBe(`MAILER-DAEMON@${RELAY}`);
    expect(bounce.to).toBe(SENDER);
    const { field, unfolded, parts } = parse(bounce.raw);
    expect(field('From')).toBe(`Mail Delivery System <MAILER-DAEMON@${RELAY}>`);
    expect(field('To')).toBe(`<${SENDER}>`);
    expect(field('Date')).toBe('Tue, 01 Apr 2025 03:04:09 +0000');
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
    expect(perMessage?.split('\r\n')).toEqual([`Reporting-MTA: dns; ${RELAY}`, 'Arrival-Date: Tue, 01 Apr 2025 03:04:05 +0000']);
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

  it.each(['', '<>'])('sends none to the null sender %j', (to) => {
    expect(composeBounce({ ...INPUT, to })).toBeUndefined();
  });

  it('sends none for a recipient outside the relay domain or one a 7-bit header cannot carry', () => {
    expect(composeBounce({ ...INPUT, reason: 'not_an_alias', finalRecipient: 'someone@elsewhere.example' })).toBeUndefined();
    expect(composeBounce({ ...INPUT, reason: 'not_an_alias', finalRecipient: `たろう@${RELAY}` })).toBeUndefined();
    expect(composeBounce({ ...INPUT, reason: 'not_an_alias', finalRecipient: `x@${RELAY}\r\nBcc: y@evil.example` })).toBeUndefined();
  });
});

describe('composeBounce for mail held back and then given up on', () => {
  const parsed = (reason: BouncedReason) => parse(compose({ reason }).raw);

  it.each([
    ['rate_limited', '4.7.0', '上限を超えた', 'More mail was sent than this service relays'],
    ['store_paused', '4.7.1', '停止されています', 'Sending from this store is paused'],
  ] as const)('reports %s as the temporary status %s, explained in Japanese and English', (reason, code, japanese, english) => {
    const { parts } = parsed(reason);
    expect(parts[1]?.body.split('\r\n\r\n')[1]?.split('\r\n')).toEqual([`Final-Recipient: rfc822; ${ALIAS}`, 'Action: failed', `Status: ${code}`]);
    const text = Buffer.from(parts[0]?.body ?? '', 'base64').toString('utf8');
    expect(text).toContain(japanese);
    expect(text).toContain(english);
    expect(text.indexOf(japanese)).toBeLessThan(text.indexOf(english));
  });
});

describe('composeBounce for a recipient that does not accept the message', () => {
  const explanation = (reason: BouncedReason, change: Partial<BounceInput> = {}) => {
    const { parts } = parse(compose({ reason, ...change }).raw);
    return Buffer.from(parts[0]?.body ?? '', 'base64').toString('utf8');
  };
  const status = (reason: BouncedReason) => parse(compose({ reason }).raw).parts[1]?.body.split('\r\n\r\n')[1]?.split('\r\n');

  it.each(GENERIC)('reports %s as status 5.1.1 for the alias written to', (reason) => {
    expect(status(reason)).toEqual([`Final-Recipient: rfc822; ${ALIAS}`, 'Action: failed', 'Status: 5.1.1']);
  });

  it.each(GENERIC)('explains %s in Japanese and English without the size', (reason) => {
    const text = explanation(reason);
    expect(text).toContain('配信できませんでした');
    expect(text).toContain('受け付けていません');
    expect(text).toContain('could not be delivered');
    expect(text).toContain('does not accept your message');
    expect(text).toContain(ALIAS);
    expect(text).not.toMatch(/MB|bytes|バイト|上限/);
  });

  it('says the same for an unknown, expired or unauthorised alias, so a stranger cannot tell whether it exists', () => {
    const whole = (reason: BouncedReason) => compose({ reason }).raw.toString('latin1');
    const reference = whole('unknown_alias');
    for (const reason of GENERIC) expect(whole(reason)).toBe(reference);
    expect(whole('message_too_large')).not.toBe(reference);
  });

  it('has a bilingual RFC 2047 subject', () => {
    const words = (parse(compose({ reason: 'unregistered_sender' }).raw).field('Subject') ?? '').split(' ');
    const decoded = words.map((word) => Buffer.from(word.slice(10, -2), 'base64').toString('utf8')).join('');
    expect(decoded).toBe('配信できませんでした: 宛先がこのメールを受け付けません / Undeliverable: the recipient does not accept your message');
  });

  it.each(GENERIC)('stays 7-bit within RFC 5322 line limits for %s', (reason) => {
    const raw = compose({ reason }).raw;
    expect([...raw].every((byte) => byte < 0x80)).toBe(true);
    for (const line of raw.toString('latin1').split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('names a non-alias recipient on the relay domain as the sender wrote it, and no other address', () => {
    const recipient = `postmaster@${RELAY}`;
    const bounce = compose({ reason: 'not_an_alias', finalRecipient: recipient });
    const { parts, field } = parse(bounce.raw);
    const everything = `${bounce.raw.toString('latin1')}\n${Buffer.from(parts[0]?.body ?? '', 'base64').toString('utf8')}`;
    const found = new Set(everything.match(/[^\s<>;:,()"'（）]+@[^\s<>;:,()"'（）]+/g));
    expect([...found].sort()).toEqual([recipient, `MAILER-DAEMON@${RELAY}`, (field('Message-ID') ?? '').slice(1, -1), SENDER].sort());
  });
});

describe('relayInboundMail refusals', () => {
  const NOW = new Date('2025-04-01T03:04:05Z');
  const CONTACT = 'owner@shop.example';
  const CUSTOMER = 'taro@example.com';
  const STRANGER = 'mallory@evil.example';
  const PASS: Verdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' };
  const FAILED_AUTH: Verdicts = { ...PASS, spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL' };
  const LIMIT = 4096;
  const OPTIONS: RelayOptions = { relayDomain: RELAY, transmissionRetentionDays: 90, clock: () => NOW, maxOutboundBytes: LIMIT };

  async function setUp() {
    const ports = createInMemoryPorts();
    const alias = await seedStoreAndCustomerAlias(ports, {
      storeId: 'demo-shop',
      displayName: 'デモ商店',
      contact: CONTACT,
      senders: [SENDER],
      orderId: '1001',
      customer: CUSTOMER,
      relayDomain: RELAY,
      now: NOW,
    });
    const reverse = await seedReverseAlias(ports, alias, RELAY);
    return { ports, alias, reverse };
  }

  async function deliver(
    ports: InMemoryPorts,
    options: { from: string; to: string; verdicts?: Verdicts; bodyBytes?: number; relay?: Partial<RelayOptions> },
  ) {
    const body = 'x'.repeat(options.bodyBytes ?? 10);
    const raw = Buffer.from(`From: ${options.from}\r\nTo: ${options.to}\r\nSubject: hello\r\n\r\n${body}\r\n`, 'utf8');
    const location = { bucket: 'inbound', key: `inbound/${ports.mailer.sent.length}-${Math.random()}` };
    ports.rawMail.put(location, raw);
    const before = ports.mailer.sent.length;
    const [result] = await relayInboundMail(
      { sesMessageId: location.key, receivedAt: NOW, envelopeSender: options.from, recipients: [options.to], verdicts: options.verdicts ?? PASS, location },
      ports,
      { ...OPTIONS, ...options.relay },
    );
    const record = ports.transmissions.records().at(-1);
    return { result, record, sent: ports.mailer.sent.slice(before) };
  }

  /** As the feedback function pauses an alias after its customer's address hard-bounced. */
  function pause(ports: InMemoryPorts, address: string): void {
    const name = address.slice(0, address.indexOf('@'));
    const record = ports.aliases.records.get(name);
    if (!record) throw new Error(`no alias ${name}`);
    ports.aliases.records.set(name, { ...record, pausedUntil: new Date(NOW.getTime() + 86_400_000).toISOString() });
  }

  const statusOf = (raw: Uint8Array) => /^Status: (\S+)$/m.exec(Buffer.from(raw).toString('latin1'))?.[1];

  it.each<[string, (s: Awaited<ReturnType<typeof setUp>>) => Promise<string>, RefusalReason]>([
    ['a customer alias that does not exist', async () => `c-000000000000@${RELAY}`, 'unknown_alias'],
    ['a recipient that is no alias', async () => `postmaster@${RELAY}`, 'not_an_alias'],
    ['a live customer alias', async ({ alias }) => alias, 'unregistered_sender'],
    ['a reverse alias', async ({ reverse }) => reverse, 'not_conversation_owner'],
    [
      'a paused customer alias',
      async ({ ports, alias }) => {
        pause(ports, alias);
        return alias;
      },
      'unregistered_sender',
    ],
  ])('answers an authenticated stranger writing to %s with one generic 5.1.1 DSN', async (_label, recipient, reason) => {
    const setup = await setUp();
    const to = await recipient(setup);
    const { result, record, sent } = await deliver(setup.ports, { from: STRANGER, to });

    expect(result).toMatchObject({ status: 'refused', reason, bounced: true });
    expect(record).toMatchObject({ outcome: 'refused', reason, bounced: true });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ from: `MAILER-DAEMON@${RELAY}`, to: [STRANGER] });
    expect(statusOf(sent[0]!.raw)).toBe('5.1.1');
    const text = Buffer.from(sent[0]!.raw).toString('latin1').toLowerCase();
    for (const secret of [CUSTOMER, CONTACT, SENDER, 'demo-shop']) expect(text).not.toContain(secret);
  });

  it('answers an authenticated stranger’s over-size message to a live alias as it answers one to no alias', async () => {
    const { ports, alias } = await setUp();
    const live = await deliver(ports, { from: STRANGER, to: alias, bodyBytes: LIMIT * 2 });
    const missing = await deliver(ports, { from: STRANGER, to: `c-000000000000@${RELAY}`, bodyBytes: LIMIT * 2 });

    expect(live.result).toMatchObject({ reason: 'unregistered_sender', bounced: true });
    expect(missing.result).toMatchObject({ reason: 'unknown_alias', bounced: true });
    expect([statusOf(live.sent[0]!.raw), statusOf(missing.sent[0]!.raw)]).toEqual(['5.1.1', '5.1.1']);
  });

  it('tells the store its own over-size message was too large, with 5.3.4', async () => {
    const { ports, alias } = await setUp();
    const { result, sent } = await deliver(ports, { from: SENDER, to: alias, bodyBytes: LIMIT * 2 });
    expect(result).toMatchObject({ reason: 'message_too_large', bounced: true });
    expect(sent.map((message) => [message.to, statusOf(message.raw)])).toEqual([[[SENDER], '5.3.4']]);
  });

  it('answers the store’s own mail to an expired alias in its support period with the generic DSN', async () => {
    const { ports, alias } = await setUp();
    const { result, sent } = await deliver(ports, { from: SENDER, to: alias, relay: { clock: () => new Date(NOW.getTime() + 200 * 86_400_000) } });
    expect(result).toMatchObject({ reason: 'expired_alias', bounced: true });
    expect(sent.map((message) => [message.to, statusOf(message.raw)])).toEqual([[[SENDER], '5.1.1']]);
  });

  it('treats an alias past its purge time as gone, though its item is still there', async () => {
    const { ports, alias } = await setUp();
    const { result, record, sent } = await deliver(ports, { from: SENDER, to: alias, relay: { clock: () => new Date(NOW.getTime() + 271 * 86_400_000) } });
    expect(result).toMatchObject({ reason: 'unknown_alias', bounced: true });
    expect(record).not.toHaveProperty('storeId');
    expect(sent.map((message) => [message.to, statusOf(message.raw)])).toEqual([[[SENDER], '5.1.1']]);
  });

  it('relays nothing for a terminated store, in either direction', async () => {
    const { ports, alias, reverse } = await setUp();
    const store = ports.stores.stores.get('demo-shop')!;
    ports.stores.stores.set('demo-shop', { ...store, terminatedAt: NOW.toISOString(), purgeAt: Math.floor(NOW.getTime() / 1000) + 90 * 86_400 });
    const toCustomer = await deliver(ports, { from: SENDER, to: alias });
    const toStore = await deliver(ports, { from: CUSTOMER, to: reverse });
    expect([toCustomer.result, toStore.result]).toMatchObject([
      { status: 'refused', reason: 'unknown_store' },
      { status: 'refused', reason: 'unknown_store' },
    ]);
    expect(ports.mailer.sent).toEqual([]);
  });

  it('keeps silent to the store about a paused alias', async () => {
    const { ports, alias } = await setUp();
    pause(ports, alias);
    const { result, sent } = await deliver(ports, { from: SENDER, to: alias });
    expect(result).toMatchObject({ status: 'refused', reason: 'alias_paused' });
    expect(result).not.toHaveProperty('bounced');
    expect(sent).toEqual([]);
  });

  it.each<[string, (s: Awaited<ReturnType<typeof setUp>>) => string, number, RefusalReason]>([
    ['an unknown alias', () => `c-000000000000@${RELAY}`, 10, 'unknown_alias'],
    ['a live alias', ({ alias }) => alias, 10, 'unauthenticated_sender'],
    ['a live alias, over-size', ({ alias }) => alias, LIMIT * 2, 'message_too_large'],
  ])('sends nothing to an unauthenticated sender writing to %s', async (_label, recipient, bodyBytes, reason) => {
    const setup = await setUp();
    const { result, record, sent } = await deliver(setup.ports, { from: SENDER, to: recipient(setup), verdicts: FAILED_AUTH, bodyBytes });
    expect(result).toMatchObject({ status: 'refused', reason });
    expect(record?.bounced).toBeUndefined();
    expect(sent).toEqual([]);
  });

  it('sends no DSN to the relay’s own domain', async () => {
    const { ports } = await setUp();
    const { result, sent } = await deliver(ports, { from: `someone@${RELAY}`, to: `c-000000000000@${RELAY}` });
    expect(result).toMatchObject({ reason: 'unknown_alias' });
    expect(result).not.toHaveProperty('bounced');
    expect(sent).toEqual([]);
  });

  it.each<[SpamVerdictAction | undefined, RefusalReason]>([
    [undefined, 'spam_detected'],
    ['drop', 'spam_detected'],
    ['quarantine', 'spam_quarantined'],
  ])('refuses spam without a DSN when the action is %s, recording the verdicts', async (spamVerdictAction, reason) => {
    const { ports, alias } = await setUp();
    const verdicts: Verdicts = { ...PASS, spam: 'FAIL' };
    const { result, record, sent } = await deliver(ports, { from: SENDER, to: alias, verdicts, relay: spamVerdictAction === undefined ? {} : { spamVerdictAction } });
    expect(result).toMatchObject({ status: 'refused', reason });
    expect(record).toMatchObject({ outcome: 'refused', reason, verdicts });
    expect(record?.bounced).toBeUndefined();
    expect(sent).toEqual([]);
  });

  it.each<[string, Verdicts, RefusalReason]>([
    ['a virus', { ...PASS, virus: 'FAIL' }, 'virus_detected'],
    ['a DMARC failure under p=reject', { ...PASS, dkim: 'FAIL', dmarc: 'FAIL', dmarcPolicy: 'reject' }, 'dmarc_reject'],
  ])('drops %s without a DSN and records the verdicts', async (_label, verdicts, reason) => {
    const { ports, alias } = await setUp();
    const { record, sent } = await deliver(ports, { from: SENDER, to: alias, verdicts });
    expect(record).toMatchObject({ outcome: 'refused', reason, verdicts });
    expect(sent).toEqual([]);
  });

  it('records the verdicts of a relayed message', async () => {
    const { ports, alias } = await setUp();
    const verdicts: Verdicts = { ...PASS, spf: 'GRAY', spam: 'GRAY', dmarcPolicy: 'none' };
    const { record } = await deliver(ports, { from: SENDER, to: alias, verdicts });
    expect(record).toMatchObject({ outcome: 'relayed', verdicts });
  });
});
