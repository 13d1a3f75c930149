import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { RelayHarness } from './support/relay-harness';

/**
 * What one relayed message costs in AWS calls, counted with middleware on the SDK clients the relay
 * runs with on the local stack, per direction, once the container is warm (the store's addresses and
 * the sender's keyed hash are kept between messages). SES receiving's own write to S3 is not the
 * relay's and is left out.
 */

const STORE_SENDER = 'news@calls-shop.example';

interface MiddlewareHost {
  readonly middlewareStack: { add(middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>, options: { step: 'initialize'; name: string }): void };
}

let relay: RelayHarness;
let counting = false;
const counts = new Map<string, number>();

beforeAll(async () => {
  relay = await RelayHarness.start();
  for (const [service, client] of Object.entries(relay.stack.clients)) {
    (client as unknown as MiddlewareHost).middlewareStack.add(
      (next, context) => async (args) => {
        const call = `${service}:${(context.commandName ?? '').replace(/Command$/, '')}`;
        if (counting && call !== 's3:PutObject') counts.set(call, (counts.get(call) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'testCountCalls' },
    );
  }
  await relay.cli(['store', 'create', '--store-id', 'calls-shop', '--contact', 'owner@calls-shop.example', '--sender', STORE_SENDER]);
}, 120_000);

afterAll(async () => {
  await relay?.stop();
});

async function callsOf(send: () => Promise<unknown>): Promise<Record<string, number>> {
  counts.clear();
  counting = true;
  try {
    await send();
  } finally {
    counting = false;
  }
  return Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

const issue = (order: string): Promise<IssueAliasResult> =>
  relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'calls-shop', '--order-id', order, '--customer', `${order.toLowerCase()}@example.com`]);

describe('AWS calls per relayed message, warm', () => {
  it('store to customer, the first message of a conversation included: one KMS call, no look-up or write of the reverse alias', async () => {
    const warmUp = await issue('C-1');
    await relay.send({ from: STORE_SENDER, to: warmUp.address, subject: 'x', text: 'x' });
    const alias = await issue('C-2');
    const calls = await callsOf(() => relay.send({ from: STORE_SENDER, to: alias.address, subject: 'ご注文', text: '発送しました。' }));
    expect(calls).toEqual({
      'dynamodb:GetItem': 1,
      'dynamodb:PutItem': 2,
      'dynamodb:Query': 1,
      'dynamodb:UpdateItem': 2,
      'kms:Decrypt': 1,
      's3:GetObject': 1,
      'sesv2:SendEmail': 1,
    });
  });

  it("customer to store: no KMS call once the store's contact address is known", async () => {
    const alias = await issue('C-3');
    const first = await relay.send({ from: STORE_SENDER, to: alias.address, subject: 'ご注文', text: '発送しました。' });
    const reverse = (await relay.outbound((await relay.transmission(first.sesMessageId)).outboundMessageId!)).envelope.from;
    await relay.send({ from: 'c-3@example.com', to: reverse, subject: 'Re: ご注文', text: 'warm' });
    const calls = await callsOf(() => relay.send({ from: 'c-3@example.com', to: reverse, subject: 'Re: ご注文', text: '届きました。' }));
    expect(calls).toEqual({
      'dynamodb:GetItem': 2,
      'dynamodb:PutItem': 2,
      'dynamodb:UpdateItem': 1,
      's3:GetObject': 1,
      'sesv2:SendEmail': 1,
    });
  });
});
