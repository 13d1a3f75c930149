import type { AliasRecord } from './ports';
import { createHash } from 'node:crypto';
import type { AliasKind } from './ports';

/**
 * Alias names look like `c-7k2m9q4x0abc` (customer) and `m-…` (merchant, the reverse alias).
 * The 12 characters are 60 bits of an HMAC in Crockford's base32 (no i, l, o, u), so aliases are
 * unguessable, easy to read aloud, and collisions stay negligible (≈5·10⁻⁷ at a million aliases).
 */
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
const BODY_LENGTH = 12;
const PREFIX: Record<AliasKind, string> = { customer: 'c', merchant: 'm' };
const ALIAS_NAME = /^([cm])-([0-9a-hjkmnp-tv-z]{12})$/;

export interface ParsedAlias {
  readonly alias: string;
  readonly kind: AliasKind;
}

/** Turns the leading 60 bits of a hex MAC into an alias name of the given kind. */
export function aliasNameFromMac(kind: AliasKind, macHex: string): string {
  if (!/^[0-9a-f]{16,}$/.test(macHex)) throw new Error('aliasNameFromMac needs at least 64 bits of lower-case hex');
  let bits = BigInt(`0x${macHex.slice(0, 16)}`) >> 4n;
  let body = '';
  for (let i = 0; i < BODY_LENGTH; i += 1) {
    body = CROCKFORD[Number(bits & 31n)] + body;
    bits >>= 5n;
  }
  return `${PREFIX[kind]}-${body}`;
}

/** MAC input that makes the same (store, order) always yield the same customer alias. */
export function customerAliasMacInput(storeId: string, orderId: string): string {
  return `alias:v1:customer:${JSON.stringify([storeId, orderId])}`;
}

/** MAC input for the store's reverse alias in one customer conversation. */
export function reverseAliasMacInput(customerAlias: string): string {
  return `alias:v1:merchant:${customerAlias}`;
}

/** The store's reverse alias `name` for a customer alias: the same store, customer and lifetime. */
export function reverseAliasRecord(customer: AliasRecord, name: string, createdAt: string): AliasRecord {
  return {
    alias: name,
    kind: 'merchant',
    storeId: customer.storeId,
    addressHash: customer.addressHash,
    customerAlias: customer.alias,
    createdAt,
    expiresAt: customer.expiresAt,
    purgeAt: customer.purgeAt,
  };
}

/** Parses an alias name (local part only), case-insensitively. */
export function parseAliasName(localPart: string): ParsedAlias | undefined {
  const match = ALIAS_NAME.exec(localPart.toLowerCase());
  if (!match) return undefined;
  return { alias: match[0], kind: match[1] === 'c' ? 'customer' : 'merchant' };
}

/**
 * Parses an envelope recipient into an alias when it is on the relay domain. Sub-address tags
 * (`c-…+tag@`) are not honoured: an alias is the whole local part.
 */
export function parseAliasAddress(address: string, relayDomain: string): ParsedAlias | undefined {
  const at = address.lastIndexOf('@');
  if (at < 1) return undefined;
  if (address.slice(at + 1).toLowerCase() !== relayDomain.toLowerCase()) return undefined;
  return parseAliasName(address.slice(0, at));
}

export function aliasAddress(alias: string, relayDomain: string): string {
  return `${alias}@${relayDomain}`;
}

/**
 * The only trace a retired customer alias leaves: a one-way hash of its name, with nothing to link it
 * to a store, order or customer. Names are derived from (store, order), so without it the same
 * order could be given the same name again and old mail would reach a new conversation.
 */
export function retiredAliasHash(alias: string): string {
  return createHash('sha256').update(`retired-alias:v1:${alias}`).digest('hex');
}

/** Issuing an alias whose name was used before and retired. */
export class AliasRetiredError extends Error {
  override readonly name = 'AliasRetiredError';
}
