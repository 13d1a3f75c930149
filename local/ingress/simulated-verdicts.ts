import { headerValue } from './message-headers';
import type { HeaderField } from './message-headers';

export type VerdictStatus = 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED' | 'DISABLED';
export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

export interface ReceiptVerdicts {
  readonly spf: VerdictStatus;
  readonly dkim: VerdictStatus;
  readonly dmarc: VerdictStatus;
  readonly spam: VerdictStatus;
  readonly virus: VerdictStatus;
  /** Present only when DMARC failed, as in SES's notifications. */
  readonly dmarcPolicy?: DmarcPolicy;
}

/**
 * Header with which a mail submitted to the local SMTP ingress asks for verdicts SES would have
 * computed, e.g. `X-Local-Verdict: spf=FAIL, dkim=FAIL, dmarc=FAIL, dmarcPolicy=reject, spam=FAIL,
 * virus=FAIL` (any subset, case-insensitive, `,` or `;` between entries). Verdicts not named are
 * PASS, which is what SES reports for an authenticated sender. The header stays in the stored mail,
 * as any sender header does; the relay's header keep-list drops it on the way out.
 */
export const VERDICT_HEADER = 'X-Local-Verdict';

const STATUSES: readonly VerdictStatus[] = ['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED'];
const POLICIES: readonly DmarcPolicy[] = ['none', 'quarantine', 'reject'];
const CHECKS = ['spf', 'dkim', 'dmarc', 'spam', 'virus'] as const;

export class VerdictHeaderError extends Error {
  override readonly name = 'VerdictHeaderError';
}

/** Verdicts for a submitted mail: PASS throughout unless {@link VERDICT_HEADER} says otherwise. */
export function simulatedVerdicts(fields: readonly HeaderField[]): ReceiptVerdicts {
  const verdicts: Record<(typeof CHECKS)[number], VerdictStatus> = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' };
  let policy: DmarcPolicy | undefined;
  const header = headerValue(fields, VERDICT_HEADER);
  for (const entry of (header ?? '').split(/[,;]/)) {
    if (entry.trim() === '') continue;
    const [rawName = '', rawValue = ''] = entry.split('=', 2).map((part) => part.trim());
    const name = rawName.toLowerCase();
    if (name === 'dmarcpolicy') {
      const value = rawValue.toLowerCase() as DmarcPolicy;
      if (!POLICIES.includes(value)) throw new VerdictHeaderError(`${VERDICT_HEADER}: dmarcPolicy must be one of ${POLICIES.join(', ')}`);
      policy = value;
      continue;
    }
    const check = CHECKS.find((c) => c === name);
    const status = rawValue.toUpperCase() as VerdictStatus;
    if (!check || !STATUSES.includes(status)) {
      throw new VerdictHeaderError(`${VERDICT_HEADER}: expected entries like spf=FAIL (checks ${CHECKS.join(', ')}; verdicts ${STATUSES.join(', ')})`);
    }
    verdicts[check] = status;
  }
  return verdicts.dmarc === 'FAIL' ? { ...verdicts, dmarcPolicy: policy ?? 'none' } : verdicts;
}
