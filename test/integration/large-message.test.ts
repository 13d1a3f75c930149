import { connect } from 'node:net';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_OUTBOUND_BYTES } from '../../lambdas/relay/relay-inbound-mail';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { SES_MAX_RAW_MESSAGE_BYTES } from '../../local/ses-outbox-server';
import { RelayHarness, splitAtBlankLine } from './support/relay-harness';

const STORE_CONTACT = 'owner@shop.example';
const STORE_SENDER = 'news@shop.example';
const CUSTOMER = 'taro@example.com';
const MiB = 1024 * 1024;
/** The limit of the second stack: small enough to exceed without megabytes of mail. */
const SMALL_LIMIT = 256 * 1024;
const FAILED_AUTH = 'spf=FAIL, dkim=FAIL, dmarc=FAIL';

/** Deterministic pseudo-random bytes (xorshift32), so a failure reproduces and nothing compresses. */
function pseudoRandomBytes(length: number, seed = 0x2545f491): Buffer {
  const buffer = Buffer.alloc(Math.ceil(length / 4) * 4);
  let x = seed >>> 0;
  for (let offset = 0; offset < buffer.length; offset += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buffer.writeUInt32LE(x, offset);
  }
  return buffer.subarray(0, length);
}

/** RFC 2045 §6.8 base64, 76 characters a line, CRLF line ends. */
function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/**
 * A merchant's mail with one base64 attachment, built by hand so its exact bytes are known: the
 * body the relay must pass on unchanged. `totalBytes` is approximate (within a few hundred bytes).
 */
function mailWithAttachment(options: { to: string; totalBytes: number; extraHeaders?: string[] }): { raw: Buffer; body: Buffer } {
  const boundary = 'large-message-boundary';
  const header = [
    'From: =?UTF-8?B?44OH44Oi5ZWG5bqX?= <news@shop.example>',
    `To: ${options.to}`,
    'Subject: =?UTF-8?B?44Kr44K/44Ot44Kw44KS44GK6YCB44KK44GX44G+44GZ?=',
    'Date: Tue, 1 Apr 2025 12:00:00 +0900',
    `Message-ID: <large-${options.totalBytes}@shop.example>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    ...(options.extraHeaders ?? []),
  ].join('\r\n');
  const intro = [`--${boundary}`, 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit', '', 'カタログをお送りします。', ''].join('\r\n');
  const attachmentHead = [`--${boundary}`, 'Content-Type: application/octet-stream; name="catalog.bin"', 'Content-Disposition: attachment; filename="catalog.bin"', 'Content-Transfer-Encoding: base64', '', ''].join('\r\n');
  const closing = `\r\n--${boundary}--\r\n`;
  const overhead = header.length + 4 + Buffer.byteLength(intro) + attachmentHead.length + closing.length;
  // Base64 grows 4/3 and each 76-character line gains a CRLF.
  const attachmentBytes = Math.max(0, Math.floor(((options.totalBytes - overhead) * 3 * 76) / (4 * 78)));
  const body = Buffer.from(`${intro}${attachmentHead}${base64Lines(pseudoRandomBytes(attachmentBytes))}${closing}`, 'utf8');
  return { raw: Buffer.concat([Buffer.from(`${header}\r\n\r\n`, 'ascii'), body]), body };
}

async function setUpShop(relay: RelayHarness): Promise<IssueAliasResult> {
  await relay.cli(['store', 'create', '--store-id', 'demo-shop', '--name', 'デモ商店', '--contact', STORE_CONTACT, '--sender', STORE_SENDER]);
  return relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'demo-shop', '--order-id', '1001', '--customer', CUSTOMER]);
}

let full: RelayHarness;
let small: RelayHarness;
let fullAlias: IssueAliasResult;
let smallAlias: IssueAliasResult;

beforeAll(async () => {
  const [a, b] = await Promise.allSettled([RelayHarness.start(), RelayHarness.start({ maxOutboundBytes: SMALL_LIMIT })]);
  if (a.status === 'fulfilled') full = a.value;
  if (b.status === 'fulfilled') small = b.value;
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  [fullAlias, smallAlias] = await Promise.all([setUpShop(full), setUpShop(small)]);
});

afterAll(async () => {
  await Promise.all([full?.stop(), small?.stop()]);
});

describe('a message near SES’s 40 MB', () => {
  it('is relayed to the customer with the body byte for byte', { timeout: 90_000 }, async () => {
    const mail = mailWithAttachment({ to: fullAlias.address, totalBytes: 39.5 * MiB });
    expect(mail.raw.length).toBeGreaterThan(39.4 * MiB);
    expect(mail.raw.length).toBeLessThan(39.6 * MiB);

    const sent = await full.send({ envelope: { from: STORE_SENDER, to: [fullAlias.address] }, raw: mail.raw });
    const record = await full.transmission(sent.sesMessageId);
    expect(record).toMatchObject({ outcome: 'relayed', direction: 'merchant_to_customer', state: 'done' });
    expect(record.sizeBytes).toBeGreaterThan(mail.raw.length);

    const out = await full.outbound(record.outboundMessageId!);
    expect(out.envelope.destinations).toEqual([CUSTOMER]);
    expect(out.raw.length).toBeLessThanOrEqual(MAX_OUTBOUND_BYTES);
    const inbound = splitAtBlankLine(await full.inboundRaw(sent.sesMessageId));
    expect(out.body.length).toBe(mail.body.length);
    expect(out.body.equals(inbound.body)).toBe(true);
    expect(out.body.equals(mail.body)).toBe(true);
  });

  it('is refused at SMTP time with 552 above 40 MB, as SES receiving does, and never reaches the relay', { timeout: 60_000 }, async () => {
    const before = await full.stack.ingress.whenIdle();
    const mail = mailWithAttachment({ to: fullAlias.address, totalBytes: 40 * MiB + 64 * 1024 });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: full.stack.ingress.port, secure: false, ignoreTLS: true });
    try {
      await expect(transport.sendMail({ envelope: { from: STORE_SENDER, to: [fullAlias.address] }, raw: mail.raw })).rejects.toMatchObject({ responseCode: 552, response: TOO_BIG });
    } finally {
      transport.close();
    }
    expect(await full.stack.ingress.whenIdle()).toHaveLength(before.length);
  });

  it('refuses a message whose declared SIZE is over 40 MB at MAIL FROM, with the same answer', async () => {
    const replies = await smtpDialogue(full.stack.ingress.port, ['EHLO client.example', `MAIL FROM:<${STORE_SENDER}> SIZE=${40 * MiB + 1}`, `MAIL FROM:<${STORE_SENDER}> SIZE=${40 * MiB}`, 'QUIT']);
    expect(replies.slice(-3)).toEqual([TOO_BIG, expect.stringMatching(/^250 /), expect.stringMatching(/^221 /)]);
  });
});

/** SES's answer to a message over its receiving limit. */
const TOO_BIG = '552 5.3.4 Message size exceeds fixed maximum message size';

/** Each command on its own line, waiting for its reply; answers the last line of every reply. */
async function smtpDialogue(port: number, commands: readonly string[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  const lines: string[] = [];
  let buffered = '';
  let waiting: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let end: number;
    while ((end = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      // `250-…` continues a reply; `250 …` ends it.
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        lines.push(line);
        waiting?.();
      }
    }
  });
  const reply = () => new Promise<void>((resolve) => (waiting = resolve));
  await reply();
  for (const command of commands) {
    const answered = reply();
    socket.write(`${command}\r\n`);
    await answered;
  }
  socket.destroy();
  return lines;
}

describe('the local SES outbox', () => {
  async function sendRaw(relay: RelayHarness, size: number) {
    const head = Buffer.from('From: a@relay.example.jp\r\nTo: b@example.com\r\nSubject: size\r\n\r\n', 'ascii');
    const raw = Buffer.alloc(size, 'A');
    head.copy(raw);
    for (let i = head.length + 76; i < size - 1; i += 78) raw.write('\r\n', i, 'ascii');
    return relay.stack.clients.sesv2.send(
      new SendEmailCommand({ FromEmailAddress: 'a@relay.example.jp', Destination: { ToAddresses: ['b@example.com'] }, Content: { Raw: { Data: raw } } }),
    );
  }

  it('accepts a raw message of exactly 40 MB, as SES v2 does', { timeout: 60_000 }, async () => {
    await expect(sendRaw(full, SES_MAX_RAW_MESSAGE_BYTES)).resolves.toMatchObject({ MessageId: expect.any(String) });
  });

  it('rejects one byte more with MessageRejected, as SES v2 does', async () => {
    await expect(sendRaw(full, SES_MAX_RAW_MESSAGE_BYTES + 1)).rejects.toMatchObject({
      name: 'MessageRejected',
      $metadata: { httpStatusCode: 400 },
      message: expect.stringContaining(String(SES_MAX_RAW_MESSAGE_BYTES)),
    });
  });
});

describe('a message over the relay’s limit', () => {
  it('still relays a message within it', async () => {
    const mail = mailWithAttachment({ to: smallAlias.address, totalBytes: 64 * 1024 });
    const sent = await small.send({ envelope: { from: STORE_SENDER, to: [smallAlias.address] }, raw: mail.raw });
    expect(await small.transmission(sent.sesMessageId)).toMatchObject({ outcome: 'relayed' });
  });

  it('is refused and bounced once to an authenticated sender, naming no other address', async () => {
    const before = await small.outboxIds();
    const mail = mailWithAttachment({ to: smallAlias.address, totalBytes: SMALL_LIMIT + 32 * 1024 });
    const sent = await small.send({ envelope: { from: STORE_SENDER, to: [smallAlias.address] }, raw: mail.raw });

    const record = await small.transmission(sent.sesMessageId);
    expect(record).toMatchObject({ outcome: 'refused', reason: 'message_too_large', bounced: true, storeId: 'demo-shop', state: 'done' });
    expect(record.outboundMessageId).toBeUndefined();

    const added = (await small.outboxIds()).filter((id) => !before.includes(id));
    expect(added).toHaveLength(1);
    const bounce = await small.outbound(added[0]!);
    expect(bounce.envelope).toMatchObject({ from: 'MAILER-DAEMON@relay.example.jp', destinations: [STORE_SENDER] });
    const text = bounce.raw.toString('latin1');
    expect(text).toMatch(/^Content-Type: multipart\/report; report-type=delivery-status;/m);
    expect(text).toMatch(/^Auto-Submitted: auto-replied$/m);
    expect(text).toMatch(/^X-Anshin-Relay: relay\.example\.jp$/m);
    expect(text).toContain(`Final-Recipient: rfc822; ${smallAlias.address}`);
    expect(text).toContain('Status: 5.3.4');
    expect(text.toLowerCase()).not.toContain(CUSTOMER);
    expect(text.toLowerCase()).not.toContain(STORE_CONTACT);
    expect(text).not.toContain('catalog.bin');
  });

  it('is refused when its body fits but not with the rewritten header, and bounced', async () => {
    const before = await small.outboxCount();
    // Only the header takes it over the limit: the body is checked again after the rewrite.
    const mail = mailWithAttachment({ to: smallAlias.address, totalBytes: SMALL_LIMIT + 200 });
    expect(mail.body.length).toBeLessThan(SMALL_LIMIT);
    const sent = await small.send({ envelope: { from: STORE_SENDER, to: [smallAlias.address] }, raw: mail.raw });
    expect(await small.transmission(sent.sesMessageId)).toMatchObject({ outcome: 'refused', reason: 'message_too_large', direction: 'merchant_to_customer', bounced: true });
    expect(await small.outboxCount()).toBe(before + 1);
  });

  it('is refused without a bounce when the sender is not authenticated', async () => {
    const before = await small.outboxCount();
    const mail = mailWithAttachment({ to: smallAlias.address, totalBytes: SMALL_LIMIT + 32 * 1024, extraHeaders: [`X-Local-Verdict: ${FAILED_AUTH}`] });
    const sent = await small.send({ envelope: { from: STORE_SENDER, to: [smallAlias.address] }, raw: mail.raw });

    const record = await small.transmission(sent.sesMessageId);
    expect(record).toMatchObject({ outcome: 'refused', reason: 'message_too_large', state: 'done' });
    expect(record.bounced).toBeUndefined();
    expect(await small.outboxCount()).toBe(before);
  });
});
