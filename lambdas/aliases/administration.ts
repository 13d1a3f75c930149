import { isExpired, isPaused } from './lifecycle';
import { aliasNameFromMac, parseAliasName, reverseAliasMacInput } from './names';
import type { AliasAdministration, AliasRecord, AliasStore, Page, PageRequest, StoreDirectory } from './ports';
import { requireStoreId, StoreNotFoundError } from './stores';
import type { MacService } from '../keys/ports';

/** The marketplace's view of its aliases: status and expiry by name, disabling; never an address. */

export type AliasStatus = 'active' | 'paused' | 'expired' | 'disabled';

export interface AliasView {
  readonly alias: string;
  readonly kind: AliasRecord['kind'];
  readonly storeId: string;
  readonly orderId?: string;
  readonly status: AliasStatus;
  readonly expiresAt: string;
}

/** No alias of that name: never issued, or gone with its retention. */
export class AliasNotFoundError extends Error {
  override readonly name = 'AliasNotFoundError';
}

export function aliasStatus(record: AliasRecord, now: Date): AliasStatus {
  if (record.disabledAt !== undefined) return 'disabled';
  if (isExpired(record, now)) return 'expired';
  return isPaused(record, now) ? 'paused' : 'active';
}

function requireAliasName(name: string) {
  const parsed = parseAliasName(name.split('@', 1)[0] ?? '');
  if (!parsed) throw new AliasNotFoundError(`no alias ${name.slice(0, 64)}`);
  return parsed;
}

function aliasView(record: AliasRecord, now: Date): AliasView {
  return {
    alias: record.alias,
    kind: record.kind,
    storeId: record.storeId,
    ...(record.orderId === undefined ? {} : { orderId: record.orderId }),
    status: aliasStatus(record, now),
    expiresAt: record.expiresAt,
  };
}

/**
 * One page of a store's customer aliases, the newest first, expired and disabled ones included
 * until their retention ends. A store that was never registered, or was erased, has none to list.
 */
export async function listCustomerAliases(
  storeId: string,
  page: PageRequest,
  deps: { readonly administration: AliasAdministration; readonly stores: Pick<StoreDirectory, 'getStore'>; readonly now: Date },
): Promise<Page<AliasView>> {
  const id = requireStoreId(storeId);
  if (!(await deps.stores.getStore(id))) throw new StoreNotFoundError(`store ${id} does not exist`);
  const listed = await deps.administration.listCustomerAliases(id, page);
  return { items: listed.items.map((record) => aliasView(record, deps.now)), ...(listed.cursor === undefined ? {} : { cursor: listed.cursor }) };
}

/** An alias by name (with or without the relay domain); `AliasNotFoundError` when there is none. */
export async function getAliasView(name: string, deps: { readonly aliases: AliasStore; readonly now: Date }): Promise<AliasView> {
  const parsed = requireAliasName(name);
  const record = await deps.aliases.getAlias(parsed.alias);
  if (!record || record.kind !== parsed.kind) throw new AliasNotFoundError(`no alias ${parsed.alias}`);
  return aliasView(record, deps.now);
}

/**
 * Stops a customer alias relaying at once, both ways: the alias and the store's reverse alias for
 * it. Both stay stored until their retention ends, so inquiries can still be answered.
 */
export async function disableAlias(
  name: string,
  deps: { readonly aliases: AliasStore; readonly administration: AliasAdministration; readonly keys: MacService; readonly now: Date },
): Promise<AliasView> {
  const parsed = requireAliasName(name);
  if (parsed.kind !== 'customer') throw new AliasNotFoundError(`no customer alias ${parsed.alias}`);
  const result = await deps.administration.disableAlias(parsed.alias, deps.now);
  if (result === 'missing') throw new AliasNotFoundError(`no alias ${parsed.alias}`);
  const reverse = aliasNameFromMac('merchant', await deps.keys.mac(reverseAliasMacInput(parsed.alias)));
  await deps.administration.disableAlias(reverse, deps.now);
  return getAliasView(parsed.alias, deps);
}
