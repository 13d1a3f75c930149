import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, canonicalJson, sealedHash, signedMessage, verifyChain } from '../../../lambdas/records/receipt-chain';
import type { SealedReceipt, SignatureCheck } from '../../../lambdas/records/receipt-chain';
import { receiptSubjectMacInput } from '../../../lambdas/records/receipts';
import type { Receipt } from '../../../lambdas/records/receipts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const check: SignatureCheck = (message, signature) => verify('sha256', Buffer.from(message), publicKey, Buffer.from(signature, 'base64'));

const DAY = 86_400;
function receipt(day: number): Receipt {
  const startedAt = new Date(Date.UTC(2026, 0, 1 + day));
  return {
    kind: 'destruction',
    receiptId: `${startedAt.toISOString()}#0000000${day % 10}`,
    policyVersion: 'p1',
    requestedBy: 'cli',
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
    counts: { address: day },
    complete: true,
    purgeAt: startedAt.getTime() / 1000 + 30 * DAY,
  };
}

/** Seals receipts in order as the receipt log does. */
function chainOf(days: readonly number[]): SealedReceipt[] {
  const sealed: SealedReceipt[] = [];
  for (const day of days) {
    const previous = sealed.at(-1);
    const unsigned = { ...receipt(day), ...(previous ? { previousHash: sealedHash(previous), previousReceiptId: previous.receiptId } : { previousHash: GENESIS_HASH }) };
    sealed.push({ ...unsigned, signature: sign('sha256', Buffer.from(signedMessage(unsigned)), privateKey).toString('base64'), signingKeyId: 'k' });
  }
  return sealed;
}
const headOf = (receipts: readonly SealedReceipt[]) => {
  const newest = receipts.at(-1)!;
  return { hash: sealedHash(newest), receiptId: newest.receiptId };
};
const NOW = new Date('2026-01-10T00:00:00Z');

describe('the receipt chain', () => {
  it('holds for receipts as they were written', () => {
    const receipts = chainOf([1, 2, 3]);
    expect(verifyChain('destruction', receipts, headOf(receipts), check, NOW)).toEqual({ kind: 'destruction', checked: 3, unsigned: 0 });
  });

  it('names a receipt whose content was changed', () => {
    const receipts = chainOf([1, 2, 3]);
    const head = headOf(receipts);
    receipts[1] = { ...receipts[1]!, counts: { address: 0 } };
    expect(verifyChain('destruction', receipts, head, check, NOW).broken).toEqual({ receiptId: receipts[1]!.receiptId, problem: expect.stringContaining('signature') });
  });

  it('names the receipt after one that was deleted', () => {
    const receipts = chainOf([1, 2, 3]);
    const head = headOf(receipts);
    const [first, , third] = receipts;
    expect(verifyChain('destruction', [first!, third!], head, check, NOW).broken).toEqual({ receiptId: third!.receiptId, problem: expect.stringContaining(receipts[1]!.receiptId) });
  });

  it('notices the newest receipt deleted, through the head', () => {
    const receipts = chainOf([1, 2, 3]);
    expect(verifyChain('destruction', receipts.slice(0, 2), headOf(receipts), check, NOW).broken?.problem).toContain('newest receipt');
  });

  it('accepts a chain whose first receipts expired, and refuses one whose first receipts went before they were due', () => {
    const receipts = chainOf([1, 2, 3]);
    const afterExpiry = new Date(Date.UTC(2026, 0, 1 + 1 + 31));
    expect(verifyChain('destruction', receipts.slice(1), headOf(receipts), check, afterExpiry).broken).toBeUndefined();
    expect(verifyChain('destruction', receipts.slice(1), headOf(receipts), check, NOW).broken?.problem).toContain('not yet due');
  });

  it('accepts a chain whose first receipts a retention run names as pruned', () => {
    const receipts = chainOf([1, 2, 3]);
    const pruned = new Set([receipts[0]!.receiptId]);
    expect(verifyChain('destruction', receipts.slice(1), headOf(receipts), check, NOW, pruned).broken).toBeUndefined();
  });

  it('hashes the same receipt the same whatever the order of its fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[2,{"e":0,"f":1}]},"b":1}');
  });
});

describe('the subject of a destruction receipt', () => {
  // Receipts name their subject by a keyed hash of this input. It never changes: a receipt written
  // years ago must still be found by the hash of the same store or address today.
  it('is hashed from an input whose form is fixed, per kind of subject', () => {
    expect(receiptSubjectMacInput('customer', 'taro@example.com')).toBe('receipt:v1:customer:taro@example.com');
    expect(receiptSubjectMacInput('store', 'demo-shop')).toBe('receipt:v1:store:demo-shop');
  });
});
