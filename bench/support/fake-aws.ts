/**
 * The AWS network of the whole-handler benchmark, answered in-process: one request handler that
 * both the project's SDK clients and the peer's are given, so neither side pays more for the fake
 * than the other. It answers what each side asks of S3, SES v2, DynamoDB and KMS with fixed,
 * well-formed answers, reads every request body to its end (as a socket would), and counts calls
 * by service and operation. Signing, serialising and parsing stay the SDK's real work.
 */
import { Readable } from 'node:stream';
import { HttpResponse } from '@smithy/protocol-http';
import type { HttpRequest } from '@smithy/protocol-http';

/** What the fake's DynamoDB and KMS answer with, in DynamoDB's attribute-value JSON. */
export interface FakeAwsState {
  /** Raw messages by S3 object key. */
  readonly objects: Map<string, Buffer>;
  /** GetItem answers by table name. */
  readonly items: Map<string, Record<string, unknown>>;
  /** Query answers (without an index) by table name. */
  readonly queries: Map<string, readonly Record<string, unknown>[]>;
}

export type CallCounts = Record<string, Record<string, number>>;

async function drain(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

function json(body: unknown): HttpResponse {
  const text = Buffer.from(JSON.stringify(body));
  return new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(text.length) }, body: Readable.from([text]) });
}

const COPY_RESULT = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult><LastModified>2026-12-08T00:00:00.000Z</LastModified><ETag>"0"</ETag></CopyObjectResult>');
const FIXED_MAC = Buffer.alloc(32, 7).toString('base64');

/** A request handler for SDK v3 clients (`requestHandler`), answering every call from `state`. */
export class FakeAwsNetwork {
  readonly calls: CallCounts = {};
  private sent = 0;

  constructor(readonly state: FakeAwsState) {}

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  resetCalls(): void {
    for (const service of Object.keys(this.calls)) delete this.calls[service];
  }

  private count(service: string, operation: string): void {
    const perService = (this.calls[service] ??= {});
    perService[operation] = (perService[operation] ?? 0) + 1;
  }

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const body = await drain(request.body);
    const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
    if (target) return { response: this.jsonService(String(target), body) };
    if (request.path.startsWith('/v2/email/outbound-emails')) {
      this.count('sesv2', 'SendEmail');
      this.sent += 1;
      return { response: json({ MessageId: `0000019a-bench-${this.sent}` }) };
    }
    return { response: this.s3(request) };
  }

  private s3(request: HttpRequest): HttpResponse {
    const copySource = request.headers['x-amz-copy-source'];
    if (request.method === 'PUT' && copySource) {
      this.count('s3', 'CopyObject');
      return new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/xml', 'content-length': String(COPY_RESULT.length) }, body: Readable.from([COPY_RESULT]) });
    }
    this.count('s3', request.method === 'GET' ? 'GetObject' : request.method);
    // Path-style (`/bucket/key`) or virtual-hosted (`/key`): the key is what follows the bucket.
    const path = decodeURIComponent(request.path).replace(/^\/+/, '');
    const object = this.state.objects.get(path) ?? this.state.objects.get(path.slice(path.indexOf('/') + 1));
    if (!object) return new HttpResponse({ statusCode: 404, headers: { 'content-type': 'application/xml' }, body: Readable.from([Buffer.from('<Error><Code>NoSuchKey</Code></Error>')]) });
    return new HttpResponse({ statusCode: 200, headers: { 'content-type': 'message/rfc822', 'content-length': String(object.length) }, body: Readable.from([object]) });
  }

  private jsonService(target: string, body: Buffer): HttpResponse {
    const [prefix = '', operation = ''] = target.split('.');
    const input = JSON.parse(body.toString('utf8') || '{}') as { TableName?: string; IndexName?: string; CiphertextBlob?: string };
    if (prefix.startsWith('TrentService')) {
      this.count('kms', operation);
      if (operation === 'Decrypt') return json({ KeyId: 'bench-data-key', Plaintext: input.CiphertextBlob, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
      if (operation === 'GenerateMac') return json({ KeyId: 'bench-hmac-key', Mac: FIXED_MAC, MacAlgorithm: 'HMAC_SHA_256' });
      return json({});
    }
    this.count('dynamodb', operation);
    const table = input.TableName ?? '';
    if (operation === 'GetItem') {
      const item = this.state.items.get(table);
      return json(item ? { Item: item } : {});
    }
    if (operation === 'Query') {
      const items = input.IndexName === undefined ? (this.state.queries.get(table) ?? []) : [];
      return json({ Items: items, Count: items.length, ScannedCount: items.length });
    }
    return json({});
  }
}

/** The keyed hash every address gets from the fake's GenerateMac, as `KmsKeyService.mac` renders it. */
export const FAKE_MAC_HEX = Buffer.from(FIXED_MAC, 'base64').toString('hex');
