import type { RetentionPolicy } from './retention-policy';

const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** UTC day (`YYYY-MM-DD`) of an instant, the form expiry buckets are named by. */
export function utcDay(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** Japan has no daylight saving: its days are UTC+9 all year. */
const JAPAN_OFFSET_MS = 9 * 3_600_000;

/** The Japanese day (`YYYY-MM-DD`) of an instant: the marketplace counts its days in Japan time. */
export function japanDay(instant: Date): string {
  return utcDay(new Date(instant.getTime() + JAPAN_OFFSET_MS));
}

/** The hour (0-23) of an instant in Japan time. */
export function japanHour(instant: Date): number {
  return new Date(instant.getTime() + JAPAN_OFFSET_MS).getUTCHours();
}

/** Where a Japanese day starts and ends, as instants. */
export function japanDayBounds(day: string): { readonly from: Date; readonly to: Date } {
  const from = new Date(Date.parse(`${day}T00:00:00Z`) - JAPAN_OFFSET_MS);
  return { from, to: new Date(from.getTime() + DAY_MS) };
}

export function isUtcDay(value: unknown): value is string {
  if (typeof value !== 'string' || !DAY.test(value)) return false;
  // A month or day out of range (2025-13-01) is no date at all; a day past its month's end (02-30) rolls over.
  const instant = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(instant.getTime()) && utcDay(instant) === value;
}

export function addDays(day: string, days: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}

/** Every day from `first` through `last`, both included; none when `first` is after `last`. */
export function daysFromThrough(first: string, last: string): string[] {
  const days: string[] = [];
  for (let day = first; day <= last; day = addDays(day, 1)) days.push(day);
  return days;
}

/** Slack on top of the longest period, so a first run made a little late still reaches back far enough. */
const LOOKBACK_MARGIN_DAYS = 7;

/**
 * How many expiry days a run without a checkpoint looks back: the longest a table item is kept from
 * the event that starts it (by default the address class, retention plus support), plus the run
 * interval and a margin. Every due item written within that many days before the run is found,
 * whatever its class: on AWS the first scheduled run comes a day after the tables exist, and
 * locally a first run with a clock moved ahead by up to that much (to watch data expire) finds
 * everything. Older due items are DynamoDB TTL's, and every read already treats them as gone.
 * Receipts are left out of the reckoning: only runs write them, and a run leaves a checkpoint.
 */
export function firstRunLookbackDays(policy: RetentionPolicy): number {
  const { address, access, transmission } = policy.classes;
  const longest = Math.max(address.retentionDays + address.supportDays, access.retentionDays, transmission.retentionDays);
  return longest + policy.runIntervalDays + LOOKBACK_MARGIN_DAYS;
}
