/** SES receipt verdict values (SES Developer Guide, "Contents of notifications for email receiving"). */
export type VerdictStatus = 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED' | 'DISABLED';

export interface Verdicts {
  readonly spf: VerdictStatus;
  readonly dkim: VerdictStatus;
  readonly dmarc: VerdictStatus;
  readonly spam: VerdictStatus;
  readonly virus: VerdictStatus;
  /** The sending domain's DMARC policy, present when SES evaluated DMARC. */
  readonly dmarcPolicy?: 'none' | 'quarantine' | 'reject';
}

const STATUSES: readonly VerdictStatus[] = ['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED'];

/** Anything SES might add later reads as GRAY: neither a pass nor a fail. */
export function toVerdictStatus(value: unknown): VerdictStatus {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value) ? (value as VerdictStatus) : 'GRAY';
}
