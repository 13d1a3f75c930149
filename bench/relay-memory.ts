/**
 * Peak memory of relaying one large message, to size the relay Lambda.
 *
 *   npx tsx bench/relay-memory.ts [sizeMB ...]     (default 10 30 40)
 *
 * Each size runs in a fresh child process, which relays merchant messages of that size through
 * the relay's own code (`relayInboundMail`: split, inspect, rewrite, the outbound concat) and the
 * real SES mailer: its SESv2Client serialises the raw message as base64 in the JSON body, signs it
 * (SigV4 hashes the body) and sends it over HTTP to a sink on loopback in the same process, which
 * drops the bytes and answers like SES. The other ports answer from memory. The message is written
 * straight into one buffer, as the S3 adapter reads it, so building it leaves nothing behind.
 * Reported: the process's peak RSS (getrusage maxrss) above its RSS just before the first message
 * existed, in MB and as a multiple of the message size; once for one message, once for several in
 * a row (records of a batch are relayed one after another), which shows garbage does not pile up.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SesMailer } from '../lambdas/adapters/ses-mailer';
import type { AliasRecord } from '../lambdas/core/ports';
import type { RelayPorts } from '../lambdas/core/relay-inbound-mail';
import { relayInboundMail } from '../lambdas/core/relay-inbound-mail';

const MiB = 1024 * 1024;
const RELAY_DOMAIN = 'relay.example.jp';
const CUSTOMER_ALIAS = 'c-7k2m9q4x0abc';
const DEFAULT_SIZES_MB = [10, 30, 40];
/** Messages relayed one after another in the second run of each size. */
const SEQUENTIAL_RUN = 3;

interface Measurement {
  readonly sizeBytes: number;
  readonly count: number;
  readonly seconds: number;
  readonly baselineMb: number;
  readonly peakAboveBaselineMb: number;
  readonly requestBodyBytes: number;
  readonly relayed: boolean;
}

/** The message as SES stores it: SES's and the sender's header fields, then a base64 attachment. */
function writeMessage(sizeBytes: number): Buffer {
  const header = Buffer.from(
    [
      'Return-Path: <news@shop.example>',
      'Received: from mail.shop.example (mail.shop.example [203.0.113.5]) by inbound-smtp.ap-northeast-1.amazonaws.com with SMTP id bench for c-7k2m9q4x0abc@relay.example.jp',
      'X-SES-Spam-Verdict: PASS',
      'X-SES-Virus-Verdict: PASS',
      'Authentication-Results: amazonses.com; spf=pass smtp.mailfrom=news@shop.example; dkim=pass header.i=@shop.example; dmarc=pass header.from=shop.example',
      'From: =?UTF-8?B?44OH44Oi5ZWG5bqX?= <news@shop.example>',
      `To: ${CUSTOMER_ALIAS}@${RELAY_DOMAIN}`,
      'Subject: =?UTF-8?B?44Kr44K/44Ot44Kw?=',
      'Date: Tue, 1 Apr 2025 12:00:00 +0900',
      'Message-ID: <bench@shop.example>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: application/octet-stream; name="catalog.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      '',
    ].join('\r\n'),
  );
  const trailer = Buffer.from('\r\n--b--\r\n');
  const buffer = Buffer.alloc(sizeBytes);
  header.copy(buffer);
  // Base64 lines of pseudo-random bytes, a block at a time, so no second copy of the message exists.
  const lines = 1000;
  const block = Buffer.alloc(57 * lines);
  let x = 0x2545f491;
  let offset = header.length;
  const end = sizeBytes - trailer.length;
  while (offset < end) {
    for (let i = 0; i < block.length; i += 1) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      block[i] = x & 0xff;
    }
    for (let line = 0; line < lines && offset < end; line += 1) {
      const text = `${block.subarray(line * 57, line * 57 + 57).toString('base64')}\r\n`;
      offset += buffer.write(text.slice(0, end - offset), offset, 'ascii');
    }
  }
  trailer.copy(buffer, end);
  return buffer;
}

function memoryPorts(raw: Buffer, mailer: SesMailer): RelayPorts {
  const now = new Date();
  const later = new Date(now.getTime() + 86_400_000);
  const customer: AliasRecord = {
    alias: CUSTOMER_ALIAS,
    kind: 'customer',
    storeId: 'demo-shop',
    addressCipher: new Uint8Array([1]),
    addressHash: 'a'.repeat(64),
    createdAt: now.toISOString(),
    expiresAt: later.toISOString(),
    purgeAt: Math.floor(later.getTime() / 1000) + 86_400,
  };
  return {
    aliases: {
      getAlias: async (alias) => (alias === CUSTOMER_ALIAS ? customer : undefined),
      putAliasIfAbsent: async (record) => ({ record, created: true }),
    },
    stores: {
      getStore: async (storeId) => ({ storeId, displayName: 'デモ商店', contactCipher: new Uint8Array([1]), contactHash: 'b'.repeat(64), createdAt: now.toISOString() }),
      putStore: async () => undefined,
      putSender: async () => undefined,
      isRegisteredSender: async () => true,
    },
    keys: {
      encrypt: async () => new Uint8Array([1]),
      decrypt: async () => 'taro@example.com',
      mac: async () => 'c'.repeat(64),
    },
    rawMail: { read: async () => raw },
    mailer,
    transmissions: { claim: async () => ({ status: 'claimed' }), complete: async () => undefined, release: async () => undefined },
  };
}

async function measureInChild(sizeBytes: number, count: number): Promise<void> {
  let requestBodyBytes = 0;
  const sink = createServer((req, res) => {
    let length = 0;
    req.on('data', (chunk: Buffer) => (length += chunk.length));
    req.on('end', () => {
      requestBodyBytes = length;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"MessageId":"bench"}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const ses = new SESv2Client({
    region: 'ap-northeast-1',
    endpoint: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const mailer = new SesMailer(ses);
  // Loads and warms the SDK's lazily imported modules, so the baseline holds them.
  await mailer.send({ from: 'a@relay.example.jp', to: ['b@example.com'], raw: Buffer.from('From: a@relay.example.jp\r\n\r\nwarm-up\r\n') });
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage.rss();

  const started = performance.now();
  let relayed = true;
  for (let n = 0; n < count; n += 1) {
    const raw = writeMessage(sizeBytes);
    const results = await relayInboundMail(
      {
        sesMessageId: `bench-${n}`,
        receivedAt: new Date(),
        envelopeSender: 'news@shop.example',
        recipients: [`${CUSTOMER_ALIAS}@${RELAY_DOMAIN}`],
        verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' },
        location: { bucket: 'bench', key: `bench-${n}` },
      },
      memoryPorts(raw, mailer),
      { relayDomain: RELAY_DOMAIN, transmissionRetentionDays: 90, clock: () => new Date() },
    );
    relayed &&= results[0]?.status === 'relayed';
  }
  const seconds = (performance.now() - started) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  ses.destroy();
  sink.close();
  const measurement: Measurement = {
    sizeBytes,
    count,
    seconds,
    baselineMb: baseline / MiB,
    peakAboveBaselineMb: (peak - baseline) / MiB,
    requestBodyBytes,
    relayed,
  };
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

function runChild(sizeBytes: number, count: number): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url), '--child', String(sizeBytes), String(count)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as Measurement);
      else reject(new Error(`child for ${sizeBytes} bytes exited with ${String(code)}: ${out}`));
    });
  });
}

async function main(): Promise<void> {
  const childAt = process.argv.indexOf('--child');
  if (childAt >= 0) {
    await measureInChild(Number(process.argv[childAt + 1]), Number(process.argv[childAt + 2]));
    return;
  }
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  console.log('message MB | messages | seconds | request body MB | baseline RSS MB | peak RSS above baseline MB | x message size | relayed');
  const runs = (sizes.length > 0 ? sizes : DEFAULT_SIZES_MB).flatMap((mb) => [{ mb, count: 1 }, { mb, count: SEQUENTIAL_RUN }]);
  for (const { mb, count } of runs) {
    const m = await runChild(Math.round(mb * MiB), count);
    console.log(
      [
        (m.sizeBytes / MiB).toFixed(1),
        String(m.count),
        m.seconds.toFixed(2),
        (m.requestBodyBytes / MiB).toFixed(1),
        m.baselineMb.toFixed(0),
        m.peakAboveBaselineMb.toFixed(0),
        (m.peakAboveBaselineMb / (m.sizeBytes / MiB)).toFixed(2),
        String(m.relayed),
      ].join(' | '),
    );
  }
}

await main();
