import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { SendEmailCommandInput, SendEmailCommandOutput, SESv2Client } from '@aws-sdk/client-sesv2';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { base64Chunks, base64Length } from '../../mail/base64-chunks';
import { MaybeSentError } from '../failures';
import type { Mailer, OutboundMessage } from '../ports';

/**
 * Sends the rewritten message as raw MIME through SES v2. The destinations are always given
 * explicitly: with raw content SES would otherwise take them from the To header, which names the
 * alias, and the message would loop back into the relay.
 *
 * SES v2 speaks JSON, so the raw bytes travel as a base64 string in the request body. Left to the
 * SDK, that string, the JSON text around it and the bytes written to the socket would each be a
 * whole copy of the message (4/3 its size) for as long as the request lasts. Instead the request
 * goes through the client's own middleware stack (endpoint, retries, credentials, signing) with a
 * placeholder where the message goes, and {@link streamRawMessage} swaps in a body that encodes the
 * message a chunk at a time as it is written. Memory stays at the message the caller holds plus a
 * few chunks.
 *
 * SendEmail is not idempotent: SES may accept a request whose answer never arrives, and sending it
 * again delivers a second copy. So the client's retries are let through only for attempts SES
 * answered with a 4xx (it refused the request, throttling included: nothing was sent) or that never
 * reached it (no connection, no credentials). Any attempt that may have reached SES and got no such
 * answer (a lost or cut connection, a timeout, a 5xx) ends the send with a `MaybeSentError`, which
 * the client does not retry and the relay never repeats before the delivery's lease ends.
 */
export class SesMailer implements Mailer {
  constructor(
    private readonly ses: SESv2Client,
    private readonly configurationSetName?: string,
  ) {}

  async send(message: OutboundMessage): Promise<{ messageId: string }> {
    const placeholder = randomBytes(PLACEHOLDER_BYTES);
    const command = new SendEmailCommand({
      FromEmailAddress: message.from,
      Destination: { ToAddresses: [...message.to] },
      Content: { Raw: { Data: placeholder } },
      ...(this.configurationSetName ? { ConfigurationSetName: this.configurationSetName } : {}),
    });
    command.middlewareStack.addRelativeTo(streamRawMessage(message.parts, placeholder), STREAM_RAW_MESSAGE);
    const { MessageId } = await this.ses.send(command);
    if (!MessageId) throw new Error('SES SendEmail returned no message ID');
    return { messageId: MessageId };
  }
}

/** 24 random bytes: 32 base64 characters without padding, which no other part of the body can hold. */
const PLACEHOLDER_BYTES = 24;

type SendEmailMiddleware = FinalizeRequestMiddleware<SendEmailCommandInput, SendEmailCommandOutput>;

/**
 * After the retry middleware, so each attempt gets a fresh body and its outcome is seen before the
 * retry middleware decides on another; before signing, which takes the payload hash from
 * `x-amz-content-sha256` when the request carries it (@smithy/signature-v4 `getPayloadHash`; the
 * SDK sends that header on every SES v2 request anyway).
 */
const STREAM_RAW_MESSAGE = {
  name: 'anshinStreamRawMessage',
  relation: 'before',
  toMiddleware: 'httpSigningMiddleware',
} as const;

/** The serialized JSON body cut around the placeholder, with what signing needs of the whole. */
interface StreamedBody {
  readonly prefix: Buffer;
  readonly suffix: Buffer;
  readonly contentLength: number;
  readonly sha256: string;
}

/**
 * Replaces the request body the SDK serialized (`…"Data":"<placeholder>"…`) by one that streams
 * the base64 of `parts` in the placeholder's place, and sets `content-length` and
 * `x-amz-content-sha256` to those of the streamed body, computed in one pass over chunks of it
 * beforehand, so SigV4 signs exactly the bytes that go out.
 *
 * The request the retry middleware holds keeps its serialized body: each attempt gets a copy with a
 * new stream, and the retry middleware, which gives up on a request whose body is a stream, still
 * retries.
 */
function streamRawMessage(parts: readonly Uint8Array[], placeholder: Uint8Array): SendEmailMiddleware {
  const marker = `"${Buffer.from(placeholder).toString('base64')}"`;
  const messageBytes = parts.reduce((total, part) => total + part.byteLength, 0);
  let prepared: StreamedBody | undefined;
  return (next) => async (args) => {
    const request = args.request as SerializedRequest;
    prepared ??= prepareBody(serializedText(request.body), marker, parts, messageBytes);
    const body = prepared;
    const headers = withoutHeaders(request.headers, ['content-length', 'x-amz-content-sha256']);
    headers['content-length'] = String(body.contentLength);
    headers['x-amz-content-sha256'] = body.sha256;
    const streamed = Object.assign(Object.create(Object.getPrototypeOf(request) as object) as SerializedRequest, request, {
      headers,
      // One chunk ahead of the socket at most; strings are written as they are (all ASCII).
      body: Readable.from(bodyChunks(body, parts), { objectMode: true, highWaterMark: 1 }),
    });
    try {
      return await next({ ...args, request: streamed });
    } catch (error) {
      throw mayHaveReachedSes(error) ? maybeSent(error) : error;
    }
  };
}

/** Connection errors that mean the request never left: nothing reached SES. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'CredentialsProviderError']);

/**
 * True unless the attempt certainly sent nothing: SES answered it with a 4xx, or it failed before a
 * connection was made or the request could be signed.
 */
function mayHaveReachedSes(error: unknown): boolean {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = fields.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return false;
  if (typeof status === 'number' && status >= 500) return true;
  return !(NOT_CONNECTED.has(String(fields.code)) || NOT_CONNECTED.has(String(fields.name)));
}

/**
 * The error that ends the send. It deliberately has no `cause`, `$retryable` or `$metadata`: the
 * SDK's retry decision looks at all three (and down the cause chain) and would send the message
 * again. What happened is kept as a name only.
 */
function maybeSent(error: unknown): MaybeSentError {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; code?: unknown };
  const name = typeof fields.code === 'string' && fields.name === 'Error' ? fields.code : String(fields.name ?? 'unknown');
  return Object.assign(new MaybeSentError('SES may have accepted the message: the attempt ended without an answer that says it did not'), {
    attemptErrorName: /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/.test(name) ? name : 'unknown',
  });
}

interface SerializedRequest {
  headers: Record<string, string>;
  body?: unknown;
}

function serializedText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  throw new TypeError('SendEmail was not serialized to a JSON body');
}

function prepareBody(json: string, marker: string, parts: readonly Uint8Array[], messageBytes: number): StreamedBody {
  const at = json.indexOf(marker);
  if (at < 0 || json.indexOf(marker, at + 1) >= 0) throw new Error('the raw message placeholder is not in the SendEmail body exactly once');
  const prefix = Buffer.from(json.slice(0, at + 1), 'utf8');
  const suffix = Buffer.from(json.slice(at + marker.length - 1), 'utf8');
  const hash = createHash('sha256');
  const pieces = { prefix, suffix, contentLength: 0, sha256: '' };
  for (const chunk of bodyChunks(pieces, parts)) hash.update(chunk);
  return { prefix, suffix, contentLength: prefix.length + base64Length(messageBytes) + suffix.length, sha256: hash.digest('hex') };
}

function* bodyChunks(body: Pick<StreamedBody, 'prefix' | 'suffix'>, parts: readonly Uint8Array[]): Generator<Buffer | string> {
  yield body.prefix;
  yield* base64Chunks(parts);
  yield body.suffix;
}

function withoutHeaders(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name.toLowerCase())));
}
