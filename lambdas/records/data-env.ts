import { parseRetentionPolicy } from './retention-policy';
import type { RetentionPolicy } from './retention-policy';
import { requireEnv } from '../env';
import type { TableKey } from './table-schema';

/**
 * Environment of the retention and destruction functions. The CDK constructs set these variables
 * and the handlers read them; both import this map so a rename cannot break one side silently.
 */
export const DATA_ENV = {
  aliasesTable: 'ALIASES_TABLE',
  storesTable: 'STORES_TABLE',
  transmissionsTable: 'TRANSMISSIONS_TABLE',
  accessTable: 'ACCESS_TABLE',
  receiptsTable: 'RECEIPTS_TABLE',
  /** Bucket holding raw inbound mail below `inbound/`. */
  inboundBucket: 'INBOUND_BUCKET',
  /** The retention policy as JSON (`RetentionPolicy`); its version goes on every receipt. */
  retentionPolicy: 'RETENTION_POLICY',
  /** HMAC key for address hashes and receipt subject hashes (destruction only). */
  hmacKeyId: 'HMAC_KEY_ID',
  /** The destruction function, which the retention run asks to erase stores whose support ended (retention only). */
  destructionFunctionName: 'DESTRUCTION_FUNCTION_NAME',
} as const;

/** `source` of the marketplace's EventBridge events the destruction function acts on. */
export const MARKETPLACE_EVENT_SOURCE = 'anshin.marketplace';

/** `detail-type`s of those events: `{ storeId }` and `{ email }` details respectively. */
export const DESTRUCTION_EVENT_TYPES = {
  storeTerminated: 'Store Terminated',
  customerDeletionRequested: 'Customer Deletion Requested',
} as const;

/** Tables, bucket and policy both functions read at cold start, failing with the variable's name. */
export function dataSettingsFromEnv(): { tables: Record<TableKey, string>; inboundBucket: string; policy: RetentionPolicy } {
  return {
    tables: {
      aliases: requireEnv(DATA_ENV.aliasesTable),
      stores: requireEnv(DATA_ENV.storesTable),
      transmissions: requireEnv(DATA_ENV.transmissionsTable),
      access: requireEnv(DATA_ENV.accessTable),
      receipts: requireEnv(DATA_ENV.receiptsTable),
    },
    inboundBucket: requireEnv(DATA_ENV.inboundBucket),
    policy: parseRetentionPolicy(requireEnv(DATA_ENV.retentionPolicy)),
  };
}
