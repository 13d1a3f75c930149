import { addressMacInput } from './address';
import { customerAddressContext } from './encryption-contexts';
import { ORDER_ID_PATTERN } from './identifiers';
import { isStoreGone } from './lifecycle';
import { aliasAddress, aliasNameFromMac, customerAliasMacInput, reverseAliasMacInput } from './names';
import type { AliasRecord, AliasStore, StoreDirectory } from './ports';
import type { KeyService } from '../keys/ports';
import { InvalidRequestError, requireAddress, StoreNotFoundError, StoreTerminatedError } from './stores';
import { unsubscribeToken } from './unsubscribe';

/** Issuing a customer's alias for one order of one store. */

const DAY_MS = 86_400_000;

export interface IssueAliasRequest {
  readonly storeId: string;
  readonly orderId: string;
  readonly customer: string;
}

export interface IssueAliasResult {
  readonly alias: string;
  readonly address: string;
  readonly expiresAt: string;
  /** False when the same store and order already had this alias. */
  readonly created: boolean;
}

export class AliasConflictError extends Error {
  override readonly name = 'AliasConflictError';
}

/**
 * Issues the customer alias for (store, order). The name is derived from a keyed hash of the pair,
 * so asking again returns the same alias; a conditional write makes concurrent requests agree.
 */
export async function issueAlias(
  request: IssueAliasRequest,
  deps: {
    readonly aliases: AliasStore;
    readonly stores: StoreDirectory;
    readonly keys: KeyService;
    readonly now: Date;
    readonly relayDomain: string;
    readonly validityDays: number;
    readonly supportDays: number;
  },
): Promise<IssueAliasResult> {
  if (!ORDER_ID_PATTERN.test(request.orderId)) throw new InvalidRequestError('order ID must be 1-128 letters, digits, ".", "_", ":" or "-"', 'orderId');
  const customer = requireAddress(request.customer, 'customer');
  const store = await deps.stores.getStore(request.storeId);
  if (!store) throw new StoreNotFoundError(`store ${request.storeId} does not exist`);
  if (isStoreGone(store, deps.now)) throw new StoreTerminatedError(`store ${request.storeId} was terminated`);

  const alias = aliasNameFromMac('customer', await deps.keys.mac(customerAliasMacInput(request.storeId, request.orderId)));
  // The store's reverse alias and the List-Unsubscribe token are made with the customer alias, so
  // relaying a conversation's first message needs no key operation and no write for them.
  const [addressHash, reverseMac, addressCipher, unsubscribe] = await Promise.all([
    deps.keys.mac(addressMacInput(customer)),
    deps.keys.mac(reverseAliasMacInput(alias)),
    deps.keys.encrypt(customer, customerAddressContext(alias)),
    unsubscribeToken(alias, deps.keys),
  ]);
  const expiresAt = new Date(deps.now.getTime() + deps.validityDays * DAY_MS);
  const candidate: AliasRecord = {
    alias,
    kind: 'customer',
    storeId: request.storeId,
    orderId: request.orderId,
    addressCipher,
    addressHash,
    reverseAlias: aliasNameFromMac('merchant', reverseMac),
    unsubscribeToken: unsubscribe,
    createdAt: deps.now.toISOString(),
    expiresAt: expiresAt.toISOString(),
    purgeAt: Math.floor((expiresAt.getTime() + deps.supportDays * DAY_MS) / 1000),
  };
  const { record: stored, created } = await deps.aliases.putAliasIfAbsent(candidate);
  if (stored.storeId !== request.storeId || stored.orderId !== request.orderId || stored.addressHash !== addressHash) {
    throw new AliasConflictError(`order ${request.orderId} of store ${request.storeId} already has an alias for another customer`);
  }
  return {
    alias: stored.alias,
    address: aliasAddress(stored.alias, deps.relayDomain),
    expiresAt: stored.expiresAt,
    created,
  };
}
