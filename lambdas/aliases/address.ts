/**
 * Canonical form of a real e-mail address for hashing and comparison. The local part is technically
 * case-sensitive (RFC 5321 §2.4), but every mailbox provider our users are on treats it
 * case-insensitively, and a store that registers `News@Shop.example` expects `news@shop.example` to
 * match.
 */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

export const PLAUSIBLE_ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

/** A deliberately simple check for addresses typed by operators; full RFC 5322 syntax is not wanted here. */
export function isPlausibleAddress(address: string): boolean {
  return address.length <= 254 && PLAUSIBLE_ADDRESS.test(address.trim());
}

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : normalizeAddress(address.slice(at + 1));
}

/**
 * Input to the keyed hash of a real address. The prefix separates it from the other things hashed
 * with the same key (alias derivation), so one can never be mistaken for the other.
 */
export function addressMacInput(address: string): string {
  return `address:v1:${normalizeAddress(address)}`;
}
