import { addressMacInput, isPlausibleAddress, normalizeAddress } from './address';
import type { StoreDirectory } from './ports';
import type { KeyService } from '../keys/ports';
import { storeContactContext, storeSenderContext } from './encryption-contexts';
import { isStoreGone } from './lifecycle';

/** Registering a store: its contact address and the senders allowed to write to its customers. */

const STORE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}

export function requireAddress(address: string, what: string): string {
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
