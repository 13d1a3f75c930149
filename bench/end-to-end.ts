/**
 * End to end through the local stack: a real SMTP client sends store mail to customer aliases
 * concurrently, the SMTP ingress stores it in S3 and hands SES's notification to the relay handler,
 * which sends through the SES stand-in into `.local/outbox`. Every AWS SDK call the relay makes is
 * counted at the SDK boundary, by a middleware on each of the stack's clients.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { issueAlias } from '../lambdas/aliases/issuance';
import { randomBytes } from 'node:crypto';
import { putStore } from '../lambdas/aliases/stores';
import { UNREACHABLE_RATE_LIMITS } from '../lambdas/relay/rate-limits';
import { createRelayHandler, createRelayPorts } from '../lambdas/relay/app';
import type { RelayClients } from '../lambdas/relay/app';
import { parseSesNotification } from '../lambdas/relay/ses-notification';
import { startLocalStack } from '../local/stack';
import { NO_METRICS } from '../lambdas/aws/metrics';
import type { LocalStack } from '../local/stack';
import { median, percentile } from './support/timing';

export interface SdkCallCounts {
  /** Calls per service and command over the timed run, e.g. `{ kms: { GenerateMacCommand: 1000 } }`. */
  readonly byCommand: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** DynamoDB capacity the tables reported consumed (ReturnConsumedCapacity), read and write units. */
  readonly dynamodbReadUnits: number;
  readonly dynamodbWriteUnits: number;
}

export interface EndToEnd {
  readonly messages: number;
  readonly concurrency: number;
  /** Size of one message as the client submits it (SES adds its own header fields in S3). */
  readonly messageBytes: number;
  readonly seconds: number;
  readonly messagesPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Median milliseconds the relay handler took per message (one record per invocation) in the concurrent run. */
  readonly handlerMs: number;
  /** The same with one message at a time afterwards: a Lambda invocation's duration without queueing behind others. */
  readonly handlerMsOneAtATime: number;
  readonly relayed: number;
  readonly outboxFiles: number;
  /** SDK calls of the relay alone (the ingress's S3 write, SES's own work in AWS, is under `receiving`). */
  readonly relay: SdkCallCounts;
  /** The ingress's calls: what SES receiving does in AWS (its S3 write), billed to the account too. */
  readonly receiving: SdkCallCounts;
}

const STORE_ID = 'bench-shop';
const STORE_SENDER = 'news@shop.example';
const ALIASES = 50;

type Service = keyof Omit<RelayClients, 'sqs'>;

interface Counter {
  active: 'relay' | 'receiving' | 'off';
  readonly counts: Record<'relay' | 'receiving', { byCommand: Record<string, Record<string, number>>; read: number; write: number }>;
}

interface MiddlewareHost {
  readonly middlewareStack: {
    add(middleware: (next: (args: { input: object }) => Promise<{ output?: unknown }>, context: { commandName?: string }) => (args: { input: object }) => Promise<{ output?: unknown }>, options: { step: 'initialize'; name: string }): void;
  };
}

/** The ingress writes with the same S3 client as the relay reads; only its PutObject is SES's work. */
const RECEIVING_COMMANDS = new Set(['PutObjectCommand']);

function countCalls(clients: RelayClients, counter: Counter): void {
  for (const service of ['dynamodb', 'kms', 's3', 'sesv2'] as const satisfies readonly Service[]) {
    (clients[service] as unknown as MiddlewareHost).middlewareStack.add(
      (next, context) => async (args) => {
        if (counter.active === 'off') return next(args);
        const command = context.commandName ?? 'unknown';
        const bucket = counter.counts[service === 's3' && RECEIVING_COMMANDS.has(command) ? 'receiving' : counter.active];
        const perService = (bucket.byCommand[service] ??= {});
        perService[command] = (perService[command] ?? 0) + 1;
        // DynamoDB reports what a request consumed when asked; the relay's adapters never ask.
        if (service === 'dynamodb') Object.assign(args.input, { ReturnConsumedCapacity: 'TOTAL' });
        const result = await next(args);
        if (service === 'dynamodb') {
          const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
          for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
            const { ReadCapacityUnits = 0, WriteCapacityUnits = 0, CapacityUnits = 0 } = entry as Record<string, number | undefined>;
            const isRead = /^(Get|Query|Scan|BatchGet|TransactGet)/.test(command);
            bucket.read += ReadCapacityUnits || (isRead ? CapacityUnits : 0);
            bucket.write += WriteCapacityUnits || (isRead ? 0 : CapacityUnits);
          }
        }
        return result;
      },
      { step: 'initialize', name: 'benchCountSdkCalls' },
    );
  }
}

/** A store's order mail in Japanese, about 3 KB, as a mail client composes it. */
function storeMail(to: string, index: number) {
  return {
    from: `デモ商店 <${STORE_SENDER}>`,
    to,
    subject: `ご注文ありがとうございます（注文番号 ${1000 + index}）`,
    text: `${'この度はご注文いただき誠にありがとうございます。商品は本日発送いたしました。\n'.repeat(24)}注文番号: ${1000 + index}\n`,
  };
}

async function setUp(stack: LocalStack): Promise<string[]> {
  const ports = createRelayPorts({ clients: stack.clients, settings: stack.settings });
  const now = new Date();
  await putStore(
    { storeId: STORE_ID, displayName: 'デモ商店', contact: 'owner@shop.example', senders: [STORE_SENDER] },
    { stores: ports.stores, keys: ports.keys, now, random: () => randomBytes(8).toString('hex') },
  );
  const aliases: string[] = [];
  for (let i = 0; i < ALIASES; i += 1) {
    const issued = await issueAlias(
      { storeId: STORE_ID, orderId: `bench-${i}`, customer: `customer${i}@example.com` },
      { aliases: ports.aliases, stores: ports.stores, keys: ports.keys, now, relayDomain: stack.settings.relayDomain, validityDays: 180, supportDays: 90 },
    );
    aliases.push(issued.address);
  }
  return aliases;
}

function finish(counts: Counter['counts']['relay']): SdkCallCounts {
  return { byCommand: counts.byCommand, dynamodbReadUnits: counts.read, dynamodbWriteUnits: counts.write };
}

/** Messages sent one at a time after the concurrent run, to time the handler alone. */
const ONE_AT_A_TIME = 50;

export async function measureEndToEnd(options: { readonly messages: number; readonly concurrency: number }): Promise<EndToEnd> {
  const dir = await mkdtemp(join(tmpdir(), 'anshin-bench-e2e-'));
  const completedAt = new Map<string, number>();
  const handlerMs: number[] = [];
  let relayed = 0;
  const counter: Counter = {
    active: 'off',
    counts: { relay: { byCommand: {}, read: 0, write: 0 }, receiving: { byCommand: {}, read: 0, write: 0 } },
  };
  const stack = await startLocalStack({
    dataDir: dir,
    log: () => undefined,
    // Counted as in production (an update per counter), never reached: the load is the subject here.
    rateLimits: UNREACHABLE_RATE_LIMITS,
    createRelay: (deps) => {
      // Silent: the report is the bench's stdout (and with --json must be nothing but JSON).
      const relay = createRelayHandler({ ...deps, logger: new Logger({ serviceName: 'anshin-relay', logLevel: 'SILENT' }), metrics: NO_METRICS });
      return async (event) => {
        const started = performance.now();
        const response = await relay(event);
        const finished = performance.now();
        handlerMs.push(finished - started);
        if (response.batchItemFailures.length === 0) relayed += event.Records.length;
        for (const record of event.Records) completedAt.set(parseSesNotification(record.body).sesMessageId, finished);
        return response;
      };
    },
  });
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: stack.ingress.port, secure: false, ignoreTLS: true, pool: true, maxConnections: options.concurrency, maxMessages: Infinity });
  try {
    countCalls(stack.clients, counter);
    const aliases = await setUp(stack);
    const alias = (i: number) => aliases[i % aliases.length] ?? '';

    // The first message to each customer creates the store's reverse alias; later ones only read it.
    await Promise.all(aliases.map((to, i) => transport.sendMail(storeMail(to, i))));
    await stack.ingress.whenIdle();
    handlerMs.length = 0;
    relayed = 0;
    const outboxBefore = (await readdir(stack.endpoints.outboxDir)).filter((name) => name.endsWith('.eml')).length;

    counter.active = 'relay';
    const sentAt = new Map<string, number>();
    const started = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < options.messages) {
        const index = next;
        next += 1;
        const at = performance.now();
        const info = (await transport.sendMail(storeMail(alias(index), index))) as { response: string };
        sentAt.set(info.response.trim().split(/\s+/).pop() ?? '', at);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, lane));
    await stack.ingress.whenIdle();
    counter.active = 'off';

    const latencies = [...sentAt].map(([id, at]) => (completedAt.get(id) ?? Number.NaN) - at).filter((ms) => Number.isFinite(ms));
    const lastDone = Math.max(...[...sentAt.keys()].map((id) => completedAt.get(id) ?? 0));
    const seconds = (lastDone - started) / 1000;
    const outboxFiles = (await readdir(stack.endpoints.outboxDir)).filter((name) => name.endsWith('.eml')).length - outboxBefore;
    const concurrentHandlerMs = median(handlerMs);
    const relayedConcurrently = relayed;

    handlerMs.length = 0;
    for (let i = 0; i < ONE_AT_A_TIME; i += 1) {
      await transport.sendMail(storeMail(alias(i), options.messages + i));
      await stack.ingress.whenIdle();
    }
    return {
      messages: options.messages,
      concurrency: options.concurrency,
      messageBytes: (await new MailComposer(storeMail(alias(0), 0)).compile().build()).length,
      seconds,
      messagesPerSecond: options.messages / seconds,
      latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: Math.max(...latencies) },
      handlerMs: concurrentHandlerMs,
      handlerMsOneAtATime: median(handlerMs),
      relayed: relayedConcurrently,
      outboxFiles,
      relay: finish(counter.counts.relay),
      receiving: finish(counter.counts.receiving),
    };
  } finally {
    transport.close();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
