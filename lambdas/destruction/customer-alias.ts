import { normalizeAddress } from '../aliases/address';
import { customerAddressContext } from '../aliases/encryption-contexts';
import { parseAliasName } from '../aliases/names';
import type { AliasStore } from '../aliases/ports';
import type { KeyService } from '../keys/ports';
import { DestructionRequestError } from './request';
import type { DestructionSubject } from './request';

/**
 * A customer named by one of their aliases: how the marketplace asks for a customer's erasure
 * without sending the address anywhere. The alias (customer alias, or the reverse alias of the same
 * conversation) leads to the customer's encrypted address, which is decrypted here once, so the
 * erasure can go on exactly as if the address had been given: the same look-up hash, the same
 * receipt hash, the same suppression-list entry.
 */

export interface CustomerAliasLookup {
  readonly aliases: Pick<AliasStore, 'getAlias'>;
  readonly keys: Pick<KeyService, 'decrypt'>;
}

/** Thrown for an alias that leads to no customer: never issued, or already erased or expired. */
export class UnknownCustomerAliasError extends Error {
  override readonly name = 'UnknownCustomerAliasError';
}

/** An alias name with or without the relay domain, as the API gave it out. */
function aliasNameOf(value: string): string | undefined {
  return parseAliasName(value.split('@', 1)[0] ?? '')?.alias;
}

export async function customerOfAlias(alias: string, lookup: CustomerAliasLookup): Promise<DestructionSubject> {
  const name = aliasNameOf(alias);
  if (name === undefined) throw new DestructionRequestError('alias is not an alias name');
  const found = await lookup.aliases.getAlias(name);
  // A reverse alias answers for a customer alias; the address is held there.
  const record = found?.kind === 'merchant' && found.customerAlias !== undefined ? await lookup.aliases.getAlias(found.customerAlias) : found;
  if (record?.kind !== 'customer' || record.addressCipher === undefined) {
    throw new UnknownCustomerAliasError(`alias ${name} leads to no customer on record (never issued, or erased or expired already); ask by address through POST /deletion-requests`);
  }
  const email = await lookup.keys.decrypt(record.addressCipher, customerAddressContext(record.alias));
  return { kind: 'customer', email: normalizeAddress(email) };
}
