import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mapResolver } from '../lambdas/relay/aws/mailauth-dkim-verifier';
import type { DnsResolver } from '../lambdas/relay/aws/mailauth-dkim-verifier';

/** The local stack's DNS for DKIM keys: `<dataDir>/dns.json`, read on every query so it can be edited while the stack runs. */
const DNS_MAP_FILE = 'dns.json';

/**
 * A resolver over `<dataDir>/dns.json` (`{ "<selector>._domainkey.<domain>": { "TXT": ["v=DKIM1; k=rsa; p=…"] } }`),
 * which the SMTP ingress (for the simulated verdicts) and the relay (for aligned DKIM) both use.
 * Nothing on the machine's own DNS is asked: a name not in the file does not exist.
 */
export function localDnsResolver(dataDir: string): DnsResolver {
  const path = join(dataDir, DNS_MAP_FILE);
  return async (name, rrtype) => {
    let records: Record<string, Record<string, string[]>> = {};
    try {
      records = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, string[]>>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw Object.assign(new Error(`${DNS_MAP_FILE} is not readable JSON`), { code: 'ESERVFAIL' });
    }
    return mapResolver(records)(name, rrtype);
  };
}
