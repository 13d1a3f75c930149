import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TableKey } from '../lambdas/records/table-schema';

/**
 * What `<dataDir>/endpoints.json` holds while a local stack runs: where each stand-in listens and
 * the names a client needs (tables, bucket, keys). The operator CLI and tools read it to talk to
 * the running stack; it is removed when the stack stops.
 */
export interface LocalEndpoints {
  /** SMTP ingress, e.g. `smtp://127.0.0.1:2525`. */
  readonly smtp: string;
  /** SES v2 API and the web inbox of sent mail (aws-ses-v2-local). */
  readonly outbox: string;
  readonly dynamodb: string;
  readonly s3: string;
  readonly kms: string;
  /** The control endpoint (`control-server.ts`): dead-letter replay and redelivery, for the CLI. */
  readonly control: string;
  /** The marketplace API (`api-server.ts`): SigV4-signed requests with the local credentials, service `execute-api`. */
  readonly api: string;
  /** The merchant menu (`menu-server.ts`), e.g. `http://127.0.0.1:4590`. */
  readonly menu: string;
  /** The stores' user pool on cognito-local, and the menu's app client. */
  readonly cognito: { readonly url: string; readonly userPoolId: string; readonly clientId: string };
  readonly relayDomain: string;
  readonly region: string;
  /** Absolute path of the directory holding `<id>.eml` and `<id>.json` of every sent message. */
  readonly outboxDir: string;
  readonly inboundBucket: string;
  /** Where the analysis export writes its Parquet (`records/day=…/`). */
  readonly analysisBucket: string;
  readonly tables: Readonly<Record<TableKey, string>>;
  /** ARNs of the address (encryption) key, the HMAC key, the receipt signing key and the pseudonym key. */
  readonly keys: { readonly data: string; readonly hmac: string; readonly receipts: string; readonly pseudonym: string };
  /** Static dummy credentials; only the marketplace API checks signatures made with them. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

const ENDPOINTS_FILE = 'endpoints.json';

class LocalEndpointsError extends Error {
  override readonly name = 'LocalEndpointsError';
}

/** Reads `<dir>/endpoints.json`; rejects when the file is absent (no stack running) or malformed. */
export async function readLocalEndpoints(dir: string): Promise<LocalEndpoints> {
  const path = join(dir, ENDPOINTS_FILE);
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  const endpoints = parsed as Partial<LocalEndpoints> | null;
  const required = ['smtp', 'outbox', 'dynamodb', 's3', 'kms', 'control', 'relayDomain', 'region', 'outboxDir', 'inboundBucket', 'analysisBucket'] as const;
  const missing = required.filter((field) => typeof endpoints?.[field] !== 'string');
  if (!endpoints || missing.length > 0 || !endpoints.tables || !endpoints.keys || !endpoints.credentials) {
    throw new LocalEndpointsError(`${path} is not a local stack description (missing ${missing.join(', ') || 'tables, keys or credentials'})`);
  }
  return endpoints as LocalEndpoints;
}

export async function writeLocalEndpoints(dir: string, endpoints: LocalEndpoints): Promise<void> {
  await writeFile(join(dir, ENDPOINTS_FILE), `${JSON.stringify(endpoints, null, 2)}\n`);
}

export async function removeLocalEndpoints(dir: string): Promise<void> {
  await rm(join(dir, ENDPOINTS_FILE), { force: true });
}
