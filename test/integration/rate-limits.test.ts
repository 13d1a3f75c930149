import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import type { StoreView } from '../../lambdas/aliases/stores';
import type { SignalsReport } from '../../lambdas/fraud/signals';
import { japanDay } from '../../lambdas/records/days';
import { captureProcessOutput } from '../support/capture-output';
import { RelayHarness } from './support/relay-harness';

/**
 * Rate limits and pauses on the local stack, through SMTP: mail over a limit is held back (a
 * delayed copy of its notification) and relayed once its window has passed, or refused past the
 * hold window; every message ends one way or the other. The relay's clock is moved, instead of
 * waiting for minutes to pass.
 */

const SENDER = 'news@burst-shop.example';
const MINUTE = 60_000;
const logLines: string[] = [];
let relay: RelayHarness;
// The start of a minute, so a burst falls into one window.
let now = new Date(Math.floor(Date.now() / MINUTE) * MINUTE + 1_000);

beforeAll(async () => {
  captureProcessOutput(logLines);
  relay = await RelayHarness.start({ clock: () => now });
  await relay.cli(['store', 'create', '--store-id', 'burst-shop', '--contact', 'owner@burst-shop.example', '--sender', SENDER]);
  await relay.cli(['store', 'create', '--store-id', 'quiet-shop', '--contact', 'owner@quiet-shop.example', '--sender', 'news@quiet-shop.example']);
}, 120_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.stop();
});

async function issue(storeId: string, orderId: string, customer: string): Promise<string> {
  return (await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', storeId, '--order-id', orderId, '--customer', customer])).address;
}

/** Sends every mail at once over one SMTP connection pool; answers the SES message IDs the ingress gave them. */
async function burst(mails: readonly { readonly from: string; readonly to: string }[]): Promise<string[]> {
  const before = (await relay.stack.ingress.whenIdle()).length;
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: relay.stack.ingress.port, secure: false, ignoreTLS: true, pool: true, maxConnections: 10 });
  try {
    await Promise.all(mails.map((mail, index) => transport.sendMail({ from: mail.from, to: mail.to, subject: `お知らせ ${index}`, text: 'セールのお知らせです。' })));
  } finally {
    transport.close();
  }
  return (await relay.stack.ingress.whenIdle()).slice(before).map((processed) => processed.messageId);
}

async function outcomes(ids: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const id of ids) {
    const record = await relay.transmission(id).catch(() => undefined);
    const key = record?.outcome === undefined ? `unfinished:${record?.state ?? 'none'}` : `${record.outcome}${record.reason ? `:${record.reason}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('a store limited to 10 a minute and 25 a day sending 30 messages at once', () => {
    let ids: string[];

    beforeAll(async () => {
      const limited = await relay.cli<StoreView>(['store', 'limits', '--store-id', 'burst-shop', '--per-minute', '10', '--per-day', '25']);
      expect(limited.limits).toEqual({ perMinute: 10, perDay: 25 });
      // Six customers, five messages each: within each alias's own limit, so the store's decides.
      const aliases = [];
      for (let i = 1; i <= 6; i += 1) aliases.push(await issue('burst-shop', `B-${i}`, `customer${i}@example.com`));
      ids = await burst(aliases.flatMap((to) => Array.from({ length: 5 }, () => ({ from: SENDER, to }))));
      expect(ids).toHaveLength(30);
    }, 120_000);

    it('relays 10 at once and holds the other 20 back, none lost', async () => {
      expect(await outcomes(ids)).toEqual({ relayed: 10, 'unfinished:released': 20 });
      expect(relay.stack.heldMail.waiting).toBe(20);
    });

    it('relays 10 more when the next minute comes', async () => {
      now = new Date(now.getTime() + MINUTE);
      expect(await relay.stack.heldMail.release()).toBe(20);
      expect(await outcomes(ids)).toEqual({ relayed: 20, 'unfinished:released': 10 });
    });

    it("relays 5 the minute after, then refuses the rest as rate_limited: the day's limit would outlast the hold", async () => {
      now = new Date(now.getTime() + MINUTE);
      await relay.stack.heldMail.release();
      expect(await outcomes(ids)).toEqual({ relayed: 25, 'refused:rate_limited': 5 });
      expect(relay.stack.heldMail.waiting).toBe(0);
    });

    it('is named by the abuse signals for every time its mail found the limit full', async () => {
      const report = await relay.cli<SignalsReport>(['fraud', 'signals', '--day', japanDay(now)]);
      // 20 held at first, 10 again a minute later, 5 refused once the day's limit was reached.
      expect(report.stores).toEqual([expect.objectContaining({ storeId: 'burst-shop', volume: 25, overLimit: 35, flags: ['rate_limited'] })]);
      expect(report.stores[0]).not.toHaveProperty('pause');
    });

    it("leaves another store's mail alone", async () => {
      const quiet = await issue('quiet-shop', 'Q-1', 'customer1@example.com');
      const [id] = await burst([{ from: 'news@quiet-shop.example', to: quiet }]);
      expect(await outcomes([id!])).toEqual({ relayed: 1 });
    });
  });

  describe('a paused store', () => {
    it('has its mail held while paused, and relayed once an operator lifts the pause', async () => {
      const alias = await issue('quiet-shop', 'Q-2', 'customer2@example.com');
      const paused = await relay.cli<StoreView>(['store', 'pause', '--store-id', 'quiet-shop', '--reason', 'spoofing_volume']);
      expect(paused.paused).toEqual({ since: expect.any(String), reason: 'spoofing_volume' });
      const [id] = await burst([{ from: 'news@quiet-shop.example', to: alias }]);
      expect(await outcomes([id!])).toEqual({ 'unfinished:released': 1 });

      const lifted = await relay.cli<StoreView>(['store', 'unpause', '--store-id', 'quiet-shop']);
      expect(lifted.paused).toBeUndefined();
      await relay.stack.heldMail.release();
      expect(await outcomes([id!])).toEqual({ relayed: 1 });
    });

    it('keeps its pause and limits when its registration is replaced', async () => {
      await relay.cli(['store', 'pause', '--store-id', 'burst-shop']);
      await relay.cli(['store', 'update', '--store-id', 'burst-shop', '--contact', 'owner@burst-shop.example', '--sender', SENDER]);
      const store = await relay.cli<StoreView>(['store', 'limits', '--store-id', 'burst-shop', '--default']);
      expect(store).toMatchObject({ paused: { reason: 'operator' } });
      expect(store.limits).toBeUndefined();
    });
  });

  describe('the logs of held and refused mail', () => {
    it('name aliases, stores and reasons, never an address', () => {
      const text = logLines.join('');
      expect(text).toContain('"reason":"rate_limited"');
      expect(text).not.toMatch(/customer\d@example\.com|@burst-shop\.example|@quiet-shop\.example/);
    });
  });
});
