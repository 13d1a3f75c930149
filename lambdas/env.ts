import { parseRetentionPolicy } from './records/retention-policy';
import type { RetentionPolicy } from './records/retention-policy';
import type { TableKey } from './records/table-schema';

/**
 * Environment of every function: how a handler reads its settings at cold start, and the names of
 * the variables. The CDK constructs set them from these same maps, so a rename cannot break one side
 * silently; nothing else names them.
 */

/** The one region where user data may be stored, used or accessed. */
export const HOME_REGION = 'ap-northeast-1';

/**
 * Refuses to start anywhere but {@link HOME_REGION}: a function deployed or copied to another region
 * must not touch user data from there. Every handler calls it first, at cold start.
 */
export function requireHomeRegion(): void {
  const region = process.env.AWS_REGION;
  if (region !== HOME_REGION) throw new Error(`this function runs only in ${HOME_REGION}; AWS_REGION is ${region === undefined || region === '' ? 'not set' : region}`);
}

/** Reads a required environment variable once, at cold start, failing with its name. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function requireJsonEnv(name: string): unknown {
  try {
    return JSON.parse(requireEnv(name)) as unknown;
  } catch (error) {
    if (error instanceof SyntaxError) throw new Error(`environment variable ${name} must be JSON`);
    throw error;
  }
}

export function requirePositiveIntegerEnv(name: string): number {
  const value = Number(requireEnv(name));
  if (!Number.isInteger(value) || value < 1) throw new Error(`environment variable ${name} must be a positive whole number`);
  return value;
}

/**
 * Names of the relay function's environment variables. The CDK construct sets them and the handler
 * reads them; both import this map so a rename cannot break one side silently.
 */
export const RELAY_ENV = {
  aliasesTable: 'ALIASES_TABLE',
  storesTable: 'STORES_TABLE',
  transmissionsTable: 'TRANSMISSIONS_TABLE',
  /** The address key: the symmetric customer-managed key that encrypts real addresses, and only them. */
  addressKeyId: 'ADDRESS_KEY_ID',
  /** HMAC_256 KMS key for address hashes and alias derivation; its secret never leaves KMS. */
  hmacKeyId: 'HMAC_KEY_ID',
  relayDomain: 'RELAY_DOMAIN',
  transmissionRetentionDays: 'TRANSMISSION_RETENTION_DAYS',
  /** Days raw mail is kept: older notifications are dropped, however often replayed. */
  contentRetentionDays: 'CONTENT_RETENTION_DAYS',
  /** Where the relay sends notifications that failed permanently, with the reason. */
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  /** The queue the relay reads; failed messages get their next receive delayed there (backoff). */
  relayQueueUrl: 'RELAY_QUEUE_URL',
  /** SES configuration set every send goes through, so bounces and complaints reach the feedback function. */
  configurationSet: 'CONFIGURATION_SET',
  /** `drop` or `quarantine`: what a failed SES spam verdict does (RelayConfig.spamVerdictAction). */
  spamVerdictAction: 'SPAM_VERDICT_ACTION',
  /** DSNs one envelope sender may receive per hour (RelayConfig.bounces.maxPerSenderPerHour). */
  bouncesPerSenderPerHour: 'BOUNCES_PER_SENDER_PER_HOUR',
  /** The rate limits as JSON (`RateLimits`). */
  rateLimits: 'RATE_LIMITS',
  /** The merchant menu's URL, where store mail's List-Unsubscribe points. */
  menuUrl: 'MENU_URL',
} as const;


/**
 * Names of the feedback function's environment variables, shared by the CDK construct that sets
 * them and the handler that reads them.
 */
export const FEEDBACK_ENV = {
  aliasesTable: 'ALIASES_TABLE',
  transmissionsTable: 'TRANSMISSIONS_TABLE',
  relayDomain: 'RELAY_DOMAIN',
  hardBouncePauseDays: 'HARD_BOUNCE_PAUSE_DAYS',
  transmissionRetentionDays: 'TRANSMISSION_RETENTION_DAYS',
} as const;


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
  /** The address key, to find the customer behind an alias a deletion names (destruction only). */
  addressKeyId: 'ADDRESS_KEY_ID',
  /** The destruction function, which the retention run asks to erase stores whose support ended (retention only). */
  destructionFunctionName: 'DESTRUCTION_FUNCTION_NAME',
  /** The stores' user pool, whose accounts destruction erases (destruction only). */
  userPoolId: 'USER_POOL_ID',
  /** The asymmetric key receipts are signed with. */
  receiptKeyId: 'RECEIPT_KEY_ID',
} as const;

/** Names of the abuse-signals function's environment variables. */
export const FRAUD_ENV = {
  storesTable: 'STORES_TABLE',
  transmissionsTable: 'TRANSMISSIONS_TABLE',
  accessTable: 'ACCESS_TABLE',
  /** The thresholds as JSON (`FraudThresholds`). */
  thresholds: 'FRAUD_THRESHOLDS',
} as const;

/** Names of the analysis export function's environment variables. */
export const ANALYSIS_ENV = {
  storesTable: 'STORES_TABLE',
  transmissionsTable: 'TRANSMISSIONS_TABLE',
  accessTable: 'ACCESS_TABLE',
  /** Days a transmission record is kept: the day's records are found by their `purgeAt`. */
  transmissionRetentionDays: 'TRANSMISSION_RETENTION_DAYS',
  /** The abuse-signal thresholds as JSON, for the signal columns. */
  thresholds: 'FRAUD_THRESHOLDS',
  analysisBucket: 'ANALYSIS_BUCKET',
  /** HMAC_256 key investigation keys are derived from. */
  pseudonymKeyId: 'PSEUDONYM_KEY_ID',
} as const;

/** Names of the marketplace API function's environment variables. */
export const API_ENV = {
  aliasesTable: 'ALIASES_TABLE',
  storesTable: 'STORES_TABLE',
  receiptsTable: 'RECEIPTS_TABLE',
  addressKeyId: 'ADDRESS_KEY_ID',
  hmacKeyId: 'HMAC_KEY_ID',
  relayDomain: 'RELAY_DOMAIN',
  aliasValidityDays: 'ALIAS_VALIDITY_DAYS',
  aliasSupportDays: 'ALIAS_SUPPORT_DAYS',
  evidenceRetentionDays: 'EVIDENCE_RETENTION_DAYS',
  destructionFunctionName: 'DESTRUCTION_FUNCTION_NAME',
  userPoolId: 'USER_POOL_ID',
  userPoolClientId: 'USER_POOL_CLIENT_ID',
  menuUrl: 'MENU_URL',
  noticeSender: 'NOTICE_SENDER',
} as const;

/** Names of the merchant menu function's environment variables. */
export const MENU_ENV = {
  aliasesTable: 'ALIASES_TABLE',
  storesTable: 'STORES_TABLE',
  transmissionsTable: 'TRANSMISSIONS_TABLE',
  accessTable: 'ACCESS_TABLE',
  addressKeyId: 'ADDRESS_KEY_ID',
  hmacKeyId: 'HMAC_KEY_ID',
  userPoolId: 'USER_POOL_ID',
  userPoolClientId: 'USER_POOL_CLIENT_ID',
  /** The menu's public base URL, for links in mails. */
  menuUrl: 'MENU_URL',
  /** From address of invitations and verification mails. */
  noticeSender: 'NOTICE_SENDER',
  accessRetentionDays: 'ACCESS_RETENTION_DAYS',
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
