import { addressMacInput, isPlausibleAddress, normalizeAddress } from './address';
import { aliasAddress, aliasNameFromMac, customerAliasMacInput } from './names';
import type { AliasRecord, AliasStore, KeyService, StoreDirectory } from '../ports';
import { customerAddressContext, storeContactContext, storeSenderContext } from './encryption-contexts';
import { isStoreGone } from '../relay/screening';

const STORE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ORDER_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const DAY_MS = 86_400_000;

export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}

function requireAddress(address: string, what: string): string {
  if (!isPlausibleAddress(address)) throw new InvalidRequestError(`${what} is not a valid e-mail address`);
  return normalizeAddress(address);
}

export interface CreateStoreRequest {
  readonly storeId: string;
  /** Shown as the sender's name when the store's mail carries none. */
  readonly displayName?: string;
  readonly contact: string;
  readonly senders: readonly string[];
}

export interface CreateStoreResult {
  readonly storeId: string;
  readonly displayName: string;
  readonly senderCount: number;
}

/**
 * Registers a store with its contact address (where customers' replies go) and the sender
 * addresses allowed to write to its customers. Re-running with the same store ID updates the
 * contact and adds senders. Addresses are stored encrypted, with their keyed hash for look-ups.
 */
export async function createStore(
  request: CreateStoreRequest,
  deps: { readonly stores: StoreDirectory; readonly keys: KeyService; readonly now: Date },
): Promise<CreateStoreResult> {
  if (!STORE_ID.test(request.storeId)) throw new InvalidRequestError('store ID must be 1-64 letters, digits, ".", "_" or "-"');
  if (request.senders.length === 0) throw new InvalidRequestError('a store needs at least one registered sender');
  const contact = requireAddress(request.contact, 'contact');
  const senders = [...new Set(request.senders.map((s) => requireAddress(s, 'sender')))];
  const displayName = (request.displayName ?? request.storeId).trim() || request.storeId;
  const createdAt = deps.now.toISOString();
  // Re-registering would overwrite the termination and keep the store's data past its support period.
  const existing = await deps.stores.getStore(request.storeId);
  if (existing && isStoreGone(existing, deps.now)) throw new InvalidRequestError(`store ${request.storeId} was terminated; register it under a new store ID`);

  await deps.stores.putStore({
    storeId: request.storeId,
    displayName,
    contactCipher: await deps.keys.encrypt(contact, storeContactContext(request.storeId)),
    contactHash: await deps.keys.mac(addressMacInput(contact)),
    createdAt,
  });
  for (const sender of senders) {
    await deps.stores.putSender({
      storeId: request.storeId,
      addressHash: await deps.keys.mac(addressMacInput(sender)),
      addressCipher: await deps.keys.encrypt(sender, storeSenderContext(request.storeId)),
      createdAt,
    });
  }
  return { storeId: request.storeId, displayName, senderCount: senders.length };
}

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
  if (!ORDER_ID.test(request.orderId)) throw new InvalidRequestError('order ID must be 1-128 letters, digits, ".", "_", ":" or "-"');
  const customer = requireAddress(request.customer, 'customer');
  const store = await deps.stores.getStore(request.storeId);
  if (!store || isStoreGone(store, deps.now)) throw new InvalidRequestError(`store ${request.storeId} does not exist`);

  const alias = aliasNameFromMac('customer', await deps.keys.mac(customerAliasMacInput(request.storeId, request.orderId)));
  const addressHash = await deps.keys.mac(addressMacInput(customer));
  const expiresAt = new Date(deps.now.getTime() + deps.validityDays * DAY_MS);
  const candidate: AliasRecord = {
    alias,
    kind: 'customer',
    storeId: request.storeId,
    orderId: request.orderId,
    addressCipher: await deps.keys.encrypt(customer, customerAddressContext(alias)),
    addressHash,
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
