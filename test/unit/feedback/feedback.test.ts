import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applySendingFeedback, feedbackRecordId, parseSendingEvent, planFeedback, SendingEventError } from '../../../lambdas/feedback/feedback';
import type { FeedbackOptions, SendingFeedback } from '../../../lambdas/feedback/feedback';
import type { FeedbackRecord } from '../../../lambdas/feedback/record';
import { isPaused } from '../../../lambdas/aliases/lifecycle';
import { REFUSAL_REASONS } from '../../../lambdas/relay/screening';
import type { AliasRecord } from '../../../lambdas/aliases/ports';
import type { AliasPauser, FeedbackLog, PauseResult } from '../../../lambdas/feedback/ports';

const RELAY_DOMAIN = 'relay.example.jp';
const REAL_ADDRESSES = ['taro@example.com', 'owner@shop.example'];
const NOW = new Date('2024-06-03T00:00:00Z');
const OPTIONS: FeedbackOptions = { relayDomain: RELAY_DOMAIN, hardBouncePauseDays: 7, transmissionRetentionDays: 90, clock: () => NOW };

type Fixture = Record<string, unknown> & { mail: Record<string, unknown> };

function fixture(name: 'bounce-permanent' | 'bounce-transient' | 'complaint'): Fixture {
  return JSON.parse(readFileSync(new URL(`../../fixtures/ses/${name}.json`, import.meta.url), 'utf8')) as Fixture;
}

/** The fixture with its mail sent from another address. */
function fromSource(name: 'bounce-permanent' | 'bounce-transient' | 'complaint', source: string): string {
  const event = fixture(name);
  return JSON.stringify({ ...event, mail: { ...event.mail, source } });
}

const CUSTOMER: AliasRecord = {
  alias: 'c-0123456789ab',
  kind: 'customer',
  storeId: 'demo-shop',
  orderId: '1001',
  addressCipher: new Uint8Array([1, 2, 3]),
  addressHash: 'a'.repeat(64),
  createdAt: '2024-05-01T00:00:00.000Z',
  expiresAt: '2024-11-01T00:00:00.000Z',
  purgeAt: 1_738_368_000,
};
const REVERSE: AliasRecord = {
  alias: 'm-0123456789ab',
  kind: 'merchant',
  storeId: 'demo-shop',
  addressHash: 'a'.repeat(64),
  customerAlias: CUSTOMER.alias,
  createdAt: '2024-05-01T00:00:00.000Z',
  expiresAt: '2024-11-01T00:00:00.000Z',
  purgeAt: 1_738_368_000,
};

/** The pause and record semantics of the DynamoDB adapters. */
class Doubles implements AliasPauser, FeedbackLog {
  readonly aliases = new Map<string, AliasRecord>([CUSTOMER, REVERSE].map((record) => [record.alias, record]));
  readonly records = new Map<string, FeedbackRecord>();

  async getAlias(alias: string): Promise<AliasRecord | undefined> {
    return this.aliases.get(alias);
  }

  async pauseAlias(alias: string, until: Date): Promise<PauseResult> {
    const record = this.aliases.get(alias);
    if (!record) return 'missing';
    if (record.pausedUntil !== undefined && record.pausedUntil >= until.toISOString()) return 'already_paused';
    this.aliases.set(alias, { ...record, pausedUntil: until.toISOString() });
    return 'paused';
  }

  async recordFeedback(record: FeedbackRecord): Promise<'recorded' | 'duplicate'> {
    if (this.records.has(record.transmissionId)) return 'duplicate';
    this.records.set(record.transmissionId, record);
    return 'recorded';
  }
}

async function apply(body: string, doubles = new Doubles()) {
  const feedback = parseSendingEvent(body);
  if (!feedback) throw new Error('not a bounce or complaint');
  const outcome = await applySendingFeedback(feedback, { aliases: doubles, feedback: doubles }, OPTIONS);
  return { outcome, doubles };
}

describe('parseSendingEvent', () => {
  it('reads a permanent bounce without keeping any recipient address', () => {
    const feedback = parseSendingEvent(JSON.stringify(fixture('bounce-permanent')));

    expect(feedback).toEqual({
      eventType: 'Bounce',
      sesMessageId: '0106018fd2a3a1b2-3c4d5e6f-7081-92a3-b4c5-d6e7f8091a2b-000000',
      source: 'm-0123456789ab@relay.example.jp',
      occurredAt: new Date('2024-06-01T09:00:02.669Z'),
      bounceType: 'Permanent',
      bounceSubType: 'General',
    });
  });

  it('reads a complaint with its feedback type', () => {
    const feedback = parseSendingEvent(JSON.stringify(fixture('complaint')));

    expect(feedback).toEqual({
      eventType: 'Complaint',
      sesMessageId: '0106018fd2a3a1b2-3c4d5e6f-7081-92a3-b4c5-d6e7f8091a2b-000000',
      source: 'm-0123456789ab@relay.example.jp',
      occurredAt: new Date('2024-06-02T01:15:00.000Z'),
      complaintFeedbackType: 'abuse',
    });
  });

  it('takes the address out of a source written with a display name', () => {
    expect(parseSendingEvent(fromSource('bounce-permanent', '"Demo" <m-0123456789ab@relay.example.jp>'))?.source).toBe('m-0123456789ab@relay.example.jp');
  });

  it('accepts identity notifications, which name the type notificationType', () => {
    const { eventType, ...rest } = fixture('bounce-transient');

    expect(parseSendingEvent(JSON.stringify({ notificationType: eventType, ...rest }))?.bounceType).toBe('Transient');
  });

  it.each(['Delivery', 'Send', 'DeliveryDelay', 'Open'])('ignores %s events', (eventType) => {
    expect(parseSendingEvent(JSON.stringify({ ...fixture('bounce-permanent'), eventType }))).toBeUndefined();
  });

  it.each([
    ['text that is not JSON', 'not json'],
    ['a JSON array', '[]'],
    ['no event type', JSON.stringify({ mail: fixture('complaint').mail })],
    ['no mail object', JSON.stringify({ ...fixture('complaint'), mail: undefined })],
    ['no message ID', JSON.stringify({ ...fixture('complaint'), mail: { ...fixture('complaint').mail, messageId: '' } })],
    ['no bounce object', JSON.stringify({ ...fixture('bounce-permanent'), bounce: undefined })],
    ['an unknown bounce type', JSON.stringify({ ...fixture('bounce-permanent'), bounce: { bounceType: 'Soft', timestamp: '2024-06-01T00:00:00Z' } })],
    ['no timestamp at all', JSON.stringify({ eventType: 'Complaint', complaint: {}, mail: { messageId: 'x', source: 'a@b.example' } })],
  ])('throws for %s', (_label, body) => {
    expect(() => parseSendingEvent(body)).toThrow(SendingEventError);
  });

  it('names no address in its errors', () => {
    const body = JSON.stringify({ ...fixture('bounce-permanent'), bounce: { ...(fixture('bounce-permanent').bounce as object), bounceType: 'taro@example.com' } });

    expect(() => parseSendingEvent(body)).toThrow(expect.objectContaining({ message: expect.not.stringContaining('taro') }));
  });
});

describe('planFeedback', () => {
  const bounce = (bounceType: SendingFeedback['bounceType'], source = 'm-0123456789ab@relay.example.jp'): SendingFeedback => ({
    eventType: 'Bounce',
    sesMessageId: 'out-1',
    source,
    occurredAt: new Date('2024-06-01T09:00:00Z'),
    ...(bounceType === undefined ? {} : { bounceType }),
  });
  const reverse = { alias: REVERSE.alias, kind: 'merchant' as const };
  const customer = { alias: CUSTOMER.alias, kind: 'customer' as const };

  it('pauses the customer alias behind the reverse alias for the configured days from the bounce', () => {
    const plan = planFeedback(bounce('Permanent'), reverse, REVERSE, { ...OPTIONS, hardBouncePauseDays: 3 });

    expect(plan.pause).toEqual({ alias: CUSTOMER.alias, until: new Date('2024-06-04T09:00:00Z') });
    expect(plan.record).toMatchObject({ aliasId: CUSTOMER.alias, storeId: 'demo-shop', direction: 'merchant_to_customer', pausedUntil: '2024-06-04T09:00:00.000Z' });
  });

  it.each(['Transient', 'Undetermined'] as const)('pauses nothing for a %s bounce', (bounceType) => {
    const plan = planFeedback(bounce(bounceType), reverse, REVERSE, OPTIONS);

    expect(plan.pause).toBeUndefined();
    expect(plan.record).toMatchObject({ kind: 'bounce', bounceType, aliasId: CUSTOMER.alias });
    expect(plan.record.pausedUntil).toBeUndefined();
  });

  it("pauses nothing when the store's contact bounced, and records it against the customer alias", () => {
    const plan = planFeedback(bounce('Permanent', 'c-0123456789ab@relay.example.jp'), customer, CUSTOMER, OPTIONS);

    expect(plan.pause).toBeUndefined();
    expect(plan.record).toMatchObject({ aliasId: CUSTOMER.alias, storeId: 'demo-shop', direction: 'customer_to_merchant', bounceType: 'Permanent' });
  });

  it('pauses nothing and keeps the sending alias when its record is gone', () => {
    const plan = planFeedback(bounce('Permanent'), reverse, undefined, OPTIONS);

    expect(plan.pause).toBeUndefined();
    expect(plan.record.aliasId).toBe(REVERSE.alias);
    expect(plan.record.storeId).toBeUndefined();
  });

  it('records a bounce of mail not sent from an alias (a DSN) without alias or store', () => {
    const plan = planFeedback(bounce('Permanent', `MAILER-DAEMON@${RELAY_DOMAIN}`), undefined, undefined, OPTIONS);

    expect(plan.pause).toBeUndefined();
    expect(plan.record).toMatchObject({ direction: 'unknown', kind: 'bounce' });
    expect(plan.record.aliasId).toBeUndefined();
  });

  it('keeps the record for the transmission retention from the event time, under an ID per message and type', () => {
    const { record } = planFeedback(bounce('Transient'), reverse, REVERSE, { ...OPTIONS, transmissionRetentionDays: 10 });

    expect(record.transmissionId).toBe(feedbackRecordId('out-1', 'Bounce'));
    expect(record.transmissionId).toBe('feedback/out-1/Bounce');
    expect(record.purgeAt).toBe(Date.parse('2024-06-11T09:00:00Z') / 1000);
    expect(record.receivedAt).toBe('2024-06-01T09:00:00.000Z');
    expect(record.completedAt).toBe(NOW.toISOString());
  });
});

describe('applySendingFeedback', () => {
  it('pauses the customer alias on a permanent bounce and records it', async () => {
    const { outcome, doubles } = await apply(JSON.stringify(fixture('bounce-permanent')));

    expect(outcome).toMatchObject({ pause: 'paused', recorded: true });
    expect(doubles.aliases.get(CUSTOMER.alias)?.pausedUntil).toBe('2024-06-08T09:00:02.669Z');
    expect(doubles.aliases.get(REVERSE.alias)?.pausedUntil).toBeUndefined();
    expect([...doubles.records.values()]).toEqual([outcome.record]);
  });

  it('records a redelivered event once and sets the same pause again', async () => {
    const body = JSON.stringify(fixture('bounce-permanent'));
    const { doubles } = await apply(body);
    const pausedUntil = doubles.aliases.get(CUSTOMER.alias)?.pausedUntil;

    const { outcome } = await apply(body, doubles);

    expect(outcome).toMatchObject({ pause: 'already_paused', recorded: false });
    expect(doubles.records.size).toBe(1);
    expect(doubles.aliases.get(CUSTOMER.alias)?.pausedUntil).toBe(pausedUntil);
  });

  it('records a bounce and a complaint about the same mail separately', async () => {
    const { doubles } = await apply(JSON.stringify(fixture('bounce-permanent')));
    await apply(JSON.stringify(fixture('complaint')), doubles);

    expect([...doubles.records.keys()].sort()).toEqual([
      'feedback/0106018fd2a3a1b2-3c4d5e6f-7081-92a3-b4c5-d6e7f8091a2b-000000/Bounce',
      'feedback/0106018fd2a3a1b2-3c4d5e6f-7081-92a3-b4c5-d6e7f8091a2b-000000/Complaint',
    ]);
  });

  it('does not claim a pause in the record when the customer alias was purged', async () => {
    const doubles = new Doubles();
    doubles.aliases.delete(CUSTOMER.alias);

    const { outcome } = await apply(JSON.stringify(fixture('bounce-permanent')), doubles);

    expect(outcome.pause).toBe('missing');
    expect(doubles.aliases.has(CUSTOMER.alias)).toBe(false);
    expect([...doubles.records.values()][0]?.pausedUntil).toBeUndefined();
  });

  it.each(['bounce-permanent', 'bounce-transient', 'complaint'] as const)('keeps no real address in the %s record', async (name) => {
    const { doubles } = await apply(JSON.stringify(fixture(name)));

    const stored = JSON.stringify([...doubles.records.values()]);
    for (const address of REAL_ADDRESSES) expect(stored).not.toContain(address);
    expect(stored).not.toContain('diagnostic');
  });
});

describe('alias_paused refusal', () => {
  it('is a named reason that sends no DSN', () => {
    expect(REFUSAL_REASONS.alias_paused.bounceable).toBe(false);
  });

  it.each([
    [undefined, false],
    ['2024-06-03T00:00:01.000Z', true],
    ['2024-06-03T00:00:00.000Z', false],
    ['2024-06-02T00:00:00.000Z', false],
    ['not a date', false],
  ])('treats pausedUntil %s as paused: %s', (pausedUntil, paused) => {
    expect(isPaused({ ...(pausedUntil === undefined ? {} : { pausedUntil }) }, NOW)).toBe(paused);
  });
});
