import * as z from 'zod';
import type { AliasKind } from '../aliases/ports';
import { japanDay, japanDayBounds } from '../records/days';

/**
 * Rate limits: how much mail a store may send to its customers, and how much one alias may receive,
 * per minute and per (Japanese) day. Counted in fixed windows: a window is one counter item that an
 * atomic conditional increment fills up to its limit and TTL removes afterwards. A sliding window
 * would smooth the edge (up to twice the per-minute limit across a minute boundary), but costs a
 * read of the previous window on every message; the per-day limit bounds the total either way.
 *
 * Mail over a limit is held back, not lost: the relay puts the notification back on its queue with
 * a delay until the window that stopped it has passed, and refuses it as `rate_limited` only when
 * that would be later than `holdMinutes` after the mail arrived.
 */

export interface RateLimit {
  readonly perMinute: number;
  readonly perDay: number;
}

export interface RateLimits {
  /** A store's mail to its customers, all its aliases together; a store may have its own. */
  readonly store: RateLimit;
  /** Mail to one customer alias (from its store). */
  readonly customerAlias: RateLimit;
  /** Mail to one reverse alias (from its customer). */
  readonly reverseAlias: RateLimit;
  /** How long mail over a limit, or from a paused store, is held back before it is refused. */
  readonly holdMinutes: number;
}

const Count = z.int().positive().max(1_000_000);
const RateLimitSchema = z.strictObject({ perMinute: Count, perDay: Count });

/** A store's own limits, as the operator and the marketplace API set them: either or both. */
export const StoreRateLimitSchema = z.strictObject({ perMinute: Count.optional(), perDay: Count.optional() });

const RateLimitsSchema = z.strictObject({
  store: RateLimitSchema,
  customerAlias: RateLimitSchema,
  reverseAlias: RateLimitSchema,
  // A day at most: held mail must leave the queue well inside the content class's retention.
  holdMinutes: z.int().positive().max(1_440),
});

export class RateLimitsError extends Error {
  override readonly name = 'RateLimitsError';
}

/** Reads rate limits (the configuration's `rateLimits`, or the relay's environment). */
export function parseRateLimits(value: unknown, where = 'rateLimits'): RateLimits {
  const parsed = RateLimitsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${[where, ...issue.path].join('.')}: ${issue.message}`);
  throw new RateLimitsError(problems.join('; '));
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  store: { perMinute: 60, perDay: 5_000 },
  customerAlias: { perMinute: 10, perDay: 100 },
  reverseAlias: { perMinute: 10, perDay: 100 },
  holdMinutes: 60,
};

/**
 * One subject's counter (a store, or an alias) for the current Japanese day and, within it, the
 * current minute: one item per subject and day, so taking from both windows is one atomic write.
 */
export interface RateCounter {
  /** `store#<storeId>` or `alias#<alias>`. */
  readonly subject: string;
  readonly limit: RateLimit;
  /** `YYYY-MM-DD` (Japan time), and `HH:MM` (UTC) within it. */
  readonly day: string;
  readonly minute: string;
  readonly dayEnd: Date;
  readonly minuteEnd: Date;
}

/** A counter that was full, and which of its windows. */
export interface FullCounter {
  readonly counter: RateCounter;
  readonly window: 'minute' | 'day';
}

/**
 * Takes one from every counter, or from none: the counters that were full, empty when all were
 * taken. All or none, so a message held back by one limit does not use up another's allowance.
 */
export interface RateLimiter {
  take(counters: readonly RateCounter[]): Promise<readonly FullCounter[]>;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Days are counted in Japan time, the marketplace's own. */
function counterOf(subject: string, limit: RateLimit, now: Date): RateCounter {
  const minuteStart = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  const day = japanDay(now);
  return {
    subject,
    limit,
    day,
    minute: new Date(minuteStart).toISOString().slice(11, 16),
    dayEnd: japanDayBounds(day).to,
    minuteEnd: new Date(minuteStart + MINUTE_MS),
  };
}

/** Limits no test or benchmark load reaches, for runs that measure or fault something else. */
export const UNREACHABLE_RATE_LIMITS: RateLimits = {
  store: { perMinute: 1_000_000, perDay: 1_000_000 },
  customerAlias: { perMinute: 1_000_000, perDay: 1_000_000 },
  reverseAlias: { perMinute: 1_000_000, perDay: 1_000_000 },
  holdMinutes: 60,
};

/** The counter subject of a store's mail to its customers. */
export function storeCounterSubject(storeId: string): string {
  return `store#${storeId}`;
}

/** The counter subject of mail to one alias. */
export function aliasCounterSubject(alias: string): string {
  return `alias#${alias}`;
}

/**
 * The days whose counters may still exist at `now`: today's, and yesterday's, which is kept a while
 * after its day (Japan time, as counted).
 */
export function counterDaysAt(now: Date): string[] {
  return [japanDay(now), japanDay(new Date(now.getTime() - DAY_MS))];
}

/** A store's own limits over the defaults, field by field. */
export function storeRateLimit(limits: RateLimits, own: Partial<RateLimit> | undefined): RateLimit {
  return { ...limits.store, ...own };
}

/**
 * The counters one delivery takes from: mail to a customer alias counts against its store and the
 * alias; mail to a reverse alias (a customer writing to the store) against the reverse alias only.
 */
export function countersFor(delivery: { readonly aliasKind: AliasKind; readonly alias: string; readonly storeId: string; readonly storeLimit: RateLimit }, limits: RateLimits, now: Date): RateCounter[] {
  if (delivery.aliasKind === 'merchant') return [counterOf(aliasCounterSubject(delivery.alias), limits.reverseAlias, now)];
  // The narrower counter first: an alias over its limit then never touches the store's.
  return [counterOf(aliasCounterSubject(delivery.alias), limits.customerAlias, now), counterOf(storeCounterSubject(delivery.storeId), delivery.storeLimit, now)];
}

export type HoldDecision = { readonly heldForSeconds: number } | { readonly refuse: true };

/**
 * Held until `resumeAt`, or refused when that is past the hold window of the mail's arrival. At
 * least a second, so a window that ended a moment ago is not retried in the same instant.
 */
export function holdUntil(resumeAt: Date, receivedAt: Date, now: Date, holdMinutes: number): HoldDecision {
  if (resumeAt.getTime() > receivedAt.getTime() + holdMinutes * MINUTE_MS) return { refuse: true };
  return { heldForSeconds: Math.max(1, Math.ceil((resumeAt.getTime() - now.getTime()) / 1000)) };
}

/** When every full counter has room again: the latest end of the full windows. */
export function resumeAfter(full: readonly FullCounter[]): Date {
  return new Date(Math.max(...full.map(({ counter, window }) => (window === 'day' ? counter.dayEnd : counter.minuteEnd).getTime())));
}

/** Which window of a counter is full, from the counts stored for it; undefined when neither is. */
export function fullWindow(counter: RateCounter, counts: { readonly day: number | undefined; readonly minute: number | undefined }): FullCounter['window'] | undefined {
  if ((counts.day ?? 0) >= counter.limit.perDay) return 'day';
  if ((counts.minute ?? 0) >= counter.limit.perMinute) return 'minute';
  return undefined;
}

/** How often mail of a paused store looks again whether the pause was lifted. */
export const PAUSE_RECHECK_MS = 5 * MINUTE_MS;
