import { createHash } from 'node:crypto';

/**
 * The retention policy: for each class of data the relay holds, how long it is kept and how long it
 * survives its subject's termination. The CDK stack derives TTL, S3 lifecycle, log retention and the
 * backup window from it, the functions read it from their environment, and every retention or
 * destruction receipt names the version it was applied under.
 */

/**
 * - `address`: real addresses (encrypted) and their keyed hashes: customer aliases, reverse aliases,
 *   stores' contact and registered sender addresses. Kept from issue for `retentionDays` (the alias
 *   relays that long), then `supportDays` more so inquiries can still be answered.
 * - `access`: merchant-menu access records (time, IP, result), from the access.
 * - `transmission`: transmission records (outcome, verdicts, size, connecting IP) and bounce and
 *   complaint records, from receipt of the message.
 * - `content`: raw inbound mail in S3, from receipt.
 * - `evidence`: retention and destruction receipts; they hold no personal data and outlive the
 *   subjects they are about.
 * - `analysis`: the pseudonymised analysis export (Parquet in the analysis bucket), from the export.
 *   Its rows name no store or alias, only pseudonyms, so it cannot follow a subject's end: it is
 *   kept for its retention period and then expired by the bucket's lifecycle.
 */
export const DATA_CLASSES = ['address', 'access', 'transmission', 'content', 'evidence', 'analysis'] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

export interface ClassRetention {
  /** Days an item is kept from the event that starts it (issue, access, receipt, run). */
  readonly retentionDays: number;
  /**
   * Days an item is kept after its subject ends: the alias expired (address class) or the store was
   * terminated (every class). Never longer than the item's own retention. 0 means at once.
   */
  readonly supportDays: number;
}

export interface RetentionPolicy {
  readonly classes: Readonly<Record<DataClass, ClassRetention>>;
  /**
   * DynamoDB point-in-time recovery window of every table. Backups are copies: an erased item can
   * be restored from them for this many days, so every promise adds it.
   */
  readonly backupDays: number;
  /** Days a superseded raw-mail object version survives in the versioned bucket. */
  readonly noncurrentContentDays: number;
  /** CloudWatch Logs retention of every log group (logs hold no personal data). */
  readonly logDays: number;
  /** Days between scheduled retention runs: deletions may lag their due time by this much. */
  readonly runIntervalDays: number;
}

export const DAY_SECONDS = 86_400;

/** S3 expires objects asynchronously: an expired object may remain up to a day after it is due. */
const ANALYSIS_LIFECYCLE_LAG_DAYS = 1;

/** Epoch seconds `days` after `from`. */
export function epochSecondsAfter(from: Date, days: number): number {
  return Math.floor(from.getTime() / 1000) + days * DAY_SECONDS;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
  }
  return value;
}

/**
 * Version of a policy: a digest of its canonical form, so any change to any period yields a new
 * version and the same periods always the same one, with no number to forget to bump.
 */
export function policyVersion(policy: RetentionPolicy): string {
  return `p-${createHash('sha256').update(JSON.stringify(canonical(policy))).digest('hex').slice(0, 12)}`;
}

export class RetentionPolicyError extends Error {
  override readonly name = 'RetentionPolicyError';
}

function days(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RetentionPolicyError(`${name} must be a whole number of days >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Checks a policy's shape and the one cross-class rule: a terminated store is erased in full when
 * its address-class support ends, so no other class may be promised a longer support period.
 */
export function validateRetentionPolicy(candidate: unknown): RetentionPolicy {
  if (typeof candidate !== 'object' || candidate === null) throw new RetentionPolicyError('a retention policy must be an object');
  const given = candidate as Partial<Record<keyof RetentionPolicy, unknown>>;
  const classesGiven = (given.classes ?? {}) as Partial<Record<DataClass, Partial<Record<keyof ClassRetention, unknown>>>>;
  const classes = Object.fromEntries(
    DATA_CLASSES.map((name) => {
      const entry = classesGiven[name] ?? {};
      return [name, { retentionDays: days(entry.retentionDays, `${name}.retentionDays`, 1), supportDays: days(entry.supportDays, `${name}.supportDays`, 0) }];
    }),
  ) as Record<DataClass, ClassRetention>;
  for (const name of DATA_CLASSES) {
    if (name !== 'address' && name !== 'evidence' && name !== 'analysis' && classes[name].supportDays > classes.address.supportDays) {
      throw new RetentionPolicyError(`${name}.supportDays (${classes[name].supportDays}) exceeds address.supportDays (${classes.address.supportDays}): a terminated store is erased when its address support ends`);
    }
  }
  return {
    classes,
    backupDays: days(given.backupDays, 'backupDays', 1),
    noncurrentContentDays: days(given.noncurrentContentDays, 'noncurrentContentDays', 1),
    logDays: days(given.logDays, 'logDays', 1),
    runIntervalDays: days(given.runIntervalDays, 'runIntervalDays', 1),
  };
}

/** Reads the policy a function was deployed with (JSON in its environment). */
export function parseRetentionPolicy(json: string): RetentionPolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new RetentionPolicyError('the retention policy is not JSON');
  }
  return validateRetentionPolicy(parsed);
}

/**
 * The latest a class's item can still exist, backups included, counted from the event that starts
 * its retention: its period, plus the support period where one follows expiry, plus the lag of a
 * daily run, plus the backup window. This is the figure the README promises.
 */
export function worstCaseDays(policy: RetentionPolicy, dataClass: DataClass, after: 'start' | 'subject_end'): number {
  const entry = policy.classes[dataClass];
  const kept = after === 'start' ? entry.retentionDays + (dataClass === 'address' ? entry.supportDays : 0) : entry.supportDays;
  // The analysis bucket keeps no versions and has no backups; its lifecycle runs daily.
  const backups = dataClass === 'content' ? policy.noncurrentContentDays : dataClass === 'analysis' ? 0 : policy.backupDays;
  const lag = dataClass === 'analysis' ? ANALYSIS_LIFECYCLE_LAG_DAYS : policy.runIntervalDays;
  return kept + lag + backups;
}

/** One line of the retention promise: what, its class, and the latest it is gone, backups included. */
export interface RetentionPromise {
  readonly what: string;
  readonly dataClass: DataClass;
  readonly days: number;
  /** The event the days count from. */
  readonly after: string;
}

/**
 * The promise the README states, computed from the policy so the two cannot drift apart: every
 * figure includes the daily run's lag and the backups (DynamoDB point-in-time recovery, or the
 * noncurrent S3 version for raw mail).
 */
export function retentionPromises(policy: RetentionPolicy): RetentionPromise[] {
  const { backupDays } = policy;
  const afterTermination = (dataClass: DataClass): number =>
    Math.min(worstCaseDays(policy, dataClass, 'start'), worstCaseDays(policy, dataClass, 'subject_end'));
  return [
    { what: "customer aliases, their reverse aliases and the customer's encrypted address", dataClass: 'address', days: worstCaseDays(policy, 'address', 'start'), after: 'the alias is issued' },
    { what: "customer aliases, their reverse aliases and the customer's encrypted address", dataClass: 'address', days: worstCaseDays(policy, 'address', 'subject_end'), after: 'the alias expires' },
    { what: 'merchant-menu access records', dataClass: 'access', days: worstCaseDays(policy, 'access', 'start'), after: 'the access' },
    { what: 'transmission, bounce and complaint records', dataClass: 'transmission', days: worstCaseDays(policy, 'transmission', 'start'), after: 'the message arrived' },
    { what: 'raw mail and every version of it', dataClass: 'content', days: worstCaseDays(policy, 'content', 'start'), after: 'the message arrived' },
    { what: "a terminated store's addresses, aliases, records and access log", dataClass: 'address', days: afterTermination('address'), after: 'the store is terminated' },
    { what: 'everything about a store or a customer who asks for it', dataClass: 'address', days: backupDays, after: 'the destruction request (erased at once; backups keep copies this long)' },
    { what: 'retention and destruction receipts (no personal data)', dataClass: 'evidence', days: worstCaseDays(policy, 'evidence', 'start'), after: 'the run or request' },
    { what: 'pseudonymised analysis exports (no address, alias or store ID)', dataClass: 'analysis', days: worstCaseDays(policy, 'analysis', 'start'), after: 'the export' },
  ];
}
