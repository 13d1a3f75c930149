/**
 * The one typed configuration of a deployment: relay domain, sender identity, retention periods and
 * operational limits. The CDK app reads it from the `anshin` context key (cdk.json or `-c`), the
 * local stack uses the same defaults, and every construct takes its values from here.
 */

import { SPAM_VERDICT_ACTIONS } from '../lambdas/core/policy';
import type { SpamVerdictAction } from '../lambdas/core/policy';

/** The only region user data may live in (designated telecommunications carrier, Japan). */
export const HOME_REGION = 'ap-northeast-1';

/** Retention limits CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export interface RetentionConfig {
  /** Raw inbound mail in S3 (content class): kept only as long as relaying and replay need it. */
  readonly rawMailDays: number;
  /** Transmission records (header digest, counts, connecting IP, verdicts, outcome). */
  readonly transmissionRecordDays: number;
  /** How long an issued alias keeps relaying. */
  readonly aliasValidityDays: number;
  /** Support period after an alias expires, during which inquiries about it can still be answered. */
  readonly aliasSupportDays: number;
  /** CloudWatch log groups of every function; must be one of {@link LOG_RETENTION_DAYS}. */
  readonly logDays: number;
}

export interface RelayConfig {
  /** Domain the aliases live on; SES receives mail for it and sends from it. */
  readonly relayDomain: string;
  /** Verified SES identity used to send; defaults to the relay domain. */
  readonly senderIdentity: string;
  /** AWS account to deploy to; when absent the CLI's default account is used. */
  readonly account?: string;
  readonly region: string;
  readonly retention: RetentionConfig;
  /**
   * Whether a custom resource makes this stack's receipt rule set the active one. Only one set may be
   * active per account and region, so turn this off where another set must stay active.
   */
  readonly activateReceiptRuleSet: boolean;
  /** Upper bound on concurrent relay invocations, so SES's sending rate is respected. */
  readonly relayMaxConcurrency: number;
  readonly feedback: FeedbackConfig;
  /**
   * What a failed SES spam verdict does: `drop` refuses the message as `spam_detected`; `quarantine`
   * refuses it as `spam_quarantined`, marking it for an operator to inspect. Neither relays nor
   * bounces it, and either way the raw mail stays in S3 until `retention.rawMailDays` ends.
   */
  readonly spamVerdictAction: SpamVerdictAction;
}

/** What SES's bounce and complaint events do to the relay. */
export interface FeedbackConfig {
  /**
   * Days a customer alias stops relaying after the customer's address hard-bounced, so repeated
   * sends to a dead address do not drive the account's bounce rate up.
   */
  readonly hardBouncePauseDays: number;
}

export const DEFAULT_CONFIG: RelayConfig = {
  relayDomain: 'relay.example.jp',
  senderIdentity: 'relay.example.jp',
  region: HOME_REGION,
  retention: {
    rawMailDays: 7,
    transmissionRecordDays: 90,
    aliasValidityDays: 180,
    aliasSupportDays: 90,
    logDays: 30,
  },
  activateReceiptRuleSet: true,
  relayMaxConcurrency: 5,
  feedback: { hardBouncePauseDays: 7 },
  spamVerdictAction: 'drop',
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`anshin.${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function domain(value: unknown, name: string): string {
  if (typeof value !== 'string' || !DOMAIN.test(value)) {
    throw new ConfigError(`anshin.${name} must be a lower-case domain name, got ${JSON.stringify(value)}`);
  }
  return value;
}

function spamVerdictAction(value: unknown): SpamVerdictAction {
  if (typeof value !== 'string' || !(SPAM_VERDICT_ACTIONS as readonly string[]).includes(value)) {
    throw new ConfigError(`anshin.spamVerdictAction must be one of ${SPAM_VERDICT_ACTIONS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as SpamVerdictAction;
}

/**
 * Merges a partial configuration (as given in CDK context) over the defaults and checks every field,
 * so a typo fails synthesis with the field's name instead of producing a half-configured stack.
 */
export function resolveConfig(partial: unknown = {}): RelayConfig {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
    throw new ConfigError('anshin configuration must be an object');
  }
  const given = partial as Partial<Record<keyof RelayConfig, unknown>>;
  const retentionGiven = (given.retention ?? {}) as Partial<Record<keyof RetentionConfig, unknown>>;
  const feedbackGiven = (given.feedback ?? {}) as Partial<Record<keyof FeedbackConfig, unknown>>;
  const relayDomain = domain(given.relayDomain ?? DEFAULT_CONFIG.relayDomain, 'relayDomain');
  const retention: RetentionConfig = {
    rawMailDays: positiveInteger(retentionGiven.rawMailDays ?? DEFAULT_CONFIG.retention.rawMailDays, 'retention.rawMailDays'),
    transmissionRecordDays: positiveInteger(
      retentionGiven.transmissionRecordDays ?? DEFAULT_CONFIG.retention.transmissionRecordDays,
      'retention.transmissionRecordDays',
    ),
    aliasValidityDays: positiveInteger(retentionGiven.aliasValidityDays ?? DEFAULT_CONFIG.retention.aliasValidityDays, 'retention.aliasValidityDays'),
    aliasSupportDays: positiveInteger(retentionGiven.aliasSupportDays ?? DEFAULT_CONFIG.retention.aliasSupportDays, 'retention.aliasSupportDays'),
    logDays: positiveInteger(retentionGiven.logDays ?? DEFAULT_CONFIG.retention.logDays, 'retention.logDays'),
  };
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention.logDays)) {
    throw new ConfigError(`anshin.retention.logDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${retention.logDays}`);
  }
  const region = given.region ?? DEFAULT_CONFIG.region;
  if (typeof region !== 'string') throw new ConfigError('anshin.region must be a string');
  const account = given.account;
  if (account !== undefined && (typeof account !== 'string' || !/^\d{12}$/.test(account))) {
    throw new ConfigError(`anshin.account must be a 12-digit AWS account ID, got ${JSON.stringify(account)}`);
  }
  const activate = given.activateReceiptRuleSet ?? DEFAULT_CONFIG.activateReceiptRuleSet;
  if (typeof activate !== 'boolean') throw new ConfigError('anshin.activateReceiptRuleSet must be true or false');
  return {
    relayDomain,
    senderIdentity: domain(given.senderIdentity ?? relayDomain, 'senderIdentity'),
    ...(account === undefined ? {} : { account }),
    region,
    retention,
    activateReceiptRuleSet: activate,
    relayMaxConcurrency: positiveInteger(given.relayMaxConcurrency ?? DEFAULT_CONFIG.relayMaxConcurrency, 'relayMaxConcurrency'),
    feedback: {
      hardBouncePauseDays: positiveInteger(feedbackGiven.hardBouncePauseDays ?? DEFAULT_CONFIG.feedback.hardBouncePauseDays, 'feedback.hardBouncePauseDays'),
    },
    spamVerdictAction: spamVerdictAction(given.spamVerdictAction ?? DEFAULT_CONFIG.spamVerdictAction),
  };
}
