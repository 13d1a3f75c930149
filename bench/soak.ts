/**
 * Soak run: proves that under transient faults, retries and duplicate deliveries nothing is lost
 * and nothing is sent twice (outside the window README.md "Exactly once" documents).
 *
 *   npm run soak -- [--messages 5000] [--seed 1] [--consumers 4] [--json] [--keep]
 *
 * A local stack (free ports, temp dir) runs the relay's own handler. One store with a registered
 * sender and 50 customer aliases are set up through the CLI; one fault-free message per alias
 * creates the store's reverse aliases. Then each soak message is written to S3 with the header
 * fields SES adds, its receipt notification built as SES would, and queued on an in-memory queue
 * that behaves like SQS in front of Lambda: batches of up to 10, a few concurrent consumers,
 * a visibility timeout (scaled down to seconds) for failed records, receive counts and a
 * dead-letter queue after 5 receives, plus at-least-once delivery (some messages queued twice).
 * Faults fire with seeded probabilities at the SDK boundary of the stack's real clients.
 *
 * The accounting reads what came out (the outbox's envelopes and messages, the transmissions table,
 * both dead-letter queues) per delivery (SES message ID and recipient). Exit code 1 when anything
 * was lost or sent twice outside the crash window; 2 when the run hit its time limit.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { buildProgram } from '../cli/program';
import { documentClient } from '../lambdas/aws/dynamo-document';
import type { IssueAliasResult } from '../lambdas/aliases/issuance';
import { UNREACHABLE_RATE_LIMITS } from '../lambdas/relay/rate-limits';
import { createRelayHandler } from '../lambdas/relay/app';
import type { RelayDependencies, RelayHandler } from '../lambdas/relay/app';
import type { StoredDeadLetter } from '../local/dead-letter-store';
import { buildReceiptNotification, sesAddedHeaders } from '../local/ingress/ses-receipt';
import type { SmtpDelivery } from '../local/ingress/ses-receipt';
import type { ReceiptVerdicts } from '../local/ingress/simulated-verdicts';
import { OBJECT_KEY_PREFIX } from '../local/ingress/smtp-ingress';
import type { OutboxEnvelope } from '../local/outbox-mailer';
import { INBOUND_BUCKET, startLocalStack } from '../local/stack';
import type { LocalStack } from '../local/stack';
import { injectFault, injectThrottling, seededRandom } from '../devkit/sdk-faults';
import type { Fault } from '../devkit/sdk-faults';

const STORE_ID = 'soak-shop';
const STORE_CONTACT = 'owner@shop.example';
const STORE_SENDER = 'news@shop.example';
const STRANGER = 'promo@other.example';
const ALIAS_COUNT = 50;

/** Short, so a delivery whose invocation "crashed" is taken over within the run. */
const LEASE_SECONDS = 2;
/** Longer than the lease, so the redelivery of a crashed record can take the delivery over. */
const VISIBILITY_TIMEOUT_MS = 3_000;
const MAX_RECEIVE_COUNT = 5;
const BATCH_SIZE = 10;
const TIME_LIMIT_MS = 15 * 60_000;

/** Share of the soak messages of each kind; the rest are merchant-to-customer mail. */
const MIX = { unregisteredSender: 0.05, unknownAlias: 0.05, customerReply: 0.1 } as const;
const DUPLICATE_DELIVERY = 0.05;
const FAULT_RATES = { sesThrottle: 0.03, kmsThrottle: 0.02, claimThrottle: 0.02, crashAfterSend: 0.005 } as const;

const PASS: ReceiptVerdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' };
const TOKEN = 'soak-delivery: ';
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ALIAS_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

type Kind = 'merchant' | 'unregistered_sender' | 'unknown_alias' | 'customer_reply';

interface SoakMessage {
  readonly sesMessageId: string;
  readonly kind: Kind;
  readonly mailFrom: string;
  readonly to: string;
  /** Queued a second time, as at-least-once delivery would. */
  readonly duplicate: boolean;
}

interface Options {
  readonly messages: number;
  readonly seed: number;
  readonly consumers: number;
  readonly json: boolean;
  readonly keep: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '5000' },
      seed: { type: 'string', default: '1' },
      consumers: { type: 'string', default: '4' },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, value: string, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min}`);
    return n;
  };
  return { messages: int('messages', values.messages, 1), seed: int('seed', values.seed, 0), consumers: int('consumers', values.consumers, 1), json: values.json, keep: values.keep };
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

function pick(random: () => number, alphabet: string, length: number): string {
  return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
}

interface QueueMessage {
  readonly queueId: string;
  readonly body: string;
  readonly sesMessageId: string;
  receiveCount: number;
  visibleAt: number;
  receiptHandle: string;
  firstReceivedAt?: number;
}

/** What SQS does for the relay queue, in memory and with the clock scaled down. */
class SimulatedQueue {
  private readonly messages = new Map<string, QueueMessage>();
  /** Moved here after {@link MAX_RECEIVE_COUNT} receives, as the queue's redrive policy would. */
  readonly deadLetters: QueueMessage[] = [];
  private nextId = 0;
  receives = 0;
  maxReceiveCountSeen = 0;

  send(body: string, sesMessageId: string, delayMs = 0): void {
    const queueId = `q-${(this.nextId += 1)}`;
    this.messages.set(queueId, { queueId, body, sesMessageId, receiveCount: 0, visibleAt: Date.now() + delayMs, receiptHandle: '' });
  }

  get size(): number {
    return this.messages.size;
  }

  /** Up to `max` visible messages, hidden for the visibility timeout; each receive counts. */
  receive(max: number): QueueMessage[] {
    const now = Date.now();
    const batch: QueueMessage[] = [];
    for (const message of this.messages.values()) {
      if (batch.length >= max) break;
      if (message.visibleAt > now) continue;
      if (message.receiveCount >= MAX_RECEIVE_COUNT) {
        this.messages.delete(message.queueId);
        this.deadLetters.push(message);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + VISIBILITY_TIMEOUT_MS;
      message.receiptHandle = `${message.queueId}-${message.receiveCount}`;
      this.maxReceiveCountSeen = Math.max(this.maxReceiveCountSeen, message.receiveCount);
      batch.push(message);
    }
    this.receives += batch.length;
    return batch;
  }

  /** A stale receipt handle (the message was received again meanwhile) deletes nothing. */
  delete(queueId: string, receiptHandle: string): void {
    if (this.messages.get(queueId)?.receiptHandle === receiptHandle) this.messages.delete(queueId);
  }

  /** Milliseconds until some message becomes visible again. */
  nextVisibleIn(): number {
    let soonest = Number.POSITIVE_INFINITY;
    for (const message of this.messages.values()) soonest = Math.min(soonest, message.visibleAt);
    return Math.max(0, soonest - Date.now());
  }
}

function toRecord(message: QueueMessage, region: string): SQSRecord {
  return {
    messageId: message.queueId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.firstReceivedAt ?? Date.now()),
      SenderId: 'AIDAIT2UOQQY3AUEKVGXU',
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:000000000000:${INBOUND_BUCKET}`,
    awsRegion: region,
  };
}

class Cli {
  constructor(private readonly dir: string) {}

  async run<T>(args: readonly string[]): Promise<T> {
    const out: string[] = [];
    const program = buildProgram({ out: (s) => out.push(s), err: (s) => out.push(s) });
    await program.parseAsync(['--local-dir', this.dir, '--json', ...args], { from: 'user' });
    return JSON.parse(out.join('\n')) as T;
  }
}

/** Writes the raw mail where SES's S3 action would and returns the notification as a queue body. */
async function ingest(stack: LocalStack, message: SoakMessage, subject: string): Promise<string> {
  const relayDomain = stack.endpoints.relayDomain;
  const raw = Buffer.from(
    [
      `From: ${message.mailFrom}`,
      `To: ${message.to}`,
      `Subject: ${subject}`,
      `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: <${message.sesMessageId}@soak.${relayDomain}>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'ご注文ありがとうございます。',
      `${TOKEN}${message.sesMessageId}`,
      '',
    ].join('\r\n'),
  );
  const delivery: SmtpDelivery = {
    messageId: message.sesMessageId,
    receivedAt: new Date(),
    mailFrom: message.mailFrom,
    recipients: [message.to],
    heloName: `mail.${message.mailFrom.split('@')[1] ?? 'example'}`,
    clientHostname: 'mail.sender.example',
    remoteAddress: '203.0.113.5',
    region: stack.endpoints.region,
  };
  const storedMail = Buffer.concat([Buffer.from(sesAddedHeaders(delivery, PASS)), raw]);
  await stack.clients.s3.send(new PutObjectCommand({ Bucket: INBOUND_BUCKET, Key: `${OBJECT_KEY_PREFIX}${message.sesMessageId}`, Body: storedMail }));
  const notification = buildReceiptNotification({
    delivery,
    verdicts: PASS,
    storedMail,
    target: { topicArn: `arn:aws:sns:${stack.endpoints.region}:000000000000:${INBOUND_BUCKET}`, bucketName: INBOUND_BUCKET, objectKeyPrefix: OBJECT_KEY_PREFIX },
    actionAt: new Date(),
  });
  return JSON.stringify(notification);
}

interface Outbound {
  readonly outboundId: string;
  readonly envelope: OutboxEnvelope;
  readonly bounce: boolean;
  readonly sesMessageId?: string;
}

async function readOutbox(outboxDir: string): Promise<Outbound[]> {
  const names = (await readdir(outboxDir)).filter((name) => name.endsWith('.json'));
  const out: Outbound[] = [];
  for (let i = 0; i < names.length; i += 64) {
    const chunk = await Promise.all(
      names.slice(i, i + 64).map(async (name): Promise<Outbound> => {
        const outboundId = name.slice(0, -'.json'.length);
        const envelope = JSON.parse(await readFile(join(outboxDir, name), 'utf8')) as OutboxEnvelope;
        const eml = await readFile(join(outboxDir, `${outboundId}.eml`), 'latin1');
        const bounce = envelope.from.toUpperCase().startsWith('MAILER-DAEMON@');
        // A relayed copy carries the body token; a DSN names the delivery (`<id>.0`) and may quote the body.
        const id = new RegExp(`${TOKEN}([a-z0-9]{40})`).exec(eml)?.[1] ?? (bounce ? /\b([a-z0-9]{40})[./]0\b/.exec(eml)?.[1] : undefined);
        return { outboundId, envelope, bounce, ...(id === undefined ? {} : { sesMessageId: id }) };
      }),
    );
    out.push(...chunk);
  }
  return out;
}

async function readRelayDeadLetters(dir: string): Promise<StoredDeadLetter[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.filter((n) => n.endsWith('.json')).map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as StoredDeadLetter));
}

interface TransmissionItem {
  readonly transmissionId: string;
  readonly state: string;
  readonly outcome?: string;
  readonly reason?: string;
  readonly outboundMessageId?: string;
  readonly bounced?: boolean;
}

async function scanTransmissions(stack: LocalStack): Promise<Map<string, TransmissionItem>> {
  const db = documentClient(stack.clients.dynamodb);
  const items = new Map<string, TransmissionItem>();
  let start: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page: ScanCommandOutput = await db.send(new ScanCommand({ TableName: stack.settings.transmissionsTable, ExclusiveStartKey: start }));
    for (const item of (page.Items ?? []) as TransmissionItem[]) items.set(item.transmissionId, item);
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

function countBy<T>(values: readonly T[], key: (value: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[key(value)] = (counts[key(value)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

async function main(): Promise<number> {
  const options = parseOptions();
  const dir = await mkdtemp(join(tmpdir(), 'anshin-soak-'));
  let stack: LocalStack | undefined;
  let aborted = false;
  let limit: NodeJS.Timeout | undefined;
  const timeUp = new Promise<void>((resolve) => {
    limit = setTimeout(() => {
      aborted = true;
      resolve();
    }, TIME_LIMIT_MS);
  });
  try {
    let relayDeps: RelayDependencies | undefined;
    stack = await startLocalStack({
      dataDir: dir,
      log: () => undefined,
    // Counted as in production (an update per counter), never reached: the load is the subject here.
    rateLimits: UNREACHABLE_RATE_LIMITS,
      createRelay: (deps) => {
        relayDeps = { ...deps, settings: { ...deps.settings, leaseSeconds: LEASE_SECONDS }, logger: new Logger({ serviceName: 'anshin-relay', logLevel: 'SILENT' }) };
        return createRelayHandler(relayDeps);
      },
    });
    const live = stack;
    // One handler per consumer, as each concurrent Lambda invocation has its own execution
    // environment: a handler's batch processor keeps per-batch state and must not be shared.
    const environment = (): RelayHandler => createRelayHandler(relayDeps!);
    const region = live.endpoints.region;
    const relayDomain = live.endpoints.relayDomain;

    const cli = new Cli(dir);
    await cli.run(['store', 'create', '--store-id', STORE_ID, '--name', 'ソーク商店', '--contact', STORE_CONTACT, '--sender', STORE_SENDER]);
    const customers: { address: string; alias: string; reverse?: string }[] = [];
    for (let i = 0; i < ALIAS_COUNT; i += 1) {
      const address = `customer${i}@example.com`;
      const issued = await cli.run<IssueAliasResult>(['alias', 'issue', '--store-id', STORE_ID, '--order-id', `soak-${i}`, '--customer', address]);
      customers.push({ address, alias: issued.address });
    }

    // The store's first message to each customer creates the reverse alias customers reply to.
    const warmUp = await live.relay({
      Records: await Promise.all(
        customers.map(async (customer, i) => {
          const message: SoakMessage = { sesMessageId: `warmup${String(i).padStart(34, '0')}`, kind: 'merchant', mailFrom: STORE_SENDER, to: customer.alias, duplicate: false };
          const queued: QueueMessage = { queueId: `warmup-${i}`, body: await ingest(live, message, 'ご注文確認'), sesMessageId: message.sesMessageId, receiveCount: 1, visibleAt: 0, receiptHandle: `warmup-${i}` };
          return toRecord(queued, region);
        }),
      ),
    });
    if (warmUp.batchItemFailures.length > 0) throw new Error('the warm-up messages were not relayed');
    const reverseOf = new Map<string, string>();
    for (const outbound of await readOutbox(live.endpoints.outboxDir)) {
      const destination = outbound.envelope.destinations[0];
      if (destination !== undefined) reverseOf.set(destination, outbound.envelope.from);
    }
    for (const customer of customers) {
      const reverse = reverseOf.get(customer.address);
      if (!reverse) throw new Error('a warm-up message did not reach its customer');
      customer.reverse = reverse;
    }

    // The soak messages, all decided by the seed before anything runs.
    const random = seededRandom(options.seed);
    const messages: SoakMessage[] = Array.from({ length: options.messages }, () => {
      const sesMessageId = pick(random, ID_ALPHABET, 40);
      const roll = random();
      const customer = customers[Math.floor(random() * customers.length)]!;
      const duplicate = random() < DUPLICATE_DELIVERY;
      if (roll < MIX.unregisteredSender) return { sesMessageId, kind: 'unregistered_sender', mailFrom: STRANGER, to: customer.alias, duplicate };
      if (roll < MIX.unregisteredSender + MIX.unknownAlias) {
        return { sesMessageId, kind: 'unknown_alias', mailFrom: STORE_SENDER, to: `c-${pick(random, ALIAS_ALPHABET, 12)}@${relayDomain}`, duplicate };
      }
      if (roll < MIX.unregisteredSender + MIX.unknownAlias + MIX.customerReply) return { sesMessageId, kind: 'customer_reply', mailFrom: customer.address, to: customer.reverse!, duplicate };
      return { sesMessageId, kind: 'merchant', mailFrom: STORE_SENDER, to: customer.alias, duplicate };
    });
    const duplicateDelays = messages.map(() => Math.floor(random() * VISIBILITY_TIMEOUT_MS));

    // Faults from a separate stream, so the message mix does not depend on the order of SDK calls.
    const faultRandom = seededRandom(options.seed ^ 0x5eed5eed);
    const transmissionsTable = live.settings.transmissionsTable;
    const isClaim = (input: Readonly<Record<string, unknown>>) => input.ConditionExpression !== undefined;
    /** Deliveries whose completion write was failed after the send: the documented crash window. */
    const crashed = new Set<string>();
    const faults: Record<keyof typeof FAULT_RATES, Fault> = {
      sesThrottle: injectThrottling(live.clients.sesv2, { command: 'SendEmailCommand', probability: FAULT_RATES.sesThrottle, random: faultRandom }),
      kmsThrottle: injectThrottling(live.clients.kms, { command: ['GenerateMacCommand', 'DecryptCommand'], probability: FAULT_RATES.kmsThrottle, random: faultRandom }),
      // Claims only: a completion write that fails is the crash window, injected on its own below.
      claimThrottle: injectThrottling(live.clients.dynamodb, {
        command: 'PutItemCommand',
        table: transmissionsTable,
        when: isClaim,
        probability: FAULT_RATES.claimThrottle,
        random: faultRandom,
      }),
      // As if the invocation died between the send and the completion record.
      crashAfterSend: injectFault(live.clients.dynamodb, {
        command: 'PutItemCommand',
        table: transmissionsTable,
        when: (input) => !isClaim(input),
        probability: FAULT_RATES.crashAfterSend,
        random: faultRandom,
        error: () => Object.assign(new Error('the invocation died after the send'), { name: 'SimulatedCrash' }),
        onInject: (input) => {
          // The document client's input may reach this middleware marshalled or not.
          const value = (input.Item as { transmissionId?: unknown } | undefined)?.transmissionId;
          const id = typeof value === 'string' ? value : (value as { S?: unknown } | undefined)?.S;
          if (typeof id === 'string') crashed.add(id);
        },
      }),
    };

    const queue = new SimulatedQueue();
    const started = Date.now();
    let produced = false;
    let invocations = 0;
    let failedRecords = 0;
    let invocationErrors = 0;

    const produce = async (): Promise<void> => {
      let next = 0;
      const lane = async () => {
        while (!aborted && next < messages.length) {
          const index = next;
          next += 1;
          const message = messages[index]!;
          const body = await ingest(live, message, `soak ${index}`);
          queue.send(body, message.sesMessageId);
          if (message.duplicate) queue.send(body, message.sesMessageId, duplicateDelays[index]);
        }
      };
      await Promise.all(Array.from({ length: 4 }, lane));
      produced = true;
    };

    const consume = async (): Promise<void> => {
      const relay = environment();
      while (!aborted && !(produced && queue.size === 0)) {
        const batch = queue.receive(BATCH_SIZE);
        if (batch.length === 0) {
          await sleep(Math.max(5, Math.min(50, queue.nextVisibleIn())));
          continue;
        }
        invocations += 1;
        let failed: ReadonlySet<string>;
        try {
          const response = await relay({ Records: batch.map((message) => toRecord(message, region)) });
          failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
        } catch {
          invocationErrors += 1;
          failed = new Set(batch.map((message) => message.queueId));
        }
        for (const message of batch) {
          if (failed.has(message.queueId)) failedRecords += 1;
          else queue.delete(message.queueId, message.receiptHandle);
        }
      }
    };

    // A relay call that never returns must not hold the run past its limit either.
    await Promise.race([Promise.all([produce(), ...Array.from({ length: options.consumers }, consume)]), timeUp]);
    const seconds = (Date.now() - started) / 1000;
    for (const fault of Object.values(faults)) fault.remove();
    if (aborted) {
      console.error(`soak: aborted after ${TIME_LIMIT_MS / 60_000} minutes with ${queue.size} messages still queued; no accounting was done`);
      return 2;
    }

    // Accounting, per delivery (SES message ID, recipient 0: every soak message has one recipient).
    const records = await scanTransmissions(live);
    const outbox = await readOutbox(live.endpoints.outboxDir);
    const relayDeadLetters = await readRelayDeadLetters(join(dir, 'dead-letters'));
    const copies = new Map<string, Outbound[]>();
    const bounces = new Map<string, Outbound[]>();
    for (const outbound of outbox) {
      if (!outbound.sesMessageId) continue;
      const into = outbound.bounce ? bounces : copies;
      into.set(outbound.sesMessageId, [...(into.get(outbound.sesMessageId) ?? []), outbound]);
    }
    const deadLettered = new Map<string, string>();
    for (const letter of relayDeadLetters) if (letter.attributes.sesMessageId) deadLettered.set(letter.attributes.sesMessageId, letter.attributes.reason);
    for (const message of queue.deadLetters) if (!deadLettered.has(message.sesMessageId)) deadLettered.set(message.sesMessageId, `max_receive_count (${MAX_RECEIVE_COUNT} receives)`);

    const expected: Record<Kind, string> = { merchant: 'relayed', customer_reply: 'relayed', unregistered_sender: 'refused', unknown_alias: 'refused' };
    let sent = 0;
    let refused = 0;
    let lost = 0;
    let inWindow = 0;
    let otherDuplicates = 0;
    let unexpectedOutcome = 0;
    let bounced = 0;
    const lostIds: string[] = [];
    const duplicateIds: string[] = [];
    for (const message of messages) {
      const id = `${message.sesMessageId}/0`;
      const record = records.get(id);
      const done = record?.state === 'done';
      const relayedCopies = copies.get(message.sesMessageId) ?? [];
      const dsns = bounces.get(message.sesMessageId) ?? [];
      if (relayedCopies.length > 0) sent += 1;
      if (dsns.length > 0) bounced += 1;
      if (done && record.outcome === 'refused') refused += 1;
      if (done && record.outcome !== expected[message.kind]) unexpectedOutcome += 1;
      // A record that says relayed but whose message is not in the outbox is as lost as no record.
      const recordedCopyMissing = done && record.outcome === 'relayed' && !relayedCopies.some((c) => c.outboundId === record.outboundMessageId);
      if ((!done || recordedCopyMissing) && !deadLettered.has(message.sesMessageId)) {
        lost += 1;
        lostIds.push(message.sesMessageId);
      }
      if (relayedCopies.length > 1 || dsns.length > 1) {
        if (crashed.has(id)) inWindow += 1;
        else {
          otherDuplicates += 1;
          duplicateIds.push(message.sesMessageId);
        }
      }
    }

    const ok = lost === 0 && otherDuplicates === 0;
    const rate = options.messages / seconds;
    const summary = {
      ok,
      seed: options.seed,
      messages: options.messages,
      mix: countBy(messages, (m) => m.kind),
      queuedTwice: messages.filter((m) => m.duplicate).length,
      sent,
      refused,
      bounced,
      deadLettered: deadLettered.size,
      deadLetterReasons: countBy([...deadLettered.values()], (reason) => reason),
      lost,
      duplicated: otherDuplicates,
      duplicatedInCrashWindow: inWindow,
      unexpectedOutcome,
      refusalReasons: countBy(
        messages.map((m) => records.get(`${m.sesMessageId}/0`)).filter((r): r is TransmissionItem => r?.outcome === 'refused'),
        (r) => r.reason ?? 'unknown',
      ),
      faultsInjected: Object.fromEntries(Object.entries(faults).map(([name, fault]) => [name, fault.injected])),
      queue: { receives: queue.receives, failedRecords, invocations, invocationErrors, maxReceiveCount: queue.maxReceiveCountSeen },
      settings: { consumers: options.consumers, batchSize: BATCH_SIZE, leaseSeconds: LEASE_SECONDS, visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS, maxReceiveCount: MAX_RECEIVE_COUNT },
      seconds: Math.round(seconds * 10) / 10,
      messagesPerSecond: Math.round(rate * 10) / 10,
      ...(lostIds.length > 0 ? { lostIds: lostIds.slice(0, 20) } : {}),
      ...(duplicateIds.length > 0 ? { duplicatedIds: duplicateIds.slice(0, 20) } : {}),
    };
    const line = `soak: ${options.messages} messages, ${sent} sent, ${refused} refused, ${deadLettered.size} dead-lettered, ${lost} lost, ${otherDuplicates} duplicated (${inWindow} in the crash window) in ${Math.round(seconds)} s (${Math.round(rate)} msg/s)`;
    if (options.json) console.log(JSON.stringify({ ...summary, line }));
    else {
      const rows: [string, string | number][] = [
        ['seed', options.seed],
        ['messages', `${options.messages} (${Object.entries(summary.mix).map(([k, v]) => `${k} ${v}`).join(', ')}; ${summary.queuedTwice} queued twice)`],
        ['sent', sent],
        ['refused', `${refused} (${Object.entries(summary.refusalReasons).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`],
        ['bounced (DSN to sender)', bounced],
        ['dead-lettered', `${deadLettered.size}${deadLettered.size > 0 ? ` (${Object.entries(summary.deadLetterReasons).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`],
        ['lost', lost],
        ['duplicated (other)', otherDuplicates],
        ['duplicated (crash window)', inWindow],
        ['unexpected outcome', unexpectedOutcome],
        ['faults injected', Object.entries(summary.faultsInjected).map(([k, v]) => `${k} ${v}`).join(', ')],
        ['queue', `${queue.receives} receives, ${failedRecords} failed records, ${invocations} batches, max receive count ${queue.maxReceiveCountSeen}`],
        ['settings', `${options.consumers} consumers, batch ${BATCH_SIZE}, lease ${LEASE_SECONDS} s, visibility ${VISIBILITY_TIMEOUT_MS} ms, maxReceiveCount ${MAX_RECEIVE_COUNT}`],
      ];
      const width = Math.max(...rows.map(([label]) => label.length));
      for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
      if (lostIds.length > 0) console.log(`lost: ${lostIds.slice(0, 20).join(' ')}`);
      if (duplicateIds.length > 0) console.log(`duplicated: ${duplicateIds.slice(0, 20).join(' ')}`);
      console.log(line);
    }
    return ok ? 0 : 1;
  } finally {
    clearTimeout(limit);
    await stack?.stop();
    if (options.keep) console.error(`soak: data kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('soak failed:', error);
    process.exitCode = 2;
  },
);
