import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
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

describe('the receipt chain, link by link', () => {
  it('is sealed and linked by fixed hash inputs: SHA-256 of the canonical JSON, under a versioned prefix for the signature', () => {
    const [first] = chainOf([1]);
    const { signature: _signature, signingKeyId: _key, ...content } = first!;
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(signedMessage(content)).toBe(`anshin-receipt:v1:${createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex')}`);
    expect(sealedHash(first!)).toBe(createHash('sha256').update(canonicalJson(first), 'utf8').digest('hex'));
    expect(canonicalJson({ b: undefined, a: null, c: 'ü' })).toBe('{"a":null,"c":"ü"}');
    expect(canonicalJson({ ab: 1, a: 2, b: 3 })).toBe('{"a":2,"ab":1,"b":3}');
  });

  it('refuses a first receipt that names no previous one but does not start the chain', () => {
    const [first] = chainOf([1]);
    const forged = { ...first!, previousHash: 'f'.repeat(64) };
    const { signature: _s, signingKeyId: _k, ...content } = forged;
    const resigned = { ...forged, signature: sign('sha256', Buffer.from(signedMessage(content)), privateKey).toString('base64') };
    expect(verifyChain('destruction', [resigned], undefined, check, NOW).broken).toEqual({ receiptId: first!.receiptId, problem: 'it names no previous receipt but does not start the chain' });
  });

  it('refuses a link whose hash does not match the receipt before it, even when its ID does', () => {
    const receipts = chainOf([1, 2]);
    const second = { ...receipts[1]!, previousHash: 'e'.repeat(64) };
    const { signature: _s, signingKeyId: _k, ...content } = second;
    const resigned = { ...second, signature: sign('sha256', Buffer.from(signedMessage(content)), privateKey).toString('base64') };
    expect(verifyChain('destruction', [receipts[0]!, resigned], undefined, check, NOW).broken).toEqual({
      receiptId: second.receiptId,
      problem: `its link to the receipt before it does not hold: ${receipts[0]!.receiptId} was removed or changed`,
    });
  });

  it('lists receipts written before signing without checking them, and holds with no head', () => {
    const receipts = chainOf([1, 2]);
    const legacy = receipt(0);
    expect(verifyChain('destruction', [legacy, ...receipts], undefined, check, NOW)).toEqual({ kind: 'destruction', checked: 2, unsigned: 1 });
    expect(verifyChain('destruction', [legacy], undefined, check, NOW)).toEqual({ kind: 'destruction', checked: 0, unsigned: 1 });
  });

  it('names a head that does not match the newest receipt, by ID or by hash, and a head with no receipt at all', () => {
    const receipts = chainOf([1, 2]);
    const head = headOf(receipts);
    const problem = 'the newest receipt the chain names is missing or changed';
    expect(verifyChain('destruction', receipts, { ...head, hash: 'a'.repeat(64) }, check, NOW).broken).toEqual({ receiptId: head.receiptId, problem });
    expect(verifyChain('destruction', receipts, { ...head, receiptId: 'other' }, check, NOW).broken).toEqual({ receiptId: 'other', problem });
    expect(verifyChain('destruction', [], head, check, NOW).broken).toEqual({ receiptId: head.receiptId, problem });
  });

  it('counts a missing first receipt due within the next day as expired', () => {
    const receipts = chainOf([1, 2]);
    // The first is due 30 days after day 1: 2026-02-01. A day before that it may be gone already; two days before, not.
    expect(verifyChain('destruction', receipts.slice(1), headOf(receipts), check, new Date('2026-01-31T00:00:00Z')).broken).toBeUndefined();
    expect(verifyChain('destruction', receipts.slice(1), headOf(receipts), check, new Date('2026-01-30T23:59:59Z')).broken?.problem).toBe(
      `the receipt before it (${receipts[0]!.receiptId}) is missing, though not yet due to expire`,
    );
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
