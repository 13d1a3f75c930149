import { describe, expect, it } from 'vitest';
import { expiryIndexAttributes } from '../../../lambdas/aws/dynamo-document';
import { EXPIRY_SHARDS, expiryBucket, expiryBucketsOfDay, expiryDay } from '../../../lambdas/records/table-schema';

const at = (iso: string) => Date.parse(iso) / 1000;

describe('expiry index partitions', () => {
  it('put an item in the UTC day of its purge time', () => {
    expect(expiryDay(at('2027-03-01T23:59:59Z'))).toBe('2027-03-01');
    expect(expiryDay(at('2027-03-02T00:00:00Z'))).toBe('2027-03-02');
    expect(expiryBucket(at('2027-03-01T12:00:00Z'), 'c-7k2m9q4x0abc')).toMatch(/^2027-03-01#[0-3]$/);
  });

  it('give the same item the same shard every time', () => {
    const purgeAt = at('2027-03-01T12:00:00Z');
    expect(expiryBucket(purgeAt, 'msg-1/0')).toBe(expiryBucket(purgeAt + 60, 'msg-1/0'));
  });

  it('spread a day of items over every shard, none with more than about its share', () => {
    const purgeAt = at('2027-03-01T12:00:00Z');
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i += 1) {
      const bucket = expiryBucket(purgeAt, `0100018f${i.toString(16).padStart(8, '0')}-message/0`);
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(expiryBucketsOfDay('2027-03-01'));
    for (const count of counts.values()) expect(count).toBeLessThan((4000 / EXPIRY_SHARDS) * 1.2);
  });

  it('are written beside purgeAt and only where there is one', () => {
    expect(expiryIndexAttributes(undefined, 'demo-shop/store')).toEqual({});
    expect(expiryIndexAttributes(at('2027-03-01T00:00:00Z'), 'demo-shop/store')).toEqual({ expiryBucket: expect.stringMatching(/^2027-03-01#\d$/) });
  });
});
