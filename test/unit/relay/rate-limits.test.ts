import { describe, expect, it } from 'vitest';
import { counterDaysAt, countersFor, DEFAULT_RATE_LIMITS, fullWindow, holdUntil, parseRateLimits, RateLimitsError, resumeAfter, storeRateLimit } from '../../../lambdas/relay/rate-limits';
import type { RateLimits } from '../../../lambdas/relay/rate-limits';
import { relayInboundMail } from '../../../lambdas/relay/relay-inbound-mail';
import type { DeliveryResult } from '../../../lambdas/relay/relay-inbound-mail';
import type { Verdicts } from '../../../lambdas/relay/verdicts';
import { ConfigError, resolveConfig } from '../../../lib/config';
import { createInMemoryPorts, seedReverseAlias, seedStoreAndCustomerAlias } from '../../support/in-memory-ports';
import type { InMemoryPorts } from '../../support/in-memory-ports';

const RELAY = 'relay.example.jp';
const SENDER = 'news@shop.example';
const CUSTOMER = 'taro@example.com';
const PASS: Verdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' };
// 23:59:30 in Japan: the minute ends in 30 s, the Japanese day with it.
const NOW = new Date('2026-12-07T14:59:30Z');
const LIMITS: RateLimits = { store: { perMinute: 3, perDay: 5 }, customerAlias: { perMinute: 2, perDay: 100 }, reverseAlias: { perMinute: 1, perDay: 100 }, holdMinutes: 10 };

describe('rate-limit windows', () => {
  it('count a store and the customer alias for mail to a customer, the reverse alias alone for a reply', () => {
    const toCustomer = countersFor({ aliasKind: 'customer', alias: 'c-7k2m9p4q8r3s', storeId: 'demo-shop', storeLimit: LIMITS.store }, LIMITS, NOW);
    expect(toCustomer.map((counter) => [counter.subject, counter.day, counter.minute])).toEqual([
      ['alias#c-7k2m9p4q8r3s', '2026-12-07', '14:59'],
      ['store#demo-shop', '2026-12-07', '14:59'],
    ]);
    const reply = countersFor({ aliasKind: 'merchant', alias: 'm-7k2m9p4q8r3s', storeId: 'demo-shop', storeLimit: LIMITS.store }, LIMITS, NOW);
    expect(reply.map((counter) => [counter.subject, counter.limit])).toEqual([['alias#m-7k2m9p4q8r3s', LIMITS.reverseAlias]]);
  });

  it('end the day at midnight in Japan and the minute on the minute', () => {
    const [counter] = countersFor({ aliasKind: 'merchant', alias: 'm-x', storeId: 's', storeLimit: LIMITS.store }, LIMITS, NOW);
    expect(counter?.dayEnd.toISOString()).toBe('2026-12-07T15:00:00.000Z');
    expect(counter?.minuteEnd.toISOString()).toBe('2026-12-07T15:00:00.000Z');
    const [next] = countersFor({ aliasKind: 'merchant', alias: 'm-x', storeId: 's', storeLimit: LIMITS.store }, LIMITS, new Date('2026-12-07T15:00:00Z'));
    expect(next?.day).toBe('2026-12-08');
  });

  it("lay a store's own limits over the defaults, field by field", () => {
    expect(storeRateLimit(LIMITS, { perMinute: 10 })).toEqual({ perMinute: 10, perDay: 5 });
    expect(storeRateLimit(LIMITS, undefined)).toEqual(LIMITS.store);
  });

  it('name the window that is full, the day before the minute', () => {
    const [counter] = countersFor({ aliasKind: 'merchant', alias: 'm-x', storeId: 's', storeLimit: LIMITS.store }, LIMITS, NOW);
    expect(fullWindow(counter!, { day: 100, minute: 1 })).toBe('day');
    expect(fullWindow(counter!, { day: 3, minute: 1 })).toBe('minute');
    expect(fullWindow(counter!, { day: 3, minute: 0 })).toBeUndefined();
    expect(fullWindow(counter!, { day: undefined, minute: undefined })).toBeUndefined();
  });

  it('hold until the latest full window ends, and refuse when that is past the hold window', () => {
    const [alias, store] = countersFor({ aliasKind: 'customer', alias: 'c-x', storeId: 's', storeLimit: LIMITS.store }, LIMITS, new Date('2026-12-07T03:00:10Z'));
    const resumeAt = resumeAfter([
      { counter: alias!, window: 'minute' },
      { counter: store!, window: 'minute' },
    ]);
    expect(resumeAt.toISOString()).toBe('2026-12-07T03:01:00.000Z');
    expect(holdUntil(resumeAt, new Date('2026-12-07T03:00:00Z'), new Date('2026-12-07T03:00:10Z'), 10)).toEqual({ heldForSeconds: 50 });
    expect(holdUntil(resumeAt, new Date('2026-12-07T02:50:00Z'), new Date('2026-12-07T03:00:10Z'), 10)).toEqual({ refuse: true });
    expect(holdUntil(resumeAt, new Date('2026-12-07T03:00:00Z'), resumeAt, 10)).toEqual({ heldForSeconds: 1 });
    const dayFull = resumeAfter([{ counter: store!, window: 'day' }]);
    expect(holdUntil(dayFull, new Date('2026-12-07T03:00:00Z'), new Date('2026-12-07T03:00:10Z'), 60)).toEqual({ refuse: true });
  });

  it('holds mail whose window ends exactly at the end of the hold window, and refuses it a moment later', () => {
    const receivedAt = new Date('2026-12-07T03:00:00Z');
    const now = new Date('2026-12-07T03:00:10Z');
    expect(holdUntil(new Date('2026-12-07T03:10:00Z'), receivedAt, now, 10)).toEqual({ heldForSeconds: 590 });
    expect(holdUntil(new Date('2026-12-07T03:10:00.001Z'), receivedAt, now, 10)).toEqual({ refuse: true });
  });

  it('resumes when the last of the full windows ends, in whatever order they are found full', () => {
    const [alias, store] = countersFor({ aliasKind: 'customer', alias: 'c-x', storeId: 's', storeLimit: LIMITS.store }, LIMITS, new Date('2026-12-07T03:00:10Z'));
    const day = { counter: store!, window: 'day' as const };
    const minute = { counter: alias!, window: 'minute' as const };
    expect(resumeAfter([day, minute])).toEqual(store!.dayEnd);
    expect(resumeAfter([minute, day])).toEqual(store!.dayEnd);
  });

  it("knows the counters of today and of yesterday (Japan time) as the ones that may still exist", () => {
    // 00:30 in Japan on 8 December.
    expect(counterDaysAt(new Date('2026-12-07T15:30:00Z'))).toEqual(['2026-12-08', '2026-12-07']);
  });
});

describe('rate-limit configuration', () => {
  it('takes the defaults, and what is given limit by limit', () => {
    expect(resolveConfig({}).rateLimits).toEqual(DEFAULT_RATE_LIMITS);
    expect(resolveConfig({ rateLimits: { store: { perMinute: 5 }, holdMinutes: 30 } }).rateLimits).toEqual({ ...DEFAULT_RATE_LIMITS, store: { ...DEFAULT_RATE_LIMITS.store, perMinute: 5 }, holdMinutes: 30 });
  });

  it.each([
    [{ store: { perMinute: 0 } }, /anshin.rateLimits.store.perMinute/],
    [{ holdMinutes: 2_000 }, /anshin.rateLimits.holdMinutes/],
    [{ perStore: 5 }, /perStore/],
  ])('refuses %j by name', (rateLimits, message) => {
    expect(() => resolveConfig({ rateLimits })).toThrow(ConfigError);
    expect(() => resolveConfig({ rateLimits })).toThrow(message);
  });

  it('refuses limits the relay environment garbled, naming where and every field at fault', () => {
    const garbled = { ...DEFAULT_RATE_LIMITS, store: { perMinute: 'ten', perDay: 1 }, holdMinutes: -1 };
    expect(() => parseRateLimits(garbled, 'RATE_LIMITS')).toThrow(RateLimitsError);
    const error = (() => {
      try {
        parseRateLimits(garbled);
      } catch (thrown) {
        return thrown as Error;
      }
      return undefined;
    })();
    expect(error?.name).toBe('RateLimitsError');
    expect(error?.message).toMatch(/^rateLimits\.store\.perMinute: .+; rateLimits\.holdMinutes: .+$/);
  });
});

interface Setup {
  readonly ports: InMemoryPorts;
  readonly alias: string;
  readonly reverse: string;
  now: Date;
  sent: number;
}

async function setUp(): Promise<Setup> {
  const ports = createInMemoryPorts();
  const alias = await seedStoreAndCustomerAlias(ports, { storeId: 'demo-shop', displayName: 'デモ商店', contact: 'owner@shop.example', senders: [SENDER], relayDomain: RELAY, now: NOW, orderId: '1', customer: CUSTOMER });
  const reverse = await seedReverseAlias(ports, alias, RELAY);
  return { ports, alias, reverse, now: NOW, sent: 0 };
}

async function send(setup: Setup, from: string, to: string, receivedAt = setup.now): Promise<DeliveryResult | undefined> {
  setup.sent += 1;
  const id = `msg-${setup.sent}`;
  const location = { bucket: 'inbound', key: `inbound/${id}` };
  setup.ports.rawMail.put(location, Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: hi\r\nMessage-ID: <${id}@shop.example>\r\n\r\nbody\r\n`, 'utf8'));
  const mail = { sesMessageId: id, receivedAt, envelopeSender: from, recipients: [to], verdicts: PASS, location };
  const [result] = await relayInboundMail(mail, setup.ports, { relayDomain: RELAY, transmissionRetentionDays: 90, clock: () => setup.now, rateLimits: LIMITS });
  return result;
}

const dsnStatuses = (setup: Setup) =>
  setup.ports.mailer.sent.filter((message) => message.from === `MAILER-DAEMON@${RELAY}`).map((message) => /^Status: (\S+)$/m.exec(Buffer.from(message.raw).toString('latin1'))?.[1]);

describe('the relay under rate limits', () => {
  it("holds mail over the customer alias's limit until the minute ends, relaying what was within it", async () => {
    const setup = await setUp();
    const results = [await send(setup, SENDER, setup.alias), await send(setup, SENDER, setup.alias), await send(setup, SENDER, setup.alias)];
    expect(results.map((result) => result?.status)).toEqual(['relayed', 'relayed', 'held']);
    expect(results[2]).toMatchObject({ reason: 'rate_limited', storeId: 'demo-shop', retryAfterSeconds: 30 });
    // Held is not finished: no record, and the claim was given back for the next attempt.
    expect(setup.ports.transmissions.items.get('msg-3/0')?.state).toBe('released');
    setup.now = new Date(NOW.getTime() + 30_000);
    expect(await send(setup, SENDER, setup.alias, NOW)).toMatchObject({ status: 'relayed' });
  });

  it('refuses mail as rate_limited once the hold window has passed, with a 4.7.0 DSN to the authenticated sender', async () => {
    const setup = await setUp();
    await send(setup, SENDER, setup.alias);
    await send(setup, SENDER, setup.alias);
    const arrivedLongAgo = new Date(NOW.getTime() - 10 * 60_000);
    expect(await send(setup, SENDER, setup.alias, arrivedLongAgo)).toMatchObject({ status: 'refused', reason: 'rate_limited', bounced: true });
    expect(dsnStatuses(setup)).toEqual(['4.7.0']);
  });

  it("counts the store's mail to all its customers, and the customer's replies on their own", async () => {
    const setup = await setUp();
    const second = await seedStoreAndCustomerAlias(setup.ports, { storeId: 'demo-shop', displayName: 'デモ商店', contact: 'owner@shop.example', senders: [SENDER], relayDomain: RELAY, now: NOW, orderId: '2', customer: 'hanako@example.net' });
    const statuses = [];
    for (const to of [setup.alias, setup.alias, second, second]) statuses.push((await send(setup, SENDER, to))?.status);
    expect(statuses).toEqual(['relayed', 'relayed', 'relayed', 'held']);
    expect([(await send(setup, CUSTOMER, setup.reverse))?.status, (await send(setup, CUSTOMER, setup.reverse))?.status]).toEqual(['relayed', 'held']);
  });

  it("holds a paused store's mail to customers, refuses it as store_paused after the hold window, and lets its customers write to it", async () => {
    const setup = await setUp();
    const store = setup.ports.stores.stores.get('demo-shop')!;
    setup.ports.stores.stores.set('demo-shop', { ...store, pausedAt: NOW.toISOString(), pauseReason: 'complaint_rate' });
    expect(await send(setup, SENDER, setup.alias)).toMatchObject({ status: 'held', reason: 'store_paused', retryAfterSeconds: 300 });
    expect(await send(setup, SENDER, setup.alias, new Date(NOW.getTime() - 9 * 60_000))).toMatchObject({ status: 'refused', reason: 'store_paused', bounced: true });
    expect(dsnStatuses(setup)).toEqual(['4.7.1']);
    expect(await send(setup, CUSTOMER, setup.reverse)).toMatchObject({ status: 'relayed' });
  });

  it('counts nothing for mail it refuses before authorisation', async () => {
    const setup = await setUp();
    for (let i = 0; i < 3; i += 1) expect(await send(setup, 'stranger@elsewhere.example', setup.alias)).toMatchObject({ status: 'refused', reason: 'unregistered_sender' });
    expect(setup.ports.rateLimiter.counts.size).toBe(0);
  });
});
