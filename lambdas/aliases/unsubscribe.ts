import { timingSafeEqual } from 'node:crypto';
import { parseAliasName, reverseAliasMacInput } from './names';
import type { MacService } from '../keys/ports';

/**
 * The customer's one-click way to stop a store's mail (RFC 8058): every store mail relayed to a
 * customer carries `List-Unsubscribe` with a URL of the relay's own, whose token names the customer
 * alias and carries a keyed hash of it, so only the mail's recipient can have it and no address is
 * ever in it. Blocking stops that store's mail to that alias only; the customer can undo it.
 *
 * The keyed hash is the second half of the one the relay computes anyway for every store mail to a
 * customer: the MAC its reverse alias is named from. The name shows only the first 60 bits; bits
 * 128 to 255 of an HMAC tell nothing of them or they of it, so the store, which sees the reverse
 * alias, cannot make the token, and a relayed mail costs no second call to the key service.
 */

/** MAC input the token's bits come from: the reverse alias's. */
function unsubscribeMacInput(alias: string): string {
  return reverseAliasMacInput(alias);
}

/** 128 bits, from bit 128 of the MAC on: enough against guessing, short enough for a tidy URL. */
const MAC_HEX = 32;
const TOKEN_BITS_FROM_HEX = 32;
const TOKEN = /^([cm]-[0-9a-z]{12})\.([0-9a-f]{32})$/;

function tokenBits(macHex: string): string {
  const bits = macHex.slice(TOKEN_BITS_FROM_HEX, TOKEN_BITS_FROM_HEX + MAC_HEX);
  if (!/^[0-9a-f]{32}$/.test(bits)) throw new Error('an unsubscribe token needs a 256-bit MAC');
  return bits;
}

export async function unsubscribeToken(alias: string, keys: MacService): Promise<string> {
  return `${alias}.${tokenBits(await keys.mac(unsubscribeMacInput(alias)))}`;
}

/** Where the token is used: the menu's `/unsubscribe/<token>`. */
export function unsubscribeUrl(menuUrl: string, token: string): string {
  return `${menuUrl.replace(/\/+$/, '')}/unsubscribe/${token}`;
}

/** The customer alias a token names, when its MAC is right; undefined for anything else. */
export async function aliasOfUnsubscribeToken(token: string, keys: MacService): Promise<string | undefined> {
  const match = TOKEN.exec(token);
  const [, alias = '', mac = ''] = match ?? [];
  if (!match || parseAliasName(alias)?.kind !== 'customer') return undefined;
  const expected = Buffer.from(tokenBits(await keys.mac(unsubscribeMacInput(alias))), 'utf8');
  return timingSafeEqual(expected, Buffer.from(mac, 'utf8')) ? alias : undefined;
}
