import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import type { StoreView } from '../../lambdas/aliases/stores';
import { DynamoFeedbackLog } from '../../lambdas/feedback/aws/dynamo-feedback-log';
import { Logger } from '@aws-lambda-powertools/logger';
import { createFraudSignals } from '../../lambdas/fraud/app';
import type { SignalsRun } from '../../lambdas/fraud/fraud-run';
import { japanDay } from '../../lambdas/records/days';
import type { SignalsReport } from '../../lambdas/fraud/signals';
import { DEFAULT_CONFIG } from '../../lib/config';
import { captureProcessOutput } from '../support/capture-output';
import { RelayHarness } from './support/relay-harness';

/**
 * The abuse signals on the local stack, as an operator runs them: a store whose customers complain
 * is flagged by `anshin fraud signals`, paused by `anshin fraud run` (what the daily schedule does),
 * its mail then held, and relayed again once `anshin store unpause` lifts the pause.
 */

const SENDER = 'news@noisy-shop.example';
const CUSTOMERS = ['ichiro@example.com', 'jiro@example.com', 'saburo@example.com'];
const logLines: string[] = [];
let relay: RelayHarness;
let aliases: IssueAliasResult[];
const today = japanDay(new Date());

beforeAll(async () => {
  captureProcessOutput(logLines);
  relay = await RelayHarness.start();
  await relay.cli(['store', 'create', '--store-id', 'noisy-shop', '--contact', 'owner@noisy-shop.example', '--sender', SENDER]);
  await relay.cli(['store', 'create', '--store-id', 'calm-shop', '--contact', 'owner@calm-shop.example', '--sender', 'news@calm-shop.example']);
  aliases = [];
  for (const [index, customer] of CUSTOMERS.entries()) aliases.push(await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'noisy-shop', '--order-id', `N-${index}`, '--customer', customer]));
  // 21 messages relayed to three customers, one of whom complains: a 4.8% complaint rate.
  for (let n = 0; n < 21; n += 1) await relay.send({ from: SENDER, to: aliases[n % 3]!.address, subject: `セール ${n}`, text: 'お得です。' });
  const calm = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'calm-shop', '--order-id', 'C-1', '--customer', CUSTOMERS[0]!]);
  await relay.send({ from: 'news@calm-shop.example', to: calm.address, subject: 'ご案内', text: '。' });
  const now = new Date();
  await new DynamoFeedbackLog(relay.stack.clients.dynamodb, relay.stack.settings.transmissionsTable).recordFeedback({
    transmissionId: 'feedback/noisy-complaint/Complaint',
    sesMessageId: 'noisy-complaint',
    kind: 'complaint',
    aliasId: aliases[0]!.alias,
    storeId: 'noisy-shop',
    direction: 'merchant_to_customer',
    receivedAt: now.toISOString(),
    completedAt: now.toISOString(),
    purgeAt: Math.floor(now.getTime() / 1000) + DEFAULT_CONFIG.retention.classes.transmission.retentionDays * 86_400,
  });
}, 180_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.stop();
});

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('anshin fraud', () => {
    it('signals: names the store past its complaint rate with the figures, and changes nothing', async () => {
      const report = await relay.cli<SignalsReport>(['fraud', 'signals', '--day', today]);
      expect(report).toMatchObject({ day: today, storesSeen: 2 });
      expect(report.stores).toEqual([
        expect.objectContaining({ storeId: 'noisy-shop', volume: 21, aliasesContacted: 3, complaints: 1, complaintRate: 0.0476, flags: ['complaint_rate'], pause: 'complaint_rate' }),
      ]);
      expect((await relay.cli<StoreView>(['store', 'limits', '--store-id', 'noisy-shop', '--default'])).paused).toBeUndefined();
    });

    it('run: pauses it, so its mail is held, until an operator lifts the pause', async () => {
      const run = await relay.cli<SignalsRun>(['fraud', 'run', '--day', today]);
      expect(run.paused).toEqual([{ storeId: 'noisy-shop', reason: 'complaint_rate' }]);
      expect((await relay.cli<SignalsRun>(['fraud', 'run', '--day', today])).paused).toEqual([]);

      const held = await relay.send({ from: SENDER, to: aliases[1]!.address, subject: 'もう一通', text: '。' });
      expect((await relay.transmission(held.sesMessageId)).state).toBe('released');
      const lifted = await relay.cli<StoreView>(['store', 'unpause', '--store-id', 'noisy-shop']);
      expect(lifted.paused).toBeUndefined();
      await relay.stack.heldMail.release();
      expect(await relay.transmission(held.sesMessageId)).toMatchObject({ outcome: 'relayed' });
    });

    it('pauses a store whose volume spikes over its 14-day median, as the scheduled function does, and unpause lifts it', async () => {
      await relay.cli(['store', 'create', '--store-id', 'spiky-shop', '--contact', 'owner@spiky-shop.example', '--sender', 'news@spiky-shop.example']);
      const spiky = [];
      for (const order of ['S-1', 'S-2']) spiky.push(await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'spiky-shop', '--order-id', order, '--customer', CUSTOMERS[1]!]));
      for (let n = 0; n < 12; n += 1) await relay.send({ from: 'news@spiky-shop.example', to: spiky[n % 2]!.address, subject: `速報 ${n}`, text: '。' });
      // The function's own code against the local tables, with a spike threshold a test can reach: 12
      // messages against a median of 0 (the store is new).
      const { endpoints, clients } = relay.stack;
      const signals = createFraudSignals({
        dynamodb: clients.dynamodb,
        settings: { tables: { stores: endpoints.tables.stores, transmissions: endpoints.tables.transmissions, access: endpoints.tables.access }, thresholds: { ...DEFAULT_CONFIG.fraud, spikeMinimum: 10 } },
        logger: new Logger({ serviceName: 'anshin-fraud', logLevel: 'SILENT' }),
      });
      const run = await signals.run(today);
      expect(run.stores.find((store) => store.storeId === 'spiky-shop')).toMatchObject({ volume: 12, medianVolume: 0, flags: ['volume_spike'], pause: 'volume_spike' });
      expect(run.paused).toContainEqual({ storeId: 'spiky-shop', reason: 'volume_spike' });
      expect((await relay.cli<StoreView>(['store', 'unpause', '--store-id', 'spiky-shop'])).paused).toBeUndefined();
    });

    it('logs and prints stores, aliases and figures, never an address', () => {
      const text = logLines.join('');
      for (const address of [...CUSTOMERS, SENDER, 'owner@noisy-shop.example']) expect(text).not.toContain(address);
    });
  });
});
