import { createPublicKey, verify } from 'node:crypto';
import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { DynamoReceiptLog } from '../lambdas/records/aws/dynamo-receipt-log';
import { verifyChain } from '../lambdas/records/receipt-chain';
import type { ChainReport } from '../lambdas/records/receipt-chain';
import { RECEIPT_KINDS } from '../lambdas/records/receipts';
import type { ReceiptKind } from '../lambdas/records/receipts';
import type { Target } from './target';

/** A chain of receipts that does not hold: one was changed or removed. */
export class ReceiptChainBrokenError extends Error {
  override readonly name = 'ReceiptChainBrokenError';
}


/**
 * Checks every receipt of the kinds against the receipt key's public key (`kms:GetPublicKey` is all
 * it needs: signatures are checked here, not by KMS) and every link of each chain.
 */
export async function verifyReceipts(target: Target, kinds: readonly ReceiptKind[] = RECEIPT_KINDS, now = new Date()): Promise<ChainReport[]> {
  const { PublicKey } = await target.kms.send(new GetPublicKeyCommand({ KeyId: target.keys.receiptKeyId }));
  if (!PublicKey) throw new Error('KMS answered GetPublicKey without a key');
  const publicKey = createPublicKey({ key: Buffer.from(PublicKey), format: 'der', type: 'spki' });
  const check = (message: string, signature: string): boolean => verify('sha256', Buffer.from(message, 'utf8'), publicKey, Buffer.from(signature, 'base64'));
  const log = new DynamoReceiptLog(target.dynamodb, target.tables.receipts);
  // The receipts retention runs say they removed as past their period.
  const pruned = new Set((await log.chain('retention')).flatMap((receipt) => (receipt.prunedReceipts ?? []).map((entry) => entry.receiptId)));
  return Promise.all(kinds.map(async (kind) => verifyChain(kind, await log.chain(kind), await log.head(kind), check, now, pruned)));
}

export function reportLines(reports: readonly ChainReport[]): string[] {
  return reports.map((report) => {
    const counted = `${report.checked} signed${report.unsigned > 0 ? `, ${report.unsigned} from before signing (not checked)` : ''}`;
    return report.broken ? `${report.kind}: BROKEN at ${report.broken.receiptId}: ${report.broken.problem} (${counted})` : `${report.kind}: ok (${counted})`;
  });
}
