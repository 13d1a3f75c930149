/**
 * Local stand-in for AWS KMS, speaking the KMS JSON 1.1 protocol well enough for the SDK v3
 * `KMSClient` with an `endpoint` override. It exists because no KMS emulator is published on npm,
 * and the relay's address encryption and keyed hashing must run unchanged on a laptop. Requests
 * are not authenticated (it listens on loopback only). It is never deployed.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KmsError } from './errors';
import { Keyring } from './keyring';
import type { LocalKey } from './keyring';
import { OPERATIONS } from './operations';
import { closeServer, listen, LOOPBACK } from '../listen';

const TARGET_PREFIX = 'TrentService.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const MAX_REQUEST_BYTES = 1024 * 1024;

export interface KmsServerOptions {
  /** File holding the key material; created with mode 0600 when absent. */
  readonly keyringPath: string;
  readonly region: string;
  /** @default 0 (any free port) */
  readonly port?: number;
}

export interface KmsServer {
  readonly url: string;
  readonly dataKey: LocalKey;
  readonly hmacKey: LocalKey;
  /** ECC_NIST_P256 signing key for receipts. */
  readonly receiptKey: LocalKey;
  /** HMAC_256 key investigations' pseudonym keys are derived from. */
  readonly pseudonymKey: LocalKey;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(new KmsError('ValidationException', 'Request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  response.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': payload.length, 'x-amzn-RequestId': randomUUID() });
  response.end(payload);
}

async function handle(keyring: Keyring, request: IncomingMessage): Promise<unknown> {
  if (request.method !== 'POST') throw new KmsError('UnknownOperationException', `${request.method ?? ''} is not supported`);
  const target = request.headers['x-amz-target'];
  const operation = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? OPERATIONS[target.slice(TARGET_PREFIX.length)] : undefined;
  if (!operation) throw new KmsError('UnknownOperationException', `Unsupported operation ${String(target)}`);
  const body = await readBody(request);
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new KmsError('SerializationException', 'The request body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new KmsError('SerializationException', 'The request body is not a JSON object');
  return operation(keyring, parsed as Record<string, unknown>);
}

/** Starts the KMS endpoint on loopback with the keyring at `keyringPath`. */
export async function startKmsServer(options: KmsServerOptions): Promise<KmsServer> {
  const keyring = await Keyring.open(options.keyringPath, options.region);
  const server = createServer((request, response) => {
    handle(keyring, request).then(
      (result) => reply(response, 200, result),
      (error: unknown) => {
        if (error instanceof KmsError) reply(response, 400, { __type: error.type, message: error.message });
        else reply(response, 500, { __type: 'KMSInternalException', message: 'Internal error in the local KMS' });
      },
    );
  });
  const port = await listen(server, 'local KMS', options.port ?? 0);
  return {
    url: `http://${LOOPBACK}:${port}`,
    dataKey: keyring.data,
    hmacKey: keyring.hmac,
    receiptKey: keyring.receipts,
    pseudonymKey: keyring.pseudonym,
    close: () => closeServer(server),
  };
}
