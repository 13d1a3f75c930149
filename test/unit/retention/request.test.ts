import { describe, expect, it } from 'vitest';
import { MAX_CLOCK_SKEW_MS, parseRetentionEvent, RetentionRequestError, UNNAMED_REQUESTER } from '../../../lambdas/retention/request';

const REAL_NOW = new Date('2027-06-15T03:00:00Z');

describe('parseRetentionEvent', () => {
  it("takes the schedule's event as a run at the function's own clock", () => {
    expect(parseRetentionEvent({ requestedBy: 'schedule' }, REAL_NOW)).toEqual({ now: REAL_NOW, requestedBy: 'schedule' });
  });

  it('names an unnamed requester as such', () => {
    expect(parseRetentionEvent(undefined, REAL_NOW)).toEqual({ now: REAL_NOW, requestedBy: UNNAMED_REQUESTER });
    expect(parseRetentionEvent(null, REAL_NOW).requestedBy).toBe(UNNAMED_REQUESTER);
  });

  it('accepts an earlier instant, and a later one within the clock skew', () => {
    expect(parseRetentionEvent({ now: '2027-01-01T00:00:00Z', requestedBy: 'cli' }, REAL_NOW).now).toEqual(new Date('2027-01-01T00:00:00Z'));
    const skewed = new Date(REAL_NOW.getTime() + MAX_CLOCK_SKEW_MS);
    expect(parseRetentionEvent({ now: skewed.toISOString(), requestedBy: 'cli' }, REAL_NOW).now).toEqual(skewed);
  });

  it('refuses a now ahead of its clock: it would delete data before it is due', () => {
    const ahead = new Date(REAL_NOW.getTime() + MAX_CLOCK_SKEW_MS + 1_000).toISOString();
    expect(() => parseRetentionEvent({ now: ahead, requestedBy: 'cli' }, REAL_NOW)).toThrow(RetentionRequestError);
    expect(() => parseRetentionEvent({ now: '2030-01-01T00:00:00Z' }, REAL_NOW)).toThrow(/ahead of the function's clock/);
  });

  it('refuses a now that is not an instant', () => {
    for (const now of ['tomorrow', '', 1_750_000_000, null]) {
      expect(() => parseRetentionEvent({ now, requestedBy: 'cli' }, REAL_NOW)).toThrow(RetentionRequestError);
    }
  });

  it('refuses a requester that could carry an address onto the receipt', () => {
    for (const requestedBy of ['taro@example.com', '', 'x'.repeat(65), 42, 'line\nbreak']) {
      expect(() => parseRetentionEvent({ requestedBy }, REAL_NOW)).toThrow(RetentionRequestError);
    }
    expect(parseRetentionEvent({ requestedBy: 'event:Store Terminated' }, REAL_NOW).requestedBy).toBe('event:Store Terminated');
  });
});
