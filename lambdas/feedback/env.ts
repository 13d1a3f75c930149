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

export type FeedbackEnvName = (typeof FEEDBACK_ENV)[keyof typeof FEEDBACK_ENV];
