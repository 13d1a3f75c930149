/**
 * Names of the relay function's environment variables. The CDK construct sets them and the handler
 * reads them; both import this map so a rename cannot break one side silently.
 */
export const RELAY_ENV = {
  aliasesTable: 'ALIASES_TABLE',
  storesTable: 'STORES_TABLE',
  transmissionsTable: 'TRANSMISSIONS_TABLE',
  /** Symmetric customer-managed key that encrypts real addresses. */
  dataKeyId: 'DATA_KEY_ID',
  /** HMAC_256 KMS key for address hashes and alias derivation; its secret never leaves KMS. */
  hmacKeyId: 'HMAC_KEY_ID',
  relayDomain: 'RELAY_DOMAIN',
  transmissionRetentionDays: 'TRANSMISSION_RETENTION_DAYS',
} as const;

export type RelayEnvName = (typeof RELAY_ENV)[keyof typeof RELAY_ENV];
