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
} as const;

export type RelayEnvName = (typeof RELAY_ENV)[keyof typeof RELAY_ENV];
