import { createHash, createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SesMailer } from '../../../../lambdas/relay/aws/ses-mailer';
import { BASE64_CHUNK_INPUT_BYTES } from '../../../../lambdas/mail/base64-chunks';
import { japaneseBytes } from '../../mail/japanese-bytes';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const REGION = 'ap-northeast-1';

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Stands in for SES's endpoint: records each request whole, then answers as the next scripted
 * failure says (a server error, throttling, a refusal, or no answer at all: the connection is cut
 * after the request was read, as when an answer is lost), and with a message ID once none is left.
 */
type Failure = 'server_error' | 'throttled' | 'rejected' | 'answer_lost';
let server: Server;
let endpoint: string;
const received: Received[] = [];
let failures: Failure[] = [];

function fail(res: ServerResponse, status: number, type: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type }).end('{"message":"scripted"}');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const failure = failures.shift();
      if (failure === 'server_error') fail(res, 500, 'InternalFailure');
      else if (failure === 'throttled') fail(res, 429, 'TooManyRequestsException');
      else if (failure === 'rejected') fail(res, 400, 'MessageRejected');
      else if (failure === 'answer_lost') req.socket.destroy();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(`{"MessageId":"ses-${received.length}"}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterEach(() => {
  received.length = 0;
  failures = [];
});

function client(): SESv2Client {
  return new SESv2Client({ region: REGION, endpoint, credentials: { ...CREDENTIALS }, maxAttempts: 3 });
}

/**
 * SigV4 as the service checks it (AWS General Reference, "Create a signed AWS API request"),
 * written independently of the SDK: the canonical request from what arrived, the payload hash of
 * the bytes that arrived, and the signature the credentials give for it.
 */
function expectValidSignature(request: Received): void {
  const authorization = String(request.headers.authorization);
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization);
  expect(match).not.toBeNull();
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match!;
  expect(accessKeyId).toBe(CREDENTIALS.accessKeyId);
  expect(region).toBe(REGION);
  const names = signedHeaders!.split(';');
  expect(names).toEqual(expect.arrayContaining(['host', 'content-length', 'x-amz-content-sha256', 'x-amz-date']));
  const canonicalHeaders = names.map((name) => `${name}:${String(request.headers[name]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const canonicalRequest = [request.method, request.path.split('?')[0], '', canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', String(request.headers['x-amz-date']), scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = [date!, region!, service!, 'aws4_request'].reduce<Buffer>((k, part) => createHmac('sha256', k).update(part).digest(), Buffer.from(`AWS4${CREDENTIALS.secretAccessKey}`));
  expect(createHmac('sha256', key).update(stringToSign).digest('hex')).toBe(signature);
}

/** What SES takes from the request: the raw message bytes and the envelope. */
function sentMessage(request: Received): { raw: Buffer; body: Record<string, unknown> } {
  expect(Number(request.headers['content-length'])).toBe(request.body.length);
  expect(request.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(request.body).digest('hex'));
  const body = JSON.parse(request.body.toString('utf8')) as { Content: { Raw: { Data: string } } } & Record<string, unknown>;
  const data = body.Content.Raw.Data;
  expect(data).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
  return { raw: Buffer.from(data, 'base64'), body };
}

function japaneseMail(bodyBytes: number): Buffer {
  const header = Buffer.from(
    [
      'From: =?UTF-8?B?44OH44Oi5ZWG5bqX?= <m-4n8p2r6t1vwx@relay.example.jp>',
      'To: c-7k2m9q4x0abc@relay.example.jp',
      'Subject: =?ISO-2022-JP?B?GyRCJDRDbUp4JCIkaiQsJEgkJiQ0JDYkJCReJDkbKEI=?=',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=Shift_JIS',
      'Content-Transfer-Encoding: 8bit',
      '',
      '',
    ].join('\r\n'),
  );
  const text = japaneseBytes('ご注文ありがとうございます。商品は明日発送いたします。\r\n'.repeat(Math.ceil(bodyBytes / 50)), 'SJIS');
  return Buffer.concat([header, text.subarray(0, bodyBytes)]);
}

describe('SesMailer', () => {
  it.each([
    ['a short message', 200],
    ['a message whose length leaves one byte over a group of three', 3 * 1000 + 1],
    ['a message whose length leaves two bytes over', 3 * 1000 + 2],
    ['a message across several body chunks', BASE64_CHUNK_INPUT_BYTES * 3 + 7],
  ])('hands SES %s byte for byte, Japanese included, in a body signed as sent', async (_label, bodyBytes) => {
    const raw = japaneseMail(bodyBytes);
    const ses = client();

    const sent = await new SesMailer(ses, 'relay-events').send({ from: 'm-4n8p2r6t1vwx@relay.example.jp', to: ['taro@example.com'], parts: [raw] });
    ses.destroy();

    expect(sent).toEqual({ messageId: 'ses-1' });
    expect(received).toHaveLength(1);
    const request = received[0]!;
    expect(request).toMatchObject({ method: 'POST', path: '/v2/email/outbound-emails' });
    const message = sentMessage(request);
    expect(message.raw.equals(raw)).toBe(true);
    expect(message.body).toMatchObject({ FromEmailAddress: 'm-4n8p2r6t1vwx@relay.example.jp', Destination: { ToAddresses: ['taro@example.com'] }, ConfigurationSetName: 'relay-events' });
    expectValidSignature(request);
  });

  it('sends every byte value unchanged, from a view into a larger buffer', async () => {
    const backing = Buffer.alloc(70_000);
    for (let i = 0; i < backing.length; i += 1) backing[i] = (i * 7919) % 256;
    const raw = backing.subarray(5, backing.length - 3);
    const ses = client();

    await new SesMailer(ses).send({ from: 'a@relay.example.jp', to: ['b@example.com'], parts: [raw] });
    ses.destroy();

    const message = sentMessage(received[0]!);
    expect(message.raw.equals(raw)).toBe(true);
    expect(message.body).not.toHaveProperty('ConfigurationSetName');
    expectValidSignature(received[0]!);
  });

  it.each([1, 2, 3, 7, BASE64_CHUNK_INPUT_BYTES + 1])('sends a header block of %i bytes and the body as one message, never joining them', async (headerBytes) => {
    const raw = japaneseMail(BASE64_CHUNK_INPUT_BYTES * 2 + 5);
    const ses = client();

    await new SesMailer(ses).send({ from: 'a@relay.example.jp', to: ['b@example.com'], parts: [raw.subarray(0, headerBytes), raw.subarray(headerBytes)] });
    ses.destroy();

    expect(sentMessage(received[0]!).raw.equals(raw)).toBe(true);
    expectValidSignature(received[0]!);
  });

  it('sends the whole message again, freshly signed, when SES throttled the attempt before', async () => {
    failures = ['throttled', 'throttled'];
    const raw = japaneseMail(BASE64_CHUNK_INPUT_BYTES + 11);
    const ses = client();

    const sent = await new SesMailer(ses).send({ from: 'a@relay.example.jp', to: ['b@example.com'], parts: [raw] });
    ses.destroy();

    expect(sent).toEqual({ messageId: 'ses-3' });
    expect(received).toHaveLength(3);
    for (const request of received) {
      expect(sentMessage(request).raw.equals(raw)).toBe(true);
      expectValidSignature(request);
    }
    expect(received.map((request) => request.headers['amz-sdk-request'])).toEqual(['attempt=1; max=3', 'attempt=2; max=3', 'attempt=3; max=3']);
  });

  it('reports throttling once the retries are used up', async () => {
    failures = ['throttled', 'throttled', 'throttled'];
    const ses = client();

    await expect(new SesMailer(ses).send({ from: 'a@relay.example.jp', to: ['b@example.com'], parts: [japaneseMail(100)] })).rejects.toMatchObject({ name: 'TooManyRequestsException' });
    ses.destroy();

    expect(received).toHaveLength(3);
  });

  it.each([
    ['answers with a server error', 'server_error' as const, 'InternalFailure'],
    // The SDK names a socket closed before any answer a TimeoutError.
    ['never answers: the connection is cut after the request', 'answer_lost' as const, 'TimeoutError'],
  ])('never sends again when SES %s: the send ends as maybe sent', async (_label, failure, attemptErrorName) => {
    failures = [failure];
    const ses = client();

    const sending = new SesMailer(ses).send({ from: 'a@relay.example.jp', to: ['b@example.com'], parts: [japaneseMail(100)] });
    await expect(sending).rejects.toMatchObject({ name: 'MaybeSentError', attemptErrorName });
    ses.destroy();

    expect(received).toHaveLength(1);
  });

  it('reports a refusal as SES gave it, without trying again', async () => {
    failures = ['rejected'];
    const ses = client();

    await expect(new SesMailer(ses).send({ from: 'a@relay.example.jp', to: ['b@example.com'], parts: [japaneseMail(100)] })).rejects.toMatchObject({ name: 'MessageRejected' });
    ses.destroy();

    expect(received).toHaveLength(1);
  });

  it('tries again when nothing listens: the request never reached SES', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const ses = new SESv2Client({ region: REGION, endpoint: `http://127.0.0.1:${port}`, credentials: { ...CREDENTIALS }, maxAttempts: 2 });

    await expect(new SesMailer(ses).send({ from: 'a@relay.example.jp', to: ['b@example.com'], parts: [japaneseMail(100)] })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    ses.destroy();
  });

  it('sends an empty message as an empty Data string', async () => {
    const ses = client();

    await new SesMailer(ses).send({ from: 'a@relay.example.jp', to: ['b@example.com'], parts: [new Uint8Array(0)] });
    ses.destroy();

    expect(received[0]!.body.toString('utf8')).toContain('"Data":""');
    expect(sentMessage(received[0]!).raw.length).toBe(0);
    expectValidSignature(received[0]!);
  });
});
