import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { RelayHarness } from './support/relay-harness';
import { UNREACHABLE_RATE_LIMITS } from '../../lambdas/relay/rate-limits';
import type { SentMail } from './support/relay-harness';
import { injectThrottling as injectSdkThrottling } from '../../devkit/sdk-faults';
import type { Fault, FaultSpec, MiddlewareHost } from '../../devkit/sdk-faults';
import { captureProcessOutput } from '../support/capture-output';

/**
 * Faults injected at the SDK boundary: a middleware on the local stack's real clients fails chosen
 * calls before they leave the SDK, and everything else reaches the real local servers.
 */

const STORE_CONTACT = 'owner@shop.example';
const STORE_SENDER = 'news@shop.example';
const CUSTOMER = 'hanako@example.com';
/** Short, so the crash case can wait for a lease to run out. */
const LEASE_SECONDS = 2;

let relay: RelayHarness;
let customerAlias: IssueAliasResult;
const logLines: string[] = [];
const faults: Fault[] = [];

/** Throttling that afterEach removes again, so no fault outlives its test. */
function injectThrottling(client: MiddlewareHost, spec: Omit<FaultSpec, 'error'>): Fault {
  const fault = injectSdkThrottling(client, spec);
  faults.push(fault);
  return fault;
}

/** How far the relay's clock runs ahead of the wall clock: a test moves it past a lease. */
let clockAheadMs = 0;

beforeAll(async () => {
  captureProcessOutput(logLines);
  // Many messages to one alias within a minute: limits are another test's subject.
  relay = await RelayHarness.start({ leaseSeconds: LEASE_SECONDS, rateLimits: UNREACHABLE_RATE_LIMITS, clock: () => new Date(Date.now() + clockAheadMs) });
  await relay.cli(['store', 'create', '--store-id', 'fault-shop', '--name', '障害商店', '--contact', STORE_CONTACT, '--sender', STORE_SENDER]);
  customerAlias = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'fault-shop', '--order-id', '2001', '--customer', CUSTOMER]);
});

afterEach(() => {
  for (const fault of faults.splice(0)) fault.remove();
});

afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.stop();
});

function storeWrites(subject: string): Promise<SentMail> {
  return relay.send({ envelope: { from: STORE_SENDER, to: [customerAlias.address] }, from: STORE_SENDER, to: customerAlias.address, subject, text: '発送しました。\r\n' });
}

function failedIds(sent: SentMail): string[] {
  return sent.response.batchItemFailures.map((failure) => failure.itemIdentifier);
}

function recordIds(event: SQSEvent): string[] {
  return event.Records.map((record) => record.messageId);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

const notificationPath = (sesMessageId: string) => join(relay.dir, 'notifications', `${sesMessageId}.json`);

describe.each([
  ['SES throttles SendEmail', () => injectThrottling(relay.stack.clients.sesv2, { command: 'SendEmailCommand', times: 1 })],
  ['KMS throttles Decrypt', () => injectThrottling(relay.stack.clients.kms, { command: 'DecryptCommand', times: 1 })],
])('when %s', (_label, inject) => {
  it('reports the record as a batch item failure, records nothing as relayed and releases the claim', async () => {
    const before = await relay.outboxCount();
    const fault = inject();

    const sent = await storeWrites('throttled');

    expect(fault.injected).toBe(1);
    expect(failedIds(sent)).toEqual(recordIds(sent.event));
    expect(await relay.outboxCount()).toBe(before);
    const record = await relay.transmission(sent.sesMessageId);
    expect(record.state).toBe('released');
    expect(record.outboundMessageId).toBeUndefined();
    expect(await exists(notificationPath(sent.sesMessageId))).toBe(true);
    expect(await relay.deadLetter(sent.sesMessageId)).toBeUndefined();
  });

  it('delivers exactly once when the same notification comes again without the fault', async () => {
    const before = await relay.outboxCount();
    const fault = inject();
    const sent = await storeWrites('throttled, then redelivered');
    fault.remove();

    const retried = await relay.stack.relay(sent.event);
    const duplicate = await relay.stack.relay(sent.event);

    expect(retried.batchItemFailures).toEqual([]);
    expect(duplicate.batchItemFailures).toEqual([]);
    expect(await relay.outboxCount()).toBe(before + 1);
    const record = await relay.transmission(sent.sesMessageId);
    expect(record).toMatchObject({ state: 'done', outcome: 'relayed' });
    expect((await relay.outbound(record.outboundMessageId!)).envelope.destinations).toEqual([CUSTOMER]);
  });
});

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('when DynamoDB throttles the claim', () => {
    it('fails the record before anything is claimed or sent, keeps the notification, and delivers it on redelivery', async () => {
      const before = await relay.outboxCount();
      const fault = injectThrottling(relay.stack.clients.dynamodb, { command: 'PutItemCommand', table: relay.stack.settings.transmissionsTable, times: 1 });

      const sent = await storeWrites('claim throttled');
      fault.remove();

      expect(fault.injected).toBe(1);
      expect(failedIds(sent)).toEqual(recordIds(sent.event));
      await expect(relay.transmission(sent.sesMessageId)).rejects.toThrow(/no transmission record/);
      expect(await exists(notificationPath(sent.sesMessageId))).toBe(true);

      const retried = await relay.stack.relay(sent.event);

      expect(retried.batchItemFailures).toEqual([]);
      expect(await relay.outboxCount()).toBe(before + 1);
      expect(await relay.transmission(sent.sesMessageId)).toMatchObject({ state: 'done', outcome: 'relayed' });
    });
  });

  describe('permanent failures', () => {
    it('dead-letters a notification whose raw mail is gone, with its reason, and sends nothing', async () => {
      const before = await relay.outboxCount();
      // The first attempt is throttled; the raw mail then expires before the retry.
      const fault = injectThrottling(relay.stack.clients.sesv2, { command: 'SendEmailCommand', times: 1 });
      const sent = await storeWrites('raw mail expires');
      fault.remove();
      await relay.stack.clients.s3.send(new DeleteObjectCommand({ Bucket: relay.stack.endpoints.inboundBucket, Key: `inbound/${sent.sesMessageId}` }));

      const retried = await relay.stack.relay(sent.event);

      expect(retried.batchItemFailures).toEqual([]);
      expect(await relay.outboxCount()).toBe(before);
      expect(await relay.deadLetter(sent.sesMessageId)).toEqual({
        body: sent.event.Records[0]?.body,
        attributes: { reason: 'raw_mail_missing', errorName: 'NoSuchKey', sesMessageId: sent.sesMessageId },
      });
      expect((await relay.transmission(sent.sesMessageId)).state).toBe('released');
    });

    it('dead-letters a queue message that is not an SES receipt notification', async () => {
      const sent = await storeWrites('template for an invalid body');
      const [template] = sent.event.Records;
      const body = JSON.stringify({ notificationType: 'Bounce', bounce: { bouncedRecipients: [{ emailAddress: CUSTOMER }] } });
      const event: SQSEvent = { Records: [{ ...template!, messageId: 'not-a-notification-1', body }] };

      const response = await relay.stack.relay(event);

      expect(response.batchItemFailures).toEqual([]);
      expect(await relay.deadLetter('not-a-notification-1')).toEqual({ body, attributes: { reason: 'invalid_notification', errorName: 'InvalidNotificationError' } });
    });

    it('logs each dead letter with its reason and error name, never an address', () => {
      const deadLettered = logLines.filter((line) => line.includes('"relay_dead_lettered"'));

      expect(deadLettered.length).toBeGreaterThanOrEqual(2);
      expect(deadLettered.join('\n')).toContain('"reason":"raw_mail_missing"');
      expect(deadLettered.join('\n')).toContain('"reason":"invalid_notification"');
      for (const address of [CUSTOMER, STORE_CONTACT, STORE_SENDER]) expect(logLines.join('\n')).not.toContain(address);
    });
  });

  /**
   * The window README.md ("Exactly once") names: SES accepted the message but the transmission
   * record was not marked done. These cases pin down what the relay does then.
   */
  describe('a failure between the send and the completion record', () => {
    const completion = () => ({ command: 'PutItemCommand', table: relay.stack.settings.transmissionsTable, skip: 1, times: 1 });

    it('keeps the claim when only the completion write failed, so an immediate redelivery sends no second copy', async () => {
      const before = await relay.outboxCount();
      const fault = injectThrottling(relay.stack.clients.dynamodb, completion());

      const sent = await storeWrites('completion lost');
      fault.remove();

      expect(fault.injected).toBe(1);
      expect(failedIds(sent)).toEqual(recordIds(sent.event));
      expect(await relay.outboxCount()).toBe(before + 1);
      expect((await relay.transmission(sent.sesMessageId)).state).toBe('processing');

      const retried = await relay.stack.relay(sent.event);

      expect(failedIds({ ...sent, response: retried })).toEqual(recordIds(sent.event));
      expect(await relay.outboxCount()).toBe(before + 1);
    });

    it('holds the delivery until the lease runs out when the invocation died after the send, then sends a second copy', async () => {
      const before = await relay.outboxCount();
      // As if the invocation died after the send: neither the completion nor the release is written.
      const transmissions = relay.stack.settings.transmissionsTable;
      injectThrottling(relay.stack.clients.dynamodb, completion());
      // The release of the delivery's claim; not the rate-limit counters, which are updated before the send.
      const claimOnly = (input: Readonly<Record<string, unknown>>) => !JSON.stringify(input.Key).includes('"rate#');
      injectThrottling(relay.stack.clients.dynamodb, { command: 'UpdateItemCommand', table: transmissions, when: claimOnly, times: 1 });

      const sent = await storeWrites('invocation died after the send');
      for (const fault of faults.splice(0)) fault.remove();

      expect(failedIds(sent)).toEqual(recordIds(sent.event));
      expect(await relay.outboxCount()).toBe(before + 1);
      expect((await relay.transmission(sent.sesMessageId)).state).toBe('processing');

      const whileLeased = await relay.stack.relay(sent.event);

      expect(failedIds({ ...sent, response: whileLeased })).toEqual(recordIds(sent.event));
      expect(await relay.outboxCount()).toBe(before + 1);

      // The relay's clock moves past the lease, rather than the test waiting for it.
      clockAheadMs += (LEASE_SECONDS + 0.5) * 1000;
      const afterLease = await relay.stack.relay(sent.event);

      expect(afterLease.batchItemFailures).toEqual([]);
      expect(await relay.outboxCount()).toBe(before + 2);
      expect((await relay.transmission(sent.sesMessageId)).state).toBe('done');
    });
  });
});
