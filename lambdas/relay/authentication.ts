import { getDomain } from 'tldts';
import { domainOf } from '../aliases/address';
import type { Verdicts } from './verdicts';

/**
 * Who may speak for a From address, and whose envelope may receive a bounce (RFC 7489 §3.1,
 * relaxed alignment). SES's own verdicts say that SPF passed for the envelope domain, that *some*
 * DKIM signature verified, and that DMARC passed; only the last is about the From domain. A DKIM
 * signature counts only when its `d=` aligns with From, so the relay checks the signing domains
 * itself (see `DkimVerifier`).
 */

/**
 * The organisational domain (RFC 7489 §3.2): one label below the longest public suffix, from the
 * Public Suffix List's ICANN and private sections, as DMARC implementations and mailauth use it.
 * `mail.example-isp.ne.jp` → `example-isp.ne.jp`, `shop.github.io` → itself. A name the list cannot
 * place (an address literal, a single label) is its own organisational domain.
 */
export function organisationalDomain(domain: string): string {
  const name = domain.trim().toLowerCase().replace(/\.$/, '');
  return getDomain(name, { allowPrivateDomains: true }) ?? name;
}

/** Relaxed alignment: both domains belong to the same organisational domain. */
export function domainsAlign(first: string, second: string): boolean {
  if (first === '' || second === '') return false;
  return organisationalDomain(first) === organisationalDomain(second);
}

export type AuthenticationMethod = 'dmarc' | 'dkim' | 'spf';

export interface SenderEvidence {
  readonly verdicts: Verdicts;
  /** The one From address the relay authorises on. */
  readonly fromAddress: string;
  /** Envelope MAIL FROM, which SES's SPF verdict is about; empty for the null sender. */
  readonly envelopeSender: string;
  /**
   * Domains (`d=`) of the DKIM signatures that verified on the raw message, or undefined when they
   * were not looked at (SES saw no passing signature, so none can align).
   */
  readonly dkimDomains?: readonly string[];
}

/**
 * How the From address was authenticated, or undefined when it was not: DMARC passed (SES checks it
 * against the From domain), or a verified DKIM signature's domain aligns with From, or SPF passed
 * for an envelope domain aligned with From. Anything else (a DKIM pass for an unrelated domain, SPF
 * for someone else's envelope) proves nothing about the From address.
 */
export function authenticatedBy(evidence: SenderEvidence): AuthenticationMethod | undefined {
  const fromDomain = domainOf(evidence.fromAddress);
  if (fromDomain === '') return undefined;
  if (evidence.verdicts.dmarc === 'PASS') return 'dmarc';
  if (evidence.verdicts.dkim === 'PASS' && (evidence.dkimDomains ?? []).some((domain) => domainsAlign(domain, fromDomain))) return 'dkim';
  if (evidence.verdicts.spf === 'PASS' && domainsAlign(domainOf(evidence.envelopeSender), fromDomain)) return 'spf';
  return undefined;
}

/** Whether the relay needs the DKIM signing domains to decide: DMARC did not pass but some signature did. */
export function needsDkimDomains(verdicts: Verdicts): boolean {
  return verdicts.dmarc !== 'PASS' && verdicts.dkim === 'PASS';
}

/**
 * Whether the envelope sender is proven to be the sender's own, so a bounce to it is not
 * backscatter: SPF passed for the envelope domain (the connecting host may send for it), or the
 * envelope domain aligns with a From address that was authenticated. A stranger who authenticates
 * their own From domain but gives a victim's address as MAIL FROM proves neither.
 */
export function envelopeProven(evidence: SenderEvidence, fromAuthenticated: boolean): boolean {
  const envelopeDomain = domainOf(evidence.envelopeSender);
  if (envelopeDomain === '') return false;
  if (evidence.verdicts.spf === 'PASS') return true;
  return fromAuthenticated && domainsAlign(envelopeDomain, domainOf(evidence.fromAddress));
}
