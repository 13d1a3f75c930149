import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaContext, proxyEvent, readBody, send, sendResult } from './lambda-proxy';
import { closeServer, listen, LOOPBACK } from './listen';
import type { LocalLog } from './log';

/** The service name SigV4 signs API Gateway requests for. */
const API_SIGNING_SERVICE = 'execute-api';

/** The principal API Gateway reports for a request signed with the local credentials. */
const LOCAL_CALLER_ARN = 'arn:aws:iam::000000000000:user/local';

/** Requests may be signed this far from the server's clock, as AWS allows. */
const MAX_CLOCK_SKEW_MS = 15 * 60_000;

export interface LocalApiOptions {
  readonly port: number;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The API's Lambda handler, as deployed. */
  readonly handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  readonly log: LocalLog;
  readonly clock?: () => Date;
}

export interface LocalApi {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The marketplace API on loopback as API Gateway serves it: each request's SigV4 signature is
 * checked against the local credentials (service `execute-api`, the stack's region), and an
 * unsigned or wrongly signed one is refused with 403 as API Gateway refuses it; a signed one
 * becomes the REST API's proxy event for the API function's own handler.
 */
export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const clock = options.clock ?? (() => new Date());

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? LOOPBACK}`);
    const refusal = verifySignature(req, url, body, { ...options.credentials, region: options.region }, clock());
    if (refusal) {
      options.log('api_request_refused', { status: 403, reason: refusal.reason });
      send(res, 403, { 'content-type': 'application/json', 'x-amzn-errortype': refusal.type }, JSON.stringify({ message: refusal.message }));
      return;
    }
    sendResult(res, await options.handler(proxyEvent(req, url, body, { userArn: LOCAL_CALLER_ARN }), lambdaContext('anshin-api-local')));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log('api_server_failed', { errorName: error instanceof Error ? error.name : 'unknown' });
      if (!res.headersSent) send(res, 500, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Internal server error' }));
    });
  });
  const port = await listen(server, 'marketplace API', options.port);
  return { url: `http://${LOOPBACK}:${port}`, close: () => closeServer(server) };
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Computes the signature again from what arrived (method, path, query, the headers it says it
 * signed, its body) and compares; the wording of the refusals is API Gateway's.
 */
function verifySignature(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  expected: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly region: string },
  now: Date,
): { type: string; message: string; reason: string } | undefined {
  const authorization = req.headers.authorization;
  if (!authorization) return { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token', reason: 'unsigned' };
  const match = AUTHORIZATION.exec(authorization);
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const signedAt = parseAmzDate(amzDate);
  const mismatch = { type: 'InvalidSignatureException', message: 'The request signature we calculated does not match the signature you provided.', reason: 'bad_signature' };
  if (!match || !signedAt) return { ...mismatch, reason: 'malformed_authorization' };
  const [, keyId, date = '', region = '', service = '', signedHeaders = '', signature] = match;
  if (keyId !== expected.accessKeyId) return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', reason: 'unknown_key' };
  if (service !== API_SIGNING_SERVICE || region !== expected.region) return { ...mismatch, reason: 'wrong_scope' };
  if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_CLOCK_SKEW_MS) {
    return { type: 'InvalidSignatureException', message: 'Signature expired: the request was signed too long ago or ahead.', reason: 'expired' };
  }
  const names = signedHeaders.split(';');
  const bodyHash = sha256Hex(body);
  const declaredHash = req.headers['x-amz-content-sha256'];
  if (declaredHash !== undefined && declaredHash !== bodyHash) return { ...mismatch, reason: 'body_changed' };
  const canonicalRequest = [
    req.method ?? 'GET',
    canonicalPath(url.pathname),
    canonicalQuery(url.searchParams),
    names.map((name) => `${name}:${headerValue(req, name).trim().replace(/\s+/g, ' ')}\n`).join(''),
    signedHeaders,
    bodyHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(Buffer.from(canonicalRequest, 'utf8'))].join('\n');
  const signingKey = [date, region, service, 'aws4_request'].reduce<Buffer>((key, part) => hmac(key, part ?? ''), Buffer.from(`AWS4${expected.secretAccessKey}`));
  const recomputed = hmac(signingKey, stringToSign).toString('hex');
  return recomputed.length === signature?.length && timingSafeEqual(Buffer.from(recomputed), Buffer.from(signature)) ? undefined : mismatch;
}

/**
 * The canonical request of SigV4 (AWS General Reference, "Create a canonical request"), written out
 * rather than asking @smithy/signature-v4 to sign again: that signer adds and signs
 * `x-amz-content-sha256` itself, so it cannot reproduce a signature over exactly the headers a
 * client such as `curl --aws-sigv4` chose. Paths are encoded twice, as for every service but S3.
 */
function canonicalPath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeRfc3986(segment))
    .join('/');
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .map(([key, value]) => [encodeRfc3986(key), encodeRfc3986(value)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function headerValue(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

/** `20261207T120000Z`. */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}
