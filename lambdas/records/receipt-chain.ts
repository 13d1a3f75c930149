import { createHash } from 'node:crypto';
import type { Receipt, ReceiptKind } from './receipts';

/**
 * Receipts are tamper-evident: each one is signed (an asymmetric KMS key, ECDSA P-256) and carries
 * the hash of the previous receipt of its kind, so editing one breaks its signature and deleting
 * one breaks the next one's link; a head per kind names the newest, so deleting the newest shows
 * too. Anyone with the public key (`kms:GetPublicKey`) can check the whole chain.
 */

/** The previous hash of the first receipt of a kind. */
export const GENESIS_HASH = '0'.repeat(64);

/** What signing adds to a receipt. */
export interface ReceiptSeal {
  /** SHA-256 (hex) of the previous receipt of the kind, sealed; `GENESIS_HASH` for the first. */
  readonly previousHash: string;
  /** The previous receipt's ID, so a missing one can be named; absent for the first. */
  readonly previousReceiptId?: string;
  /** Base64 DER ECDSA signature over {@link signedMessage}. */
  readonly signature: string;
  /** ARN of the key that signed. */
  readonly signingKeyId: string;
}

export type SealedReceipt = Receipt & ReceiptSeal;

/** JSON with every object's keys in order, so the same receipt always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * What the key signs: a short, fixed-size statement of the receipt's content hash (the receipt
 * without its signature), so KMS can sign it as a raw message whatever the receipt's size.
 */
export function signedMessage(receipt: Receipt & Omit<ReceiptSeal, 'signature' | 'signingKeyId'>): string {
  return `anshin-receipt:v1:${sha256(canonicalJson(receipt))}`;
}

/** The hash the next receipt of the kind links to: of the whole sealed receipt, signature included. */
export function sealedHash(receipt: SealedReceipt): string {
  return sha256(canonicalJson(receipt));
}

/** Checks one signature against the public key; true when it holds. */
export type SignatureCheck = (message: string, signatureBase64: string) => boolean;

export interface ChainHead {
  readonly hash: string;
  readonly receiptId: string;
}

export interface ChainReport {
  readonly kind: ReceiptKind;
  readonly checked: number;
  /** Receipts written before receipts were signed: listed, not checked. */
  readonly unsigned: number;
  /** The first problem found, oldest first; absent when the chain holds. */
  readonly broken?: { readonly receiptId: string; readonly problem: string };
}

const DAY_MS = 86_400_000;

/** The instant a receipt with this ID would have expired, given a later receipt's own retention. */
function dueAt(receiptId: string, retentionOf: Receipt): number {
  const started = Date.parse(receiptId.split('#', 1)[0] ?? '');
  const retentionMs = retentionOf.purgeAt * 1000 - Date.parse(retentionOf.startedAt);
  return started + Math.max(retentionMs, 0);
}

/**
 * Checks the receipts of one kind, oldest first: every signature, every link to the receipt
 * before, and the head's link to the newest. A first receipt whose predecessor is gone passes only
 * when a retention receipt names that predecessor as pruned, or it was due to expire anyway.
 */
export function verifyChain(
  kind: ReceiptKind,
  receipts: readonly (Receipt & Partial<ReceiptSeal>)[],
  head: ChainHead | undefined,
  check: SignatureCheck,
  now: Date,
  pruned: ReadonlySet<string> = new Set(),
): ChainReport {
  const sealed = receipts.filter((receipt): receipt is SealedReceipt => typeof receipt.signature === 'string');
  const unsigned = receipts.length - sealed.length;
  const broken = (receiptId: string, problem: string): ChainReport => ({ kind, checked: sealed.length, unsigned, broken: { receiptId, problem } });
  let previous: SealedReceipt | undefined;
  for (const receipt of sealed) {
    const { signature, signingKeyId: _key, ...content } = receipt;
    if (!check(signedMessage(content), signature)) return broken(receipt.receiptId, 'its signature does not match its content: it was changed after it was written');
    if (previous === undefined) {
      if (receipt.previousReceiptId === undefined) {
        if (receipt.previousHash !== GENESIS_HASH) return broken(receipt.receiptId, 'it names no previous receipt but does not start the chain');
      } else if (!pruned.has(receipt.previousReceiptId) && dueAt(receipt.previousReceiptId, receipt) > now.getTime() + DAY_MS) {
        return broken(receipt.receiptId, `the receipt before it (${receipt.previousReceiptId}) is missing, though not yet due to expire`);
      }
    } else if (receipt.previousReceiptId !== previous.receiptId || receipt.previousHash !== sealedHash(previous)) {
      return broken(receipt.receiptId, `its link to the receipt before it does not hold: ${receipt.previousReceiptId ?? 'none'} was removed or changed`);
    }
    previous = receipt;
  }
  if (head !== undefined && (previous === undefined || head.receiptId !== previous.receiptId || head.hash !== sealedHash(previous))) {
    return broken(head.receiptId, 'the newest receipt the chain names is missing or changed');
  }
  return { kind, checked: sealed.length, unsigned };
}
