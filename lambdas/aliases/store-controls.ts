import { InvalidRequestError, requireStoreId, StoreNotFoundError, view } from './stores';
import type { StoreView } from './stores';
import type { StoreControls, StoreDirectory } from './ports';

/**
 * Controls against abuse, set by an operator (`anshin store limits`, `pause`, `unpause`), the
 * marketplace (its API) or the daily abuse signals (a pause): a store's own rate limits, and a pause
 * that stops everything it sends to its customers until it is lifted.
 */

interface ControlDeps {
  readonly stores: StoreDirectory & StoreControls;
  readonly now: Date;
}

/** A pause reason goes into records and logs: a short name, never free text that could hold an address. */
export const PAUSE_REASON = /^[a-z][a-z0-9_]{0,63}$/;

async function storeAfter(storeId: string, changed: boolean, deps: ControlDeps): Promise<StoreView> {
  if (!changed) throw new StoreNotFoundError(`store ${storeId} does not exist`);
  const profile = await deps.stores.getStoreProfile(storeId);
  if (!profile.store) throw new StoreNotFoundError(`store ${storeId} does not exist`);
  return view(profile.store, profile.senders.length, deps.now);
}

/** Replaces the store's own limits; an empty object returns it to the configured defaults. */
export async function setStoreLimits(storeId: string, limits: { readonly perMinute?: number | undefined; readonly perDay?: number | undefined }, deps: ControlDeps): Promise<StoreView> {
  const id = requireStoreId(storeId);
  const own = { ...(limits.perMinute === undefined ? {} : { perMinute: limits.perMinute }), ...(limits.perDay === undefined ? {} : { perDay: limits.perDay }) };
  return storeAfter(id, await deps.stores.setLimits(id, own), deps);
}

export async function pauseStore(storeId: string, reason: string, deps: ControlDeps): Promise<StoreView> {
  const id = requireStoreId(storeId);
  if (!PAUSE_REASON.test(reason)) throw new InvalidRequestError('a pause reason is 1-64 lower-case letters, digits or "_", starting with a letter', 'reason');
  return storeAfter(id, await deps.stores.setPause(id, { at: deps.now.toISOString(), reason }), deps);
}

export async function unpauseStore(storeId: string, deps: ControlDeps): Promise<StoreView> {
  const id = requireStoreId(storeId);
  return storeAfter(id, await deps.stores.setPause(id, undefined), deps);
}
