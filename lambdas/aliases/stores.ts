import { createHash } from 'node:crypto';
import { addressMacInput, isPlausibleAddress, normalizeAddress } from './address';
import type { Page, PageRequest, RegisteredSender, StoreDirectory, StoreListing, StoreRecord } from './ports';
import type { KeyService } from '../keys/ports';
import { storeContactContext, storeSenderContext } from './encryption-contexts';
import { STORE_ID_PATTERN } from './identifiers';
import { isStoreGone, isVerifiedSender } from './lifecycle';

/** Registering a store: its contact address and the senders allowed to write to its customers. */


/** A request the caller can fix: a malformed ID or address, a missing sender. `field` names the part at fault. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';

  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** No store (or no sender) of that ID: never registered, or erased. */
export class StoreNotFoundError extends Error {
  override readonly name = 'StoreNotFoundError';
}

/** The store was terminated: it can be read until it is erased, but not changed or used again. */
export class StoreTerminatedError extends Error {
  override readonly name = 'StoreTerminatedError';
}

export function requireAddress(address: string, what: string): string {
  if (!isPlausibleAddress(address)) throw new InvalidRequestError(`${what} is not a valid e-mail address`, what);
  return normalizeAddress(address);
}

export function requireStoreId(storeId: string): string {
  if (!STORE_ID_PATTERN.test(storeId)) throw new InvalidRequestError('store ID must be 1-64 letters, digits, ".", "_" or "-"', 'storeId');
  return storeId;
}

/** A sender's ID as the API names it: random, so it says nothing about the address it stands for. */
function newSenderId(random: () => string): string {
  return `snd_${random()}`;
}

export interface StoreRequest {
  readonly storeId: string;
  /** Shown as the sender's name when the store's mail carries none. */
  readonly displayName?: string | undefined;
  readonly contact: string;
  readonly senders: readonly string[];
}

/** A store in a listing: where it stands, never an address. */
export interface StoreSummary {
  readonly storeId: string;
  readonly displayName: string;
  readonly status: 'active' | 'terminated';
  /** Set while the store is paused: nothing of its mail to customers is relayed. */
  readonly paused?: { readonly since: string; readonly reason: string };
  /** The store's own rate limits, where they differ from the defaults. */
  readonly limits?: { readonly perMinute?: number; readonly perDay?: number };
}

/** A store as the marketplace and operators see it: counts, never an address. */
export interface StoreView extends StoreSummary {
  readonly senderCount: number;
}

export interface StoreDeps {
  readonly stores: StoreDirectory;
  readonly keys: KeyService;
  readonly now: Date;
  /** Random hex for sender IDs. */
  readonly random: () => string;
}

type StoreState = Pick<StoreRecord, 'storeId' | 'displayName' | 'terminatedAt' | 'purgeAt' | 'pausedAt' | 'pauseReason' | 'limits'>;

function summary(store: StoreState, now: Date): StoreSummary {
  return {
    storeId: store.storeId,
    displayName: store.displayName,
    status: isStoreGone(store, now) ? 'terminated' : 'active',
    ...(store.pausedAt === undefined ? {} : { paused: { since: store.pausedAt, reason: store.pauseReason ?? 'operator' } }),
    ...(store.limits === undefined || Object.keys(store.limits).length === 0 ? {} : { limits: store.limits }),
  };
}

export function view(store: StoreState, senderCount: number, now: Date): StoreView {
  return { ...summary(store, now), senderCount };
}

/** One page of every store, in store-ID order. */
export async function listStores(page: PageRequest, deps: { readonly stores: StoreListing; readonly now: Date }): Promise<Page<StoreSummary>> {
  const listed = await deps.stores.listStores(page);
  return { items: listed.items.map((store) => summary(store, deps.now)), ...(listed.cursor === undefined ? {} : { cursor: listed.cursor }) };
}

/** What a store carries besides its registration: kept when the registration is replaced. */
function controlsOf(store: StoreRecord | undefined): Pick<StoreRecord, 'limits' | 'pausedAt' | 'pauseReason'> {
  if (!store) return {};
  return {
    ...(store.limits === undefined ? {} : { limits: store.limits }),
    ...(store.pausedAt === undefined ? {} : { pausedAt: store.pausedAt }),
    ...(store.pauseReason === undefined ? {} : { pauseReason: store.pauseReason }),
  };
}

/**
 * Creates a store or replaces what is registered for it: its name, its contact address (where
 * customers' replies go) and exactly the given senders (new ones added, the others removed). The
 * same request twice leaves the same store. Addresses are stored encrypted, with their keyed hash
 * for look-ups. A terminated store is not brought back: that would keep its data past its support
 * period.
 */
export async function putStore(request: StoreRequest, deps: StoreDeps): Promise<{ readonly store: StoreView; readonly created: boolean }> {
  const storeId = requireStoreId(request.storeId);
  if (request.senders.length === 0) throw new InvalidRequestError('a store needs at least one registered sender', 'senders');
  const contact = requireAddress(request.contact, 'contact');
  const senders = [...new Set(request.senders.map((s) => requireAddress(s, 'senders')))];
  const displayName = (request.displayName ?? storeId).trim() || storeId;
  const profile = await deps.stores.getStoreProfile(storeId);
  if (profile.store && isStoreGone(profile.store, deps.now)) throw new StoreTerminatedError(`store ${storeId} was terminated; register it under a new store ID`);

  const contactHash = await deps.keys.mac(addressMacInput(contact));
  const sameContact = profile.store?.contactHash === contactHash;
  await deps.stores.putStore({
    storeId,
    displayName,
    contactCipher: sameContact && profile.store ? profile.store.contactCipher : await deps.keys.encrypt(contact, storeContactContext(storeId)),
    contactHash,
    createdAt: profile.store?.createdAt ?? deps.now.toISOString(),
    ...controlsOf(profile.store),
  });
  const wanted = new Map<string, string>();
  for (const sender of senders) wanted.set(await deps.keys.mac(addressMacInput(sender)), sender);
  const present = new Set(profile.senders.map((sender) => sender.addressHash));
  for (const [addressHash, sender] of wanted) {
    if (!present.has(addressHash)) await addSenderItem(storeId, addressHash, sender, deps);
  }
  for (const sender of profile.senders) {
    if (!wanted.has(sender.addressHash)) await deps.stores.removeSender(storeId, sender.addressHash);
  }
  return { store: view({ ...controlsOf(profile.store), storeId, displayName }, wanted.size, deps.now), created: profile.store === undefined };
}

/**
 * Who vouches for a new sender: the marketplace (its API or an operator), whose word verifies it, or
 * nobody yet (added in the merchant menu): pending until a link mailed to it is opened.
 */
type Voucher = 'marketplace' | 'none';

async function addSenderItem(storeId: string, addressHash: string, sender: string, deps: StoreDeps, voucher: Voucher = 'marketplace'): Promise<RegisteredSender> {
  const item: RegisteredSender = {
    storeId,
    senderId: newSenderId(deps.random),
    addressHash,
    addressCipher: await deps.keys.encrypt(sender, storeSenderContext(storeId)),
    createdAt: deps.now.toISOString(),
    ...(voucher === 'marketplace' ? { status: 'verified' as const, verifiedBy: 'marketplace' as const } : { status: 'pending' as const }),
  };
  await deps.stores.putSender(item);
  return item;
}

/** The store's status, name and number of senders; `StoreNotFoundError` when there is none. */
export async function getStoreView(storeId: string, deps: Pick<StoreDeps, 'stores' | 'now'>): Promise<StoreView> {
  const profile = await deps.stores.getStoreProfile(requireStoreId(storeId));
  if (!profile.store) throw new StoreNotFoundError(`store ${storeId} does not exist`);
  return view(profile.store, profile.senders.length, deps.now);
}

async function liveStore(storeId: string, deps: Pick<StoreDeps, 'stores' | 'now'>) {
  const profile = await deps.stores.getStoreProfile(requireStoreId(storeId));
  if (!profile.store) throw new StoreNotFoundError(`store ${storeId} does not exist`);
  if (isStoreGone(profile.store, deps.now)) throw new StoreTerminatedError(`store ${storeId} was terminated`);
  return profile;
}

/** A sender as added: its ID, whether it is new, whether mail from it is relayed yet, its look-up hash. */
export interface AddedSender {
  readonly senderId: string;
  readonly created: boolean;
  readonly verified: boolean;
  readonly addressHash: string;
}

/**
 * Registers one more sender; the same address again returns the sender it already is. Never echoes
 * the address. `voucher: 'none'` (the merchant menu) registers it pending verification.
 */
export async function addSender(storeId: string, address: string, deps: StoreDeps, voucher: Voucher = 'marketplace'): Promise<AddedSender> {
  const sender = requireAddress(address, 'address');
  const profile = await liveStore(storeId, deps);
  const addressHash = await deps.keys.mac(addressMacInput(sender));
  const existing = profile.senders.find((item) => item.addressHash === addressHash);
  if (existing) return { senderId: existing.senderId ?? legacySenderId(existing), created: false, verified: isVerifiedSender(existing), addressHash };
  const item = await addSenderItem(storeId, addressHash, sender, deps, voucher);
  return { senderId: item.senderId ?? '', created: true, verified: isVerifiedSender(item), addressHash };
}

/** A registered sender as its own store sees it in the merchant menu. */
export interface SenderView {
  readonly senderId: string;
  readonly address: string;
  readonly status: 'verified' | 'pending';
  readonly createdAt: string;
}

/** The store's senders with their addresses decrypted, oldest first: only ever shown to the store itself. */
export async function listSenders(storeId: string, deps: Pick<StoreDeps, 'stores' | 'keys' | 'now'>): Promise<SenderView[]> {
  const profile = await liveStore(storeId, deps);
  const senders = [...profile.senders].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return Promise.all(
    senders.map(async (sender) => ({
      senderId: sender.senderId ?? legacySenderId(sender),
      address: await deps.keys.decrypt(sender.addressCipher, storeSenderContext(storeId)),
      status: isVerifiedSender(sender) ? ('verified' as const) : ('pending' as const),
      createdAt: sender.createdAt,
    })),
  );
}

/** Removes one registered sender by its ID; the store keeps at least one. */
export async function removeSender(storeId: string, senderId: string, deps: Pick<StoreDeps, 'stores' | 'now'>): Promise<void> {
  const profile = await liveStore(storeId, deps);
  const sender = profile.senders.find((item) => (item.senderId ?? legacySenderId(item)) === senderId);
  if (!sender) throw new StoreNotFoundError(`store ${storeId} has no sender ${senderId}`);
  if (profile.senders.length === 1) throw new InvalidRequestError('a store needs at least one registered sender; add another before removing this one', 'senderId');
  await deps.stores.removeSender(storeId, sender.addressHash);
}

/**
 * Senders registered before sender IDs existed get one derived from their item, through a one-way
 * hash so the ID is not the look-up hash itself.
 */
function legacySenderId(sender: RegisteredSender): string {
  return `snd_${createHash('sha256').update(`sender-id:${sender.addressHash}`).digest('hex').slice(0, 16)}`;
}
