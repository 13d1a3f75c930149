import { domainsAlign } from '../../lambdas/relay/authentication';
import { headerValue } from './message-headers';
import type { HeaderField } from './message-headers';

type VerdictStatus = 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED' | 'DISABLED';
type DmarcPolicy = 'none' | 'quarantine' | 'reject';

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
 * Header with which a mail submitted to the local SMTP ingress sets verdicts SES would have
 * computed, e.g. `X-Local-Verdict: spf=FAIL, dkim=FAIL, dmarc=FAIL, dmarcPolicy=reject, spam=FAIL,
 * virus=FAIL` (any subset, case-insensitive, `,` or `;` between entries). The header stays in the
 * stored mail, as any sender header does; the relay's header keep-list drops it on the way out.
 */
const VERDICT_HEADER = 'X-Local-Verdict';

const STATUSES: readonly VerdictStatus[] = ['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED'];
const POLICIES: readonly DmarcPolicy[] = ['none', 'quarantine', 'reject'];
const CHECKS = ['spf', 'dkim', 'dmarc', 'spam', 'virus'] as const;

export class VerdictHeaderError extends Error {
  override readonly name = 'VerdictHeaderError';
}

/** What the ingress found out itself about a submitted mail. */
export interface ObservedAuthentication {
  /** Envelope MAIL FROM. */
  readonly envelopeSender: string;
  /** The From address, when the mail has exactly one. */
  readonly fromAddress?: string;
  /**
   * DKIM as verified against the local DNS map: the domains of the signatures that verified, or
   * undefined when the mail carries no signature.
   */
  readonly dkimDomains?: readonly string[];
}

/**
 * Verdicts for a submitted mail, as SES would compute them for a sender on loopback:
 * - SPF: PASS (the loopback client may send for any envelope domain);
 * - DKIM: GRAY for an unsigned mail, else PASS when a signature verified against the local DNS map
 *   (`<dataDir>/dns.json`), FAIL when none did;
 * - DMARC: PASS when SPF or DKIM passed for a domain aligned with From, else FAIL (policy `none`);
 * - spam and virus: PASS.
 * {@link VERDICT_HEADER} overrides any of them; DMARC follows the SPF and DKIM verdicts given there
 * unless it is set as well.
 */
export function simulatedVerdicts(fields: readonly HeaderField[], observed: ObservedAuthentication = { envelopeSender: '' }): ReceiptVerdicts {
  const verdicts: Record<(typeof CHECKS)[number], VerdictStatus> = {
    spf: 'PASS',
    dkim: observed.dkimDomains === undefined ? 'GRAY' : observed.dkimDomains.length > 0 ? 'PASS' : 'FAIL',
    dmarc: 'PASS',
    spam: 'PASS',
    virus: 'PASS',
  };
  const given = new Set<string>();
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
    given.add(check);
  }
  if (!given.has('dmarc')) verdicts.dmarc = dmarcOf(verdicts, observed);
  return verdicts.dmarc === 'FAIL' ? { ...verdicts, dmarcPolicy: policy ?? 'none' } : verdicts;
}

/** RFC 7489 §4.2: DMARC passes when SPF or DKIM passed for an identifier aligned with From. */
function dmarcOf(verdicts: Readonly<Record<(typeof CHECKS)[number], VerdictStatus>>, observed: ObservedAuthentication): VerdictStatus {
  const fromDomain = domainOf(observed.fromAddress ?? '');
  if (fromDomain === '') return 'FAIL';
  const spfAligned = verdicts.spf === 'PASS' && domainsAlign(domainOf(observed.envelopeSender), fromDomain);
  const dkimAligned = verdicts.dkim === 'PASS' && (observed.dkimDomains ?? [fromDomain]).some((domain) => domainsAlign(domain, fromDomain));
  return spfAligned || dkimAligned ? 'PASS' : 'FAIL';
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).trim().toLowerCase();
}
