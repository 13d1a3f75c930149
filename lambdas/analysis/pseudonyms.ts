import { createHmac, randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';

/**
 * Pseudonyms of one export: HMAC-SHA-256 under a key made for that export, so the pseudonyms of two
 * exports cannot be joined, or under an investigation's key, so its exports can. The kind of
 * identifier is part of the message, so a store and an alias with the same ID never share one.
 */
export class Pseudonymiser {
  private readonly cache = new Map<string, string>();

  constructor(private readonly key: Uint8Array) {
    if (key.length < 32) throw new Error('a pseudonym key has at least 32 bytes');
  }

  /** A key for one export, never stored: once the export is written, nobody can link its pseudonyms. */
  static perExport(): Pseudonymiser {
    return new Pseudonymiser(randomBytes(32));
  }

  /** 96 bits, hex: collisions are negligible at any volume the relay sees, and rows stay small. */
  of(kind: 'store' | 'alias', id: string): string {
    const message = `${kind}:${id}`;
    let pseudonym = this.cache.get(message);
    if (pseudonym === undefined) {
      pseudonym = createHmac('sha256', this.key).update(message).digest('hex').slice(0, 24);
      this.cache.set(message, pseudonym);
    }
    return pseudonym;
  }
}

/**
 * The connecting network of an IP: its IPv4 /24 or IPv6 /48 in CIDR form (an IPv4-mapped IPv6
 * address counts as IPv4). Undefined for anything that is not an IP.
 */
export function networkOf(ip: string | undefined): string | undefined {
  if (ip === undefined || !ipaddr.isValid(ip)) return undefined;
  let parsed = ipaddr.parse(ip);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const prefix = parsed.kind() === 'ipv4' ? 24 : 48;
  const bytes = parsed.toByteArray().map((byte, index) => (index * 8 >= prefix ? 0 : byte));
  return `${ipaddr.fromByteArray(bytes).toString()}/${prefix}`;
}

const KB = 1024;
const SIZE_BANDS: readonly (readonly [number, string])[] = [
  [10 * KB, '<10KB'],
  [100 * KB, '10-100KB'],
  [KB * KB, '100KB-1MB'],
  [10 * KB * KB, '1-10MB'],
];

/** Sizes are banded: an exact size can single out a message. */
export function sizeBandOf(sizeBytes: number | undefined): string | undefined {
  if (sizeBytes === undefined) return undefined;
  return SIZE_BANDS.find(([below]) => sizeBytes < below)?.[1] ?? '>=10MB';
}
