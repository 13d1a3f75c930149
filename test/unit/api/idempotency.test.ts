import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aliasRequestFingerprint, IDEMPOTENCY_WINDOW_MS, idempotencyItemKey } from '../../../lambdas/api/idempotency';

describe('Idempotency-Key', () => {
  it('is kept a day, as a hash of the caller’s key under its own prefix, never as given', () => {
    expect(IDEMPOTENCY_WINDOW_MS).toBe(86_400_000);
    const key = idempotencyItemKey('order-R-1 hanako@customer.example.ne.jp');
    expect(key).toMatch(/^idempotency#[0-9a-f]{64}$/);
    expect(key).not.toContain('hanako');
    expect(idempotencyItemKey('order-R-1 hanako@customer.example.ne.jp')).toBe(key);
    expect(idempotencyItemKey('order-R-2')).not.toBe(idempotencyItemKey('order-R-1'));
    // Keys taken before a deployment must still be found after it: the hash input is fixed.
    expect(key).toBe(`idempotency#${sha256('idempotency:v1:order-R-1 hanako@customer.example.ne.jp')}`);
  });

  it('fingerprints a request by store, order and customer hash, each on its own', () => {
    const fingerprint = aliasRequestFingerprint('shop-1', 'R-1', 'hash');
    expect(fingerprint).toBe(sha256('["shop-1","R-1","hash"]'));
    expect(aliasRequestFingerprint('shop-1', 'R-1', 'hash')).toBe(fingerprint);
    for (const other of [aliasRequestFingerprint('shop-2', 'R-1', 'hash'), aliasRequestFingerprint('shop-1', 'R-2', 'hash'), aliasRequestFingerprint('shop-1', 'R-1', 'other'), aliasRequestFingerprint('shop-1R', '-1', 'hash')]) {
      expect(other).not.toBe(fingerprint);
    }
  });
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
