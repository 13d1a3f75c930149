/** Raw inbound mail in S3 (data class "content"), as the retention run and destruction reach it. */

/**
 * Raw inbound mail in S3 (data class "content"), object by object and version by version. Objects
 * are keyed `inbound/<SES message ID>`; with versioning on, a deletion must remove every version
 * and delete marker, or a copy survives.
 */
export interface RawMailArchive {
  /** Permanently deletes every version and delete marker of these messages' raw mail; returns how many. */
  eraseMessages(sesMessageIds: readonly string[]): Promise<number>;
  /** Versions and delete markers still stored for these messages: 0 after a complete erasure. */
  countMessageVersions(sesMessageIds: readonly string[]): Promise<number>;
  /**
   * One bounded page of the retention sweep over `inbound/`: permanently deletes every version and
   * delete marker last modified at or before `cutoff`. Pass the returned cursor to go on; none is
   * returned once the listing is exhausted.
   */
  sweepOlderThan(cutoff: Date, page: { readonly cursor?: string | undefined; readonly maxKeys: number }): Promise<{ readonly removed: number; readonly cursor?: string }>;
}

/** Signs a receipt's statement with the receipt key (asymmetric, ECDSA P-256); the private key never leaves KMS. */
export interface ReceiptSigner {
  sign(message: string): Promise<{ readonly signature: string; readonly keyId: string }>;
}
