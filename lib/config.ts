/**
 * The one typed configuration of a deployment: relay domain, sender identity, retention periods and
 * operational limits. The CDK app reads it from the `anshin` context key (cdk.json or `-c`), the
 * local stack uses the same defaults, and every construct takes its values from here.
 */

import { SPAM_VERDICT_ACTIONS } from '../lambdas/relay/screening';
import type { SpamVerdictAction } from '../lambdas/relay/screening';
import { DATA_CLASSES, RetentionPolicyError, validateRetentionPolicy } from '../lambdas/records/retention-policy';
import { HOME_REGION } from '../lambdas/env';
import { DEFAULT_RATE_LIMITS, parseRateLimits } from '../lambdas/relay/rate-limits';
import type { RateLimits } from '../lambdas/relay/rate-limits';
import { DEFAULT_FRAUD_THRESHOLDS, parseFraudThresholds } from '../lambdas/fraud/signals';
import type { FraudThresholds } from '../lambdas/fraud/signals';
import type { ClassRetention, DataClass, RetentionPolicy } from '../lambdas/records/retention-policy';
import * as z from 'zod';

/** The only region user data may live in (designated telecommunications carrier, Japan); the functions check it too. */
export { HOME_REGION };

/** DynamoDB point-in-time recovery keeps between 1 and 35 days of backups. */
const MAX_BACKUP_DAYS = 35;

/**
 * The retention run is scheduled on days of the month (every day, every second day, …), so its
 * interval can be at most a month's length.
 */
export const MAX_RUN_INTERVAL_DAYS = 31;

/** Retention limits CloudWatch Logs accepts, in days. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/**
 * The retention policy (see `lambdas/records/retention-policy.ts` for what each class holds): per data
 * class, the retention period and the support period after the subject ends; the backup window; log
 * retention. The stack derives TTL-bearing code settings, S3 lifecycle, log retention and the PITR
 * window from it, and the retention and destruction functions apply it.
 */
type RetentionConfig = RetentionPolicy;

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
   * bounces it, and either way the raw mail stays in S3 until its retention (`retention.classes.content`) ends.
   */
  readonly spamVerdictAction: SpamVerdictAction;
  readonly bounces: BounceConfig;
  /**
   * Per store (its mail to its customers), per customer alias and per reverse alias, per minute and
   * per Japanese day; mail over a limit is held back up to `holdMinutes`, then refused as
   * `rate_limited`. A store's own limits (`anshin store limits`) override `store`.
   */
  readonly rateLimits: RateLimits;
  /**
   * Thresholds of the daily abuse signals: a store past a pausing one (a volume spike, its complaint
   * rate, spoofing volume) is paused; the others flag it, an alias or an IP for an operator.
   */
  readonly fraud: FraudThresholds;
  readonly api: ApiConfig;
  readonly keys: KeysConfig;
  readonly alarms: AlarmsConfig;
}

/**
 * Who the alarms reach: e-mail addresses (each confirms its subscription once), and queues or
 * functions in ap-northeast-1 (a chat integration, a pager bridge). Alarm texts carry no personal data.
 */
export interface AlarmsConfig {
  readonly emails: readonly string[];
  /** SQS queue or Lambda function ARNs, in the home region only. */
  readonly endpoints: readonly string[];
}

const HOME_REGION_ENDPOINT = new RegExp(`^arn:aws:(sqs|lambda):${HOME_REGION}:\\d{12}:[\\w.:-]+$`);

const AlarmsSchema = z.strictObject({
  emails: z.array(z.email()).default([]),
  endpoints: z.array(z.string().regex(HOME_REGION_ENDPOINT, `an SQS queue or Lambda function ARN in ${HOME_REGION}`)).default([]),
});

function alarmsConfig(given: unknown): AlarmsConfig {
  const parsed = AlarmsSchema.safeParse(given ?? {});
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((issue) => `${['anshin.alarms', ...issue.path].join('.')}: ${issue.message}`).join('; '));
}

/** Who, besides the functions, may use the keys. */
interface KeysConfig {
  /**
   * An IAM role that may decrypt addresses in an emergency (its use is recorded by the audit trail);
   * absent: nobody but the function roles can.
   */
  readonly breakGlassRoleArn?: string;
}

/** The marketplace API. */
interface ApiConfig {
  /**
   * IAM role or account ARNs of the marketplace that may call the API (its resource policy); empty:
   * this account's principals with `execute-api:Invoke`.
   */
  readonly allowedPrincipals: readonly string[];
  /** Stage throttling: requests per second, and the burst above it. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
}

/** Delivery status notifications the relay itself sends for refused mail. */
interface BounceConfig {
  /**
   * DSNs one envelope sender may receive per clock hour; further refusals for it are recorded
   * without one. Bounds what anyone can make the relay send to one address.
   */
  readonly maxPerSenderPerHour: number;
}

/** What SES's bounce and complaint events do to the relay. */
interface FeedbackConfig {
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
    classes: {
      address: { retentionDays: 180, supportDays: 90 },
      access: { retentionDays: 180, supportDays: 90 },
      transmission: { retentionDays: 90, supportDays: 90 },
      content: { retentionDays: 7, supportDays: 0 },
      evidence: { retentionDays: 1827, supportDays: 0 },
      analysis: { retentionDays: 365, supportDays: 0 },
    },
    backupDays: 35,
    noncurrentContentDays: 1,
    logDays: 30,
    runIntervalDays: 1,
  },
  activateReceiptRuleSet: true,
  relayMaxConcurrency: 5,
  feedback: { hardBouncePauseDays: 7 },
  spamVerdictAction: 'drop',
  bounces: { maxPerSenderPerHour: 10 },
  rateLimits: DEFAULT_RATE_LIMITS,
  fraud: DEFAULT_FRAUD_THRESHOLDS,
  alarms: { emails: [], endpoints: [] },
  api: { allowedPrincipals: [], throttle: { rateLimit: 100, burstLimit: 200 } },
  keys: {},
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The defaults, with what is given laid over them limit by limit. */
function rateLimits(given: unknown): RateLimits {
  if (given === undefined) return DEFAULT_CONFIG.rateLimits;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new ConfigError('anshin.rateLimits must be an object');
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG.rateLimits };
  for (const [name, value] of Object.entries(given)) {
    const base = merged[name];
    merged[name] = typeof base === 'object' && typeof value === 'object' && value !== null ? { ...base, ...value } : value;
  }
  try {
    return parseRateLimits(merged, 'anshin.rateLimits');
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
}

function fraudThresholds(given: unknown): FraudThresholds {
  if (given === undefined) return DEFAULT_CONFIG.fraud;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new ConfigError('anshin.fraud must be an object');
  try {
    return parseFraudThresholds({ ...DEFAULT_CONFIG.fraud, ...given }, 'anshin.fraud');
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
}

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

/** Role, user or account-root ARNs, in the partition `aws`. */
const PRINCIPAL_ARN = /^arn:aws:iam::\d{12}:(?:root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/;

function principals(value: unknown): readonly string[] {
  if (!Array.isArray(value) || !value.every((arn) => typeof arn === 'string' && PRINCIPAL_ARN.test(arn))) {
    throw new ConfigError(`anshin.api.allowedPrincipals must be a list of IAM role, user or account-root ARNs, got ${JSON.stringify(value)}`);
  }
  return value as string[];
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
  rejectUnknownFields(given, [...Object.keys(DEFAULT_CONFIG), 'account'], '');
  const feedbackGiven = (given.feedback ?? {}) as Partial<Record<keyof FeedbackConfig, unknown>>;
  const bouncesGiven = (given.bounces ?? {}) as Partial<Record<keyof BounceConfig, unknown>>;
  const apiGiven = (given.api ?? {}) as Partial<Record<keyof ApiConfig, unknown>>;
  const throttleGiven = (apiGiven.throttle ?? {}) as Partial<Record<keyof ApiConfig['throttle'], unknown>>;
  rejectUnknownFields(given.keys, ['breakGlassRoleArn'], 'keys');
  const breakGlass = ((given.keys ?? {}) as Partial<Record<keyof KeysConfig, unknown>>).breakGlassRoleArn;
  if (breakGlass !== undefined && (typeof breakGlass !== 'string' || !/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(breakGlass))) {
    throw new ConfigError(`anshin.keys.breakGlassRoleArn must be an IAM role ARN, got ${JSON.stringify(breakGlass)}`);
  }
  const relayDomain = domain(given.relayDomain ?? DEFAULT_CONFIG.relayDomain, 'relayDomain');
  const retention = retentionConfig(given.retention);
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
    bounces: {
      maxPerSenderPerHour: positiveInteger(bouncesGiven.maxPerSenderPerHour ?? DEFAULT_CONFIG.bounces.maxPerSenderPerHour, 'bounces.maxPerSenderPerHour'),
    },
    rateLimits: rateLimits(given.rateLimits),
    fraud: fraudThresholds(given.fraud),
    api: {
      allowedPrincipals: principals(apiGiven.allowedPrincipals ?? DEFAULT_CONFIG.api.allowedPrincipals),
      throttle: {
        rateLimit: positiveInteger(throttleGiven.rateLimit ?? DEFAULT_CONFIG.api.throttle.rateLimit, 'api.throttle.rateLimit'),
        burstLimit: positiveInteger(throttleGiven.burstLimit ?? DEFAULT_CONFIG.api.throttle.burstLimit, 'api.throttle.burstLimit'),
      },
    },
    keys: breakGlass === undefined ? {} : { breakGlassRoleArn: breakGlass },
    alarms: alarmsConfig(given.alarms),
  };
}

type PartialPolicy = Partial<Record<keyof RetentionPolicy, unknown>> & { classes?: Partial<Record<DataClass, Partial<ClassRetention>>> };

const POLICY_FIELDS = Object.keys(DEFAULT_CONFIG.retention) as (keyof RetentionPolicy)[];
const CLASS_FIELDS: readonly (keyof ClassRetention)[] = ['retentionDays', 'supportDays'];

/**
 * Fails on a field the policy does not have: a misspelt or outdated period (such as the former
 * `rawMailDays`) would otherwise be dropped in silence and the default deployed in its place.
 */
/**
 * Edit distance between two short keys (Levenshtein), to suggest the key a typo meant; written here
 * because it is a dozen lines and runs on a handful of keys once per synthesis.
 */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The known key a misspelt one most likely meant: the same but for case, or within a few edits. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const sameButCase = known.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
  if (sameButCase) return sameButCase;
  const [best] = known.map((candidate) => ({ candidate, d: distance(key.toLowerCase(), candidate.toLowerCase()) })).sort((x, y) => x.d - y.d);
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.candidate : undefined;
}

function rejectUnknownFields(value: unknown, known: readonly string[], path: string): void {
  if (value === undefined) return;
  const where = path === '' ? 'anshin' : `anshin.${path}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${where} must be an object`);
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    const [first = ''] = unknown;
    const suggestion = closestKey(first, known);
    throw new ConfigError(`${where} has no field ${unknown.map((key) => JSON.stringify(key)).join(', ')}${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''} Known: ${known.join(', ')}`);
  }
}

/** Merges the given periods over the defaults class by class, then checks the whole policy. */
function retentionConfig(given: unknown): RetentionConfig {
  rejectUnknownFields(given, POLICY_FIELDS, 'retention');
  const partial = (given ?? {}) as PartialPolicy;
  rejectUnknownFields(partial.classes, DATA_CLASSES, 'retention.classes');
  for (const name of DATA_CLASSES) rejectUnknownFields(partial.classes?.[name], CLASS_FIELDS, `retention.classes.${name}`);
  const defaults = DEFAULT_CONFIG.retention;
  const classes = Object.fromEntries(DATA_CLASSES.map((name) => [name, { ...defaults.classes[name], ...(partial.classes?.[name] ?? {}) }]));
  let policy: RetentionPolicy;
  try {
    policy = validateRetentionPolicy({ ...defaults, ...partial, classes });
  } catch (error) {
    if (error instanceof RetentionPolicyError) throw new ConfigError(`anshin.retention: ${error.message}`);
    throw error;
  }
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(policy.logDays)) {
    throw new ConfigError(`anshin.retention.logDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${policy.logDays}`);
  }
  if (policy.backupDays > MAX_BACKUP_DAYS) {
    throw new ConfigError(`anshin.retention.backupDays must be at most ${MAX_BACKUP_DAYS} (DynamoDB point-in-time recovery), got ${policy.backupDays}`);
  }
  if (policy.runIntervalDays > MAX_RUN_INTERVAL_DAYS) {
    throw new ConfigError(`anshin.retention.runIntervalDays must be at most ${MAX_RUN_INTERVAL_DAYS} (the run is scheduled on days of the month), got ${policy.runIntervalDays}`);
  }
  return policy;
}
