import { describe, expect, it } from 'vitest';
import { isExpired } from '../../../lambdas/aliases/lifecycle';

describe('isExpired', () => {
  const now = new Date('2026-11-24T00:00:00Z');
  it('is false before expiry', () => {
    expect(isExpired({ expiresAt: '2026-11-25T00:00:00Z', purgeAt: Date.parse('2027-01-01T00:00:00Z') / 1000 }, now)).toBe(false);
  });
  it('is true at and after expiry', () => {
    expect(isExpired({ expiresAt: '2026-11-24T00:00:00Z', purgeAt: Date.parse('2027-01-01T00:00:00Z') / 1000 }, now)).toBe(true);
  });
  it('is true once the purge time passed even if TTL has not deleted the item', () => {
    expect(isExpired({ expiresAt: '2027-11-25T00:00:00Z', purgeAt: Date.parse('2026-11-23T00:00:00Z') / 1000 }, now)).toBe(true);
  });
});
