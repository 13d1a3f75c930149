import { dkimVerify } from 'mailauth/lib/dkim/verify';
import type { DkimVerification, DkimVerifier } from '../ports';

/**
 * Answers DNS queries as `dns.promises.resolve` does: TXT records as arrays of strings, other
 * types as strings; throws with `code` `ENOTFOUND` / `ENODATA` when there is no record.
 */
export type DnsResolver = (name: string, rrtype: string) => Promise<string[][] | string[]>;

/**
 * DKIM verification with mailauth (RFC 6376, RFC 8463), on the raw message as SES stored it (the
 * fields SES put on top are not signed, so they do not disturb a signature). DNS goes through the
 * given resolver: the system's in Lambda, a local map on the local stack and in tests.
 */
export class MailauthDkimVerifier implements DkimVerifier {
  constructor(private readonly resolver?: DnsResolver) {}

  async verify(raw: Buffer): Promise<DkimVerification> {
    const { results } = await dkimVerify(raw, this.resolver ? { resolver: this.resolver } : {});
    const passing = new Set<string>();
    let temporaryFailure = false;
    for (const result of results) {
      const outcome = result.status?.result;
      if (outcome === 'pass' && result.signingDomain) passing.add(result.signingDomain.toLowerCase());
      else if (outcome === 'temperror') temporaryFailure = true;
    }
    return { passingDomains: [...passing], temporaryFailure };
  }
}

/**
 * A resolver over a fixed map, `{ "<name>": { "TXT": ["v=DKIM1; …"] } }`, names matched
 * case-insensitively; anything not in it does not exist (ENOTFOUND).
 */
export function mapResolver(records: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>): DnsResolver {
  const byName = new Map(Object.entries(records).map(([name, types]) => [name.toLowerCase().replace(/\.$/, ''), types]));
  return async (name, rrtype) => {
    const values = byName.get(name.toLowerCase().replace(/\.$/, ''))?.[rrtype.toUpperCase()];
    if (!values || values.length === 0) throw Object.assign(new Error(`no ${rrtype} record`), { code: 'ENOTFOUND' });
    // TXT answers come as lists of character-strings; a record given as one string is one of them.
    return rrtype.toUpperCase() === 'TXT' ? values.map((value) => [value]) : [...values];
  };
}
