import { describe, expect, it } from 'vitest';
import { addDays, daysFromThrough, firstRunLookbackDays, isUtcDay, japanDay, japanDayBounds, japanHour, utcDay } from '../../../lambdas/records/days';
import { DEFAULT_CONFIG } from '../../../lib/config';

/** Calendar days as the records count them: UTC days for keys, Japan's days for what people read. */

describe('days', () => {
  it('take a day as YYYY-MM-DD only when it is a real calendar day', () => {
    for (const day of ['2024-02-29', '2025-12-31', '1999-01-01']) expect(isUtcDay(day), day).toBe(true);
    for (const value of ['2025-02-29', '2025-13-01', '2025-00-10', '2025-1-01', ' 2025-01-01', '2025-01-01 ', '2025-01-01T00:00:00Z', 'x2025-01-01', '', 20250101, undefined, null, new Date('2025-01-01')]) {
      expect(isUtcDay(value), String(value)).toBe(false);
    }
  });

  it('turn at midnight UTC for keys and at midnight in Japan (15:00 UTC) for people', () => {
    expect(utcDay(new Date('2025-05-01T23:59:59.999Z'))).toBe('2025-05-01');
    expect(japanDay(new Date('2025-05-01T14:59:59.999Z'))).toBe('2025-05-01');
    expect(japanDay(new Date('2025-05-01T15:00:00Z'))).toBe('2025-05-02');
    expect(japanHour(new Date('2025-05-01T15:00:00Z'))).toBe(0);
    expect(japanHour(new Date('2025-05-01T14:59:59Z'))).toBe(23);
    expect(japanDayBounds('2025-05-02')).toEqual({ from: new Date('2025-05-01T15:00:00Z'), to: new Date('2025-05-02T15:00:00Z') });
  });

  it('count forward and back across months and leap days, and list a span with both ends', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2025-05-01', 0)).toBe('2025-05-01');
    expect(daysFromThrough('2025-12-30', '2026-01-02')).toEqual(['2025-12-30', '2025-12-31', '2026-01-01', '2026-01-02']);
    expect(daysFromThrough('2025-05-01', '2025-05-01')).toEqual(['2025-05-01']);
    expect(daysFromThrough('2025-05-02', '2025-05-01')).toEqual([]);
  });

  it('look back, on a first retention run, over the longest period plus the run interval and a week', () => {
    const policy = DEFAULT_CONFIG.retention;
    const { address, access, transmission } = policy.classes;
    const longest = Math.max(address.retentionDays + address.supportDays, access.retentionDays, transmission.retentionDays);
    expect(firstRunLookbackDays(policy)).toBe(longest + policy.runIntervalDays + 7);
    const accessLongest = { ...policy, classes: { ...policy.classes, access: { ...access, retentionDays: 5000 } } };
    expect(firstRunLookbackDays(accessLongest)).toBe(5000 + policy.runIntervalDays + 7);
    const transmissionLongest = { ...policy, classes: { ...policy.classes, transmission: { ...transmission, retentionDays: 6000 } } };
    expect(firstRunLookbackDays(transmissionLongest)).toBe(6000 + policy.runIntervalDays + 7);
    const supportLongest = { ...policy, classes: { ...policy.classes, address: { ...address, retentionDays: 1, supportDays: 7000 } } };
    expect(firstRunLookbackDays(supportLongest)).toBe(7001 + policy.runIntervalDays + 7);
  });
});
