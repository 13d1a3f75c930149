import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { EncryptCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mailer } from '../../lambdas/relay/ports';
import { TABLES } from '../../lambdas/records/table-schema';
import type { IndexSchema, TableKey } from '../../lambdas/records/table-schema';
import { readLocalEndpoints } from '../../local/endpoints';
import { startLocalStack } from '../../local/stack';
import type { LocalStack } from '../../local/stack';

const RELAY_DOMAIN = 'relay.example.jp';
/** Subject that makes the stand-in relay report a batch item failure. */
const FAIL_SUBJECT = 'please fail';

function portAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Java processes whose parent is this test process (from /proc where there is one, else pgrep). */
function javaChildren(): string[] {
  if (!existsSync('/proc/self/stat')) {
    try {
      return execFileSync('pgrep', ['-P', String(process.pid), '-x', 'java'], { encoding: 'utf8' }).trim().split('\n');
    } catch {
      return []; // pgrep exits 1 when nothing matches
    }
  }
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid ..."
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [, comm = '', rest = ''] = /^\d+ \((.*)\) (.*)$/s.exec(stat) ?? [];
        const ppid = Number(rest.split(' ')[1]);
        return ppid === process.pid && comm === 'java' ? [`${pid} ${comm}`] : [];
      } catch {
        return [];
      }
    });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('local stack', () => {
  let dataDir: string;
  let stack: LocalStack;
  let mailer: Mailer | undefined;
  const events: SQSEvent[] = [];
  const logged: { event: string; fields: Record<string, unknown> }[] = [];

  const send = async (message: { to: string; subject?: string; headers?: Record<string, string> }): Promise<string> => {
    const transport = nodemailer.createTransport({ url: stack.endpoints.smtp, ignoreTLS: true });
    try {
      const info = await transport.sendMail({
        from: 'Demo Shop <news@shop.example>',
        to: message.to,
        subject: message.subject ?? 'Your order',
        text: 'Thank you for your order.\r\n',
        headers: message.headers ?? {},
      });
      const id = /^250 Ok ([a-z0-9]{40})$/.exec(info.response)?.[1];
      if (!id) throw new Error(`unexpected SMTP reply ${info.response}`);
      return id;
    } finally {
      transport.close();
    }
  };

  const notificationFor = (messageId: string): Record<string, unknown> => {
    const body = events.flatMap((e) => e.Records).map((r) => JSON.parse(r.body) as { mail: { messageId: string } });
    const found = body.find((n) => n.mail.messageId === messageId);
    if (!found) throw new Error(`no notification for ${messageId}`);
    return found as unknown as Record<string, unknown>;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'anshin-local-'));
    stack = await startLocalStack({
      dataDir,
      log: (event, fields = {}) => logged.push({ event, fields }),
      createRelay: (deps) => {
        mailer = deps.mailer;
        return async (event: SQSEvent): Promise<SQSBatchResponse> => {
          events.push(event);
          const failing = event.Records.filter((r) => r.body.includes(FAIL_SUBJECT));
          return { batchItemFailures: failing.map((r) => ({ itemIdentifier: r.messageId })) };
        };
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('describes itself in endpoints.json', async () => {
    const endpoints = await readLocalEndpoints(dataDir);

    expect(endpoints).toEqual(stack.endpoints);
    expect(endpoints).toMatchObject({
      relayDomain: RELAY_DOMAIN,
      region: 'ap-northeast-1',
      inboundBucket: 'anshin-inbound',
      outboxDir: join(dataDir, 'outbox'),
      tables: { aliases: 'anshin-aliases', stores: 'anshin-stores', transmissions: 'anshin-transmissions', access: 'anshin-access', receipts: 'anshin-receipts' },
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    expect(endpoints.credentials).toEqual({ accessKeyId: 'local', secretAccessKey: 'local' });
    expect(endpoints.smtp).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints.keys.data).toMatch(/^arn:aws:kms:ap-northeast-1:000000000000:key\/[0-9a-f-]{36}$/);
    expect(stack.settings).toMatchObject({ relayDomain: RELAY_DOMAIN, dataKeyId: endpoints.keys.data, hmacKeyId: endpoints.keys.hmac, aliasesTable: 'anshin-aliases' });
  });

  it.each(Object.keys(TABLES) as TableKey[])('creates the %s table from the shared schema', async (key) => {
    const schema = TABLES[key];
    const tableName = stack.endpoints.tables[key];

    const { Table } = await stack.clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const { TimeToLiveDescription } = await stack.clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));

    const keys = (elements: { AttributeName?: string | undefined; KeyType?: string | undefined }[] | undefined) => elements?.map((e) => [e.AttributeName, e.KeyType]);
    expect(keys(Table?.KeySchema)).toEqual([[schema.partitionKey, 'HASH'], ...('sortKey' in schema ? [[schema.sortKey, 'RANGE']] : [])]);
    const byName = (a: { name?: string | undefined }, b: { name?: string | undefined }) => (a.name ?? '').localeCompare(b.name ?? '');
    expect(
      (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({ name: index.IndexName, keys: keys(index.KeySchema), projection: index.Projection?.ProjectionType })).sort(byName),
    ).toEqual(
      schema.indexes
        .map((index: IndexSchema) => ({
          name: index.name,
          keys: [[index.partitionKey, 'HASH'], ...(index.sortKey === undefined ? [] : [[index.sortKey, 'RANGE']])],
          projection: index.projection === 'keys' ? 'KEYS_ONLY' : 'ALL',
        }))
        .sort(byName),
    );
    const types = new Map(Table?.AttributeDefinitions?.map((d) => [d.AttributeName, d.AttributeType]));
    for (const index of schema.indexes as readonly IndexSchema[]) {
      if (index.sortKey !== undefined) expect(types.get(index.sortKey)).toBe(index.sortKeyType === 'number' ? 'N' : 'S');
    }
    expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: schema.ttlAttribute });
  });

  it('has the inbound bucket', async () => {
    await expect(stack.clients.s3.send(new HeadBucketCommand({ Bucket: 'anshin-inbound' }))).resolves.toBeDefined();
  });

  it('serves the local KMS keys to the relay’s client', async () => {
    const { KeyId } = await stack.clients.kms.send(new EncryptCommand({ KeyId: stack.settings.dataKeyId, Plaintext: Buffer.from('x') }));

    expect(KeyId).toBe(stack.settings.dataKeyId);
  });

  it('rejects a recipient outside the relay domain at RCPT with 550', async () => {
    await expect(send({ to: 'someone@example.com' })).rejects.toMatchObject({
      code: 'EENVELOPE',
      rejectedErrors: [expect.objectContaining({ responseCode: 550 })],
    });
  });

  it('stores a mail for the relay domain in S3 with SES’s header fields and hands SES’s notification to the relay', async () => {
    const recipient = `c-test0001@${RELAY_DOMAIN}`;

    const messageId = await send({ to: recipient });
    const processed = await stack.ingress.whenIdle();
    const object = await stack.clients.s3.send(new GetObjectCommand({ Bucket: 'anshin-inbound', Key: `inbound/${messageId}` }));
    const stored = Buffer.from((await object.Body?.transformToByteArray()) ?? []).toString('utf8');

    expect(processed).toContainEqual({ messageId, outcome: 'handled' });
    expect(stored.split('\r\n').slice(0, 4)).toEqual([
      'Return-Path: <news@shop.example>',
      expect.stringMatching(
        new RegExp(`^Received: from \\S+ \\(localhost \\[127\\.0\\.0\\.1\\]\\) by inbound-smtp\\.ap-northeast-1\\.amazonaws\\.com with SMTP id ${messageId} for ${recipient}; .+ \\+0000 \\(UTC\\)$`),
      ),
      'X-SES-Spam-Verdict: PASS',
      'X-SES-Virus-Verdict: PASS',
    ]);
    expect(stored).toContain('\r\nSubject: Your order\r\n');
    expect(stored.endsWith('\r\n\r\nThank you for your order.\r\n')).toBe(true);
    expect(notificationFor(messageId)).toMatchObject({
      notificationType: 'Received',
      mail: { messageId, source: 'news@shop.example', destination: [recipient], commonHeaders: { from: ['Demo Shop <news@shop.example>'], subject: 'Your order' } },
      receipt: {
        recipients: [recipient],
        spfVerdict: { status: 'PASS' },
        dkimVerdict: { status: 'GRAY' },
        dmarcVerdict: { status: 'PASS' },
        spamVerdict: { status: 'PASS' },
        virusVerdict: { status: 'PASS' },
        action: { type: 'S3', bucketName: 'anshin-inbound', objectKeyPrefix: 'inbound/', objectKey: `inbound/${messageId}` },
      },
    });
    expect(await exists(join(dataDir, 'notifications', `${messageId}.json`))).toBe(false);
  });

  it('reports the verdicts the X-Local-Verdict header asks for', async () => {
    const messageId = await send({ to: `c-test0002@${RELAY_DOMAIN}`, headers: { 'X-Local-Verdict': 'spf=FAIL, dmarc=FAIL, dmarcPolicy=reject, virus=FAIL' } });
    await stack.ingress.whenIdle();

    expect(notificationFor(messageId)).toMatchObject({
      receipt: { spfVerdict: { status: 'FAIL' }, dkimVerdict: { status: 'GRAY' }, dmarcVerdict: { status: 'FAIL' }, dmarcPolicy: 'reject', virusVerdict: { status: 'FAIL' } },
    });
  });

  it('keeps the notification for redelivery and logs only the message ID when the relay reports a failure', async () => {
    const messageId = await send({ to: `c-test0003@${RELAY_DOMAIN}`, subject: FAIL_SUBJECT });
    const processed = await stack.ingress.whenIdle();
    const kept = JSON.parse(await readFile(join(dataDir, 'notifications', `${messageId}.json`), 'utf8')) as unknown;

    expect(processed).toContainEqual({ messageId, outcome: 'failed' });
    expect(kept).toEqual(notificationFor(messageId));
    expect(logged).toContainEqual({ event: 'relay_batch_item_failure', fields: { messageId } });
    expect(JSON.stringify(logged)).not.toContain('shop.example');
  });

  it('records what the relay sends in the outbox, byte for byte after the Message-ID SES gives it, with its envelope', async () => {
    const raw = Buffer.from('From: c-test0001@relay.example.jp\r\nTo: taro@example.com\r\nSubject: =?UTF-8?B?5rOo5paH?=\r\n\r\nbody\r\n', 'utf8');

    // In two parts, as the relay hands over a rewritten header block and the body it read.
    const { messageId } = await (mailer as Mailer).send({ from: `c-test0001@${RELAY_DOMAIN}`, to: ['taro@example.com'], parts: [raw.subarray(0, 40), raw.subarray(40)] });
    const eml = await readFile(join(stack.endpoints.outboxDir, `${messageId}.eml`));
    const envelope = JSON.parse(await readFile(join(stack.endpoints.outboxDir, `${messageId}.json`), 'utf8')) as unknown;
    const inbox = (await (await fetch(`${stack.endpoints.outbox}/store`)).json()) as { emails: { messageId: string }[] };

    expect(eml.equals(Buffer.concat([Buffer.from(`Message-ID: <${messageId}@ap-northeast-1.amazonses.com>\r\n`), raw]))).toBe(true);
    expect(envelope).toMatchObject({ messageId, from: `c-test0001@${RELAY_DOMAIN}`, destinations: ['taro@example.com'] });
    expect(inbox.emails.map((e) => e.messageId)).toContain(messageId);
  });
});

describe('local stack lifecycle', () => {
  it("fills the web inbox from the outbox an earlier run left, with each mail's envelope destinations", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'anshin-local-inbox-'));
    const messageId = `0000019a-earlier-run-${Date.now()}`;
    try {
      await mkdir(join(dataDir, 'outbox'), { recursive: true });
      const raw = ['Message-ID: <x@ap-northeast-1.amazonses.com>', 'From: "shop" <m-aaaaaaaaaaaa@relay.example.jp>', 'To: c-bbbbbbbbbbbb@relay.example.jp', 'Subject: =?UTF-8?B?5YmN5Zue44Gu6YCB5L+h?=', '', 'body', ''].join('\r\n');
      await writeFile(join(dataDir, 'outbox', `${messageId}.eml`), raw);
      await writeFile(join(dataDir, 'outbox', `${messageId}.json`), JSON.stringify({ messageId, from: 'no-reply@relay.example.jp', destinations: ['earlier@example.com'], sentAt: '2026-12-01T00:00:00.000Z' }));
      const stack = await startLocalStack({ dataDir, log: () => {}, createRelay: () => async () => ({ batchItemFailures: [] }) });
      try {
        const { emails } = (await (await fetch(`${stack.endpoints.outbox}/store`)).json()) as { emails: { messageId: string; subject: string; destination: { to: string[] }; envelope?: { destinations: string[] }; at: number }[] };
        expect(emails.find((email) => email.messageId === messageId)).toMatchObject({
          subject: '前回の送信',
          destination: { to: ['c-bbbbbbbbbbbb@relay.example.jp'] },
          envelope: { destinations: ['earlier@example.com'] },
          at: Date.parse('2026-12-01T00:00:00.000Z') / 1000,
        });
      } finally {
        await stack.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('restarts on the same data directory with its tables, keys and objects, and leaves no process or endpoints.json behind', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'anshin-local-restart-'));
    const quiet = () => {};
    try {
      const first = await startLocalStack({ dataDir, persistent: true, log: quiet, createRelay: () => async () => ({ batchItemFailures: [] }) });
      const firstEndpoints = first.endpoints;
      const javaWhileRunning = javaChildren().length;
      await first.clients.s3.send(new PutObjectCommand({ Bucket: 'anshin-inbound', Key: 'inbound/kept', Body: 'kept' }));
      await first.stop();

      const stoppedCleanly = {
        endpointsFile: await exists(join(dataDir, 'endpoints.json')),
        dynamodb: await portAnswers(firstEndpoints.dynamodb),
        smtp: await portAnswers(firstEndpoints.smtp),
        java: javaChildren(),
      };
      const second = await startLocalStack({ dataDir, persistent: true, log: quiet, createRelay: () => async () => ({ batchItemFailures: [] }) });
      const { Table } = await second.clients.dynamodb.send(new DescribeTableCommand({ TableName: 'anshin-aliases' }));
      const kept = await second.clients.s3.send(new GetObjectCommand({ Bucket: 'anshin-inbound', Key: 'inbound/kept' }));
      const keptBody = await kept.Body?.transformToString();
      const secondKeys = second.endpoints.keys;
      await second.stop();

      expect(javaWhileRunning).toBe(1);
      expect(keptBody).toBe('kept');
      expect(stoppedCleanly).toEqual({ endpointsFile: false, dynamodb: false, smtp: false, java: [] });
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(secondKeys).toEqual(firstEndpoints.keys);
      expect(javaChildren()).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
