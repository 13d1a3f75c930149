/**
 * The whole handler, side by side with the most used SES forwarder (`aws-lambda-ses-forwarder`
 * 6.0.0, MIT): for each message, the project's relay Lambda handler (SQS record -> S3 read ->
 * look-ups -> rewrite -> the SES request built and signed) and the peer's real handler path
 * (`parseEvent`, `transformRecipients`, `fetchMessage`, `processMessage`, `sendMessage`), each with
 * its own SDK clients, both answered by the same in-process network (`support/fake-aws.ts`). Rounds
 * are interleaved with two floors measured on the same bytes: copying the message, and the least
 * work any signed SES v2 raw send needs (one base64 and one SHA-256 over the message).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSEvent } from 'aws-lambda';
import { createRelayHandler } from '../lambdas/relay/app';
import { toSqsEvent, buildReceiptNotification } from '../local/ingress/ses-receipt';
import { corpusPaths, readCorpusMessage } from '../devkit/corpus';
import { FAKE_MAC_HEX, FakeAwsNetwork } from './support/fake-aws';
import type { CallCounts } from './support/fake-aws';
import { copyFloor, relays } from './support/paths';
import { attachmentMail, CUSTOMER_ADDRESS, CUSTOMER_ALIAS, japaneseMail, KiB, MiB, RELAY_DOMAIN } from './support/synthetic-mail';
import { median, timeInterleaved } from './support/timing';
import type { Rounds } from './support/timing';

interface PeerModule {
  handler(event: unknown, context: unknown, callback: (error?: Error) => void, overrides: unknown): void;
  processMessage(data: unknown): Promise<unknown>;
}

const require = createRequire(import.meta.url);

/** The peer prints a banner with console.log when loaded; the bench's stdout is its report. */
function loadPeer(): PeerModule {
  const log = console.log;
  console.log = () => undefined;
  try {
    return require('aws-lambda-ses-forwarder') as PeerModule;
  } finally {
    console.log = log;
  }
}

const peer = loadPeer();

const BUCKET = 'anshin-inbound';
const PREFIX = 'inbound/';
const STORE_ID = 'bench-shop';
const ALIAS_ADDRESS = `${CUSTOMER_ALIAS}@${RELAY_DOMAIN}`;
const REGION = 'ap-northeast-1';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

export interface SideFigures {
  readonly messagesPerSecond: number;
  readonly mbPerSecond: number;
}

export interface WholeHandlerRow {
  readonly set: string;
  readonly messages: number;
  readonly bytes: number;
  readonly project: SideFigures;
  readonly peer: SideFigures;
  readonly copyFloor: SideFigures;
  readonly sesRequestFloor: SideFigures;
  /** Project's messages/s over the peer's (the same as the ratio of MB/s: the same bytes). */
  readonly projectOverPeer: number;
  /** Project's MB/s over the SES-request floor's (1 = no slower than the least work a send needs). */
  readonly projectOverSesFloor: number;
  /** Messages of the set the project relayed; the others it refused on purpose (a named reason each). */
  readonly projectRelayed: number;
  /** AWS calls per message, by service and operation, for each side. */
  readonly callsPerMessage: { readonly project: CallCounts; readonly peer: CallCounts };
}

export interface RewriteRow {
  readonly set: string;
  readonly messages: number;
  /** The project's rewrite (split, inspect, rewrite, one copy) and the peer's `processMessage`, messages/s. */
  readonly project: number;
  readonly peer: number;
  readonly projectOverPeer: number;
}

interface MessageSet {
  readonly name: string;
  readonly messages: readonly Buffer[];
  /** Each message handled this many times a pass, so a pass of small messages is long enough to time. */
  readonly repeat: number;
}

const PASS_BYTES = 8 * MiB;

function sets(quick: boolean): MessageSet[] {
  const corpus = corpusPaths().map(readCorpusMessage);
  const sized = (name: string, message: Buffer): MessageSet => ({ name, messages: [message], repeat: Math.max(1, Math.round(PASS_BYTES / message.length)) });
  return [
    { name: `corpus (${corpus.length} messages)`, messages: corpus, repeat: 1 },
    { name: 'Japanese 100 KB', messages: [japaneseMail(100 * KiB)], repeat: 40 },
    sized('100 KB', attachmentMail(100 * KiB)),
    sized('1 MB', attachmentMail(MiB)),
    sized('10 MB', attachmentMail(10 * MiB)),
    ...(quick ? [] : [sized('30 MB', attachmentMail(30 * MiB))]),
  ];
}

const S = (value: string) => ({ S: value });
const B = (value: string) => ({ B: Buffer.from(value, 'utf8').toString('base64') });

/** The tables as the relay needs them for a store's mail to its customer, in DynamoDB's JSON. */
function network(): FakeAwsNetwork {
  const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
  const alias = {
    alias: S(CUSTOMER_ALIAS),
    kind: S('customer'),
    storeId: S(STORE_ID),
    orderId: S('bench-1'),
    // The fake's Decrypt answers the ciphertext itself.
    addressCipher: B(CUSTOMER_ADDRESS),
    addressHash: S(FAKE_MAC_HEX),
    reverseAlias: S('m-4n8p2r6t1vwx'),
    createdAt: S('2026-12-01T00:00:00.000Z'),
    expiresAt: S(later),
    purgeAt: { N: String(Math.floor(Date.parse(later) / 1000) + 90 * 86_400) },
  };
  const store = { storeId: S(STORE_ID), item: S('store'), displayName: S('デモ商店'), contactCipher: B('owner@shop.example'), contactHash: S('0'.repeat(64)), createdAt: S('2026-12-01T00:00:00.000Z') };
  // Every address has the fake's one keyed hash, so whoever wrote a corpus message is the store's registered sender.
  const sender = { storeId: S(STORE_ID), item: S(`sender#${FAKE_MAC_HEX}`), addressHash: S(FAKE_MAC_HEX), addressCipher: B('news@shop.example'), createdAt: S('2026-12-01T00:00:00.000Z'), status: S('verified') };
  return new FakeAwsNetwork({ objects: new Map(), items: new Map([['bench-aliases', alias]]), queries: new Map([['bench-stores', [store, sender]]]) });
}

interface Prepared {
  readonly id: string;
  readonly raw: Buffer;
  readonly projectEvent: SQSEvent;
  readonly peerEvent: unknown;
}

function prepare(net: FakeAwsNetwork, messages: readonly Buffer[], setName: string): Prepared[] {
  return messages.map((raw, index) => {
    const id = `bench${createHash('sha1').update(`${setName}/${index}`).digest('hex')}`;
    net.state.objects.set(`${PREFIX}${id}`, raw);
    const receivedAt = new Date();
    const delivery = { messageId: id, receivedAt, mailFrom: 'news@shop.example', recipients: [ALIAS_ADDRESS], heloName: 'mail.shop.example', clientHostname: 'mail.shop.example', remoteAddress: '192.0.2.1', region: REGION };
    const verdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' } as const;
    const notification = buildReceiptNotification({ delivery, verdicts, storedMail: raw.subarray(0, Math.min(raw.length, 64 * KiB)), target: { bucketName: BUCKET, objectKeyPrefix: PREFIX, topicArn: 'arn:aws:sns:ap-northeast-1:000000000000:bench' }, actionAt: receivedAt });
    const projectEvent = toSqsEvent(notification, 'arn:aws:sqs:ap-northeast-1:000000000000:bench', REGION);
    const peerEvent = { Records: [{ eventSource: 'aws:ses', eventVersion: '1.0', ses: { mail: notification.mail, receipt: notification.receipt } }] };
    return { id, raw, projectEvent, peerEvent };
  });
}

function clients(net: FakeAwsNetwork) {
  const common = { region: REGION, credentials: CREDENTIALS, requestHandler: net, maxAttempts: 1 };
  return {
    dynamodb: new DynamoDBClient(common),
    kms: new KMSClient(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
    sesv2: new SESv2Client(common),
  };
}

function projectHandler(net: FakeAwsNetwork) {
  return createRelayHandler({
    clients: clients(net),
    settings: {
      aliasesTable: 'bench-aliases',
      storesTable: 'bench-stores',
      transmissionsTable: 'bench-transmissions',
      dataKeyId: 'bench-data-key',
      hmacKeyId: 'bench-hmac-key',
      relayDomain: RELAY_DOMAIN,
      transmissionRetentionDays: 90,
    },
    // The peer's log lines are silenced too.
    logger: new Logger({ serviceName: 'bench', logLevel: 'SILENT' }),
    dnsResolver: async () => {
      throw Object.assign(new Error('no DNS in the benchmark'), { code: 'ENOTFOUND' });
    },
  });
}

function peerHandler(net: FakeAwsNetwork): (event: unknown) => Promise<void> {
  const { s3, sesv2 } = clients(net);
  const config = { fromEmail: `noreply@${RELAY_DOMAIN}`, subjectPrefix: '', emailBucket: BUCKET, emailKeyPrefix: PREFIX, allowPlusSign: true, forwardMapping: { [`@${RELAY_DOMAIN}`]: [CUSTOMER_ADDRESS] } };
  const overrides = { config, s3, ses: sesv2, log: () => undefined };
  return (event) =>
    new Promise((resolve, reject) => {
      peer.handler(event, {}, (error?: Error) => (error ? reject(error) : resolve()), overrides);
    });
}

const sesRequestFloor = (raw: Buffer): void => {
  createHash('sha256').update(raw.toString('base64')).digest();
};

function figures(messages: number, bytes: number, samples: readonly number[]): SideFigures {
  const seconds = median(samples) / 1000;
  return { messagesPerSecond: messages / seconds, mbPerSecond: bytes / MiB / seconds };
}

function perMessage(calls: CallCounts, messages: number): CallCounts {
  return Object.fromEntries(Object.entries(calls).map(([service, operations]) => [service, Object.fromEntries(Object.entries(operations).map(([operation, n]) => [operation, n / messages]))]));
}

async function measureSet(set: MessageSet, rounds: Rounds): Promise<WholeHandlerRow> {
  const projectNet = network();
  const peerNet = network();
  const project = projectHandler(projectNet);
  const forward = peerHandler(peerNet);
  const projectMessages = prepare(projectNet, set.messages, set.name);
  const peerMessages = prepare(peerNet, set.messages, set.name);
  const bytes = set.messages.reduce((total, message) => total + message.length, 0) * set.repeat;
  const count = set.messages.length * set.repeat;

  // Two untimed passes each: one to warm the containers' caches, as a running Lambda has them, and
  // one counting the calls and what the project relayed.
  for (const message of projectMessages) await project(message.projectEvent);
  for (const message of peerMessages) await forward(message.peerEvent).catch(() => undefined);
  projectNet.resetCalls();
  peerNet.resetCalls();
  let projectRelayed = 0;
  for (const message of projectMessages) {
    const before = projectNet.calls.sesv2?.SendEmail ?? 0;
    await project(message.projectEvent);
    if ((projectNet.calls.sesv2?.SendEmail ?? 0) > before) projectRelayed += 1;
  }
  for (const message of peerMessages) await forward(message.peerEvent).catch(() => undefined);
  const callsPerMessage = { project: perMessage(projectNet.calls, set.messages.length), peer: perMessage(peerNet.calls, set.messages.length) };

  const pass = (run: (index: number) => unknown) => async () => {
    for (let r = 0; r < set.repeat; r += 1) for (let i = 0; i < set.messages.length; i += 1) await run(i);
  };
  const samples = await timeInterleaved(
    {
      project: { run: pass((i) => project(projectMessages[i]!.projectEvent)) },
      peer: { run: pass((i) => forward(peerMessages[i]!.peerEvent).catch(() => undefined)) },
      copy: { run: pass((i) => copyFloor(set.messages[i]!)) },
      sesFloor: { run: pass((i) => sesRequestFloor(set.messages[i]!)) },
    },
    rounds,
  );
  const projectFigures = figures(count, bytes, samples.project);
  const peerFigures = figures(count, bytes, samples.peer);
  const floor = figures(count, bytes, samples.sesFloor);
  return {
    set: set.name,
    messages: set.messages.length,
    bytes: bytes / set.repeat,
    project: projectFigures,
    peer: peerFigures,
    copyFloor: figures(count, bytes, samples.copy),
    sesRequestFloor: floor,
    projectOverPeer: projectFigures.messagesPerSecond / peerFigures.messagesPerSecond,
    projectOverSesFloor: projectFigures.mbPerSecond / floor.mbPerSecond,
    projectRelayed,
    callsPerMessage,
  };
}

/** The header rewrite alone on the corpus: the project's path against the peer's `processMessage`. */
async function measureRewrite(rounds: Rounds): Promise<RewriteRow> {
  const messages = corpusPaths().map(readCorpusMessage);
  const texts = messages.map((raw) => raw.toString());
  const config = { fromEmail: `noreply@${RELAY_DOMAIN}`, subjectPrefix: '' };
  const quiet = () => undefined;
  const samples = await timeInterleaved(
    {
      project: { run: () => messages.forEach(relays) },
      peer: { run: async () => Promise.all(texts.map((emailData) => peer.processMessage({ emailData, config, log: quiet, originalRecipient: ALIAS_ADDRESS }))) },
    },
    rounds,
  );
  const project = messages.length / (median(samples.project) / 1000);
  const peerRate = messages.length / (median(samples.peer) / 1000);
  return { set: `corpus (${messages.length} messages)`, messages: messages.length, project, peer: peerRate, projectOverPeer: project / peerRate };
}

export async function measureWholeHandler(options: { readonly quick: boolean }): Promise<{ readonly rows: WholeHandlerRow[]; readonly rewrite: RewriteRow }> {
  const rounds: Rounds = options.quick ? { minRounds: 3, minMs: 0, maxRounds: 3 } : { minRounds: 7, minMs: 4000, maxRounds: 11 };
  const rows: WholeHandlerRow[] = [];
  for (const set of sets(options.quick)) rows.push(await measureSet(set, rounds));
  return { rows, rewrite: await measureRewrite(options.quick ? { minRounds: 5, minMs: 0, maxRounds: 5 } : { minRounds: 11, minMs: 3000, maxRounds: 21 }) };
}
