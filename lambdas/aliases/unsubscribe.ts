import { timingSafeEqual } from 'node:crypto';
import { parseAliasName } from './names';
import type { MacService } from '../keys/ports';

/**
 * The customer's one-click way to stop a store's mail (RFC 8058): every store mail relayed to a
 * customer carries `List-Unsubscribe` with a URL of the relay's own, whose token names the customer
 * alias and carries a keyed hash of it, so only the mail's recipient can have it and no address is
 * ever in it. Blocking stops that store's mail to that alias only; the customer can undo it.
 */

/** MAC input of an alias's unsubscribe token; distinct from every look-up and receipt input. */
function unsubscribeMacInput(alias: string): string {
  return `unsubscribe:v1:${alias}`;
}

/** 128 bits of the MAC: enough against guessing, short enough for a tidy URL. */
const MAC_HEX = 32;
const TOKEN = /^([cm]-[0-9a-z]{12})\.([0-9a-f]{32})$/;

export async function unsubscribeToken(alias: string, keys: MacService): Promise<string> {
  return `${alias}.${(await keys.mac(unsubscribeMacInput(alias))).slice(0, MAC_HEX)}`;
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
  const expected = Buffer.from((await keys.mac(unsubscribeMacInput(alias))).slice(0, MAC_HEX), 'utf8');
  return timingSafeEqual(expected, Buffer.from(mac, 'utf8')) ? alias : undefined;
}
