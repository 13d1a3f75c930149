import { STORE_ITEM } from '../records/table-schema';
import type { AliasKind } from '../aliases/ports';
import type { MacService } from '../keys/ports';
import type { RawMailArchive } from '../records/ports';
import type { ReceiptLog } from '../records/receipts';
import type { AliasRetirer } from '../retention/ports';

/**
 * Ports of destruction and termination (`destruction.ts`, `termination.ts`): finding everything
 * about one subject, deleting it by key, and bringing its erasure forward. Every deletion is by
 * key and reports whether there was anything to delete, so a repeated or resumed run counts only
 * what it removed itself. Look-ups through a global secondary index are eventually consistent;
 * `stored` answers with consistent reads, which is what a verification has to rely on.
 */

/** An alias as the subject look-ups see it: enough to follow it to its records, never its address. */
export interface SubjectAlias {
  readonly alias: string;
  readonly kind: AliasKind;
  readonly storeId: string;
  /** For a reverse alias: the customer alias it answers for. */
  readonly customerAlias?: string;
}

/** How late an alias may still relay and still exist, at the latest. */
export interface AliasDeadline {
  readonly expiresAt: Date;
  readonly purgeAt: number;
}

/** The aliases table. */
export interface SubjectAliases extends AliasRetirer {
  /** Customer aliases and reverse aliases carrying this address hash. */
  withAddressHash(addressHash: string): Promise<SubjectAlias[]>;
  /** Names of every alias, customer and reverse, of one store. */
  namesOfStore(storeId: string): Promise<string[]>;
  /** Those of the names whose items exist. */
  stored(aliases: readonly string[]): Promise<string[]>;
  /** Those of the customer alias names whose retired-name item is missing. */
  unretired(aliases: readonly string[]): Promise<string[]>;
  remove(alias: string): Promise<boolean>;
  /** Moves `expiresAt` and `purgeAt` back to the deadline where they are later; true when either moved. */
  bringForward(alias: string, deadline: AliasDeadline): Promise<boolean>;
}

/** An item of the stores table: the store itself (`item = "store"`) or a registered sender. */
export interface StoreItemKey {
  readonly storeId: string;
  readonly item: string;
}

export function isStoreItem(key: StoreItemKey): boolean {
  return key.item === STORE_ITEM;
}

/** The stores table. */
export interface SubjectStoreItems {
  /** The store's partition: the store and its registered senders. */
  itemsOfStore(storeId: string): Promise<StoreItemKey[]>;
  /** Stores whose contact and registered senders whose address has this hash. */
  withAddressHash(addressHash: string): Promise<StoreItemKey[]>;
  stored(keys: readonly StoreItemKey[]): Promise<StoreItemKey[]>;
  remove(key: StoreItemKey): Promise<boolean>;
  /**
   * Sets the store's `terminatedAt` unless it is set already (the first termination counts).
   * False when there is no such store.
   */
  markTerminated(storeId: string, at: Date): Promise<boolean>;
  /** Moves `purgeAt` back to `purgeAt` where it is later or absent; true when it moved. */
  bringForward(key: StoreItemKey, purgeAt: number): Promise<boolean>;
  /** The store item's `purgeAt`, undefined when there is no store or it has none. */
  purgeAtOf(storeId: string): Promise<number | undefined>;
}

/** A transmission or feedback record, as far as destruction needs it. */
export interface SubjectRecord {
  readonly transmissionId: string;
  /**
   * SES message ID of the inbound mail the record is about, whose raw mail is in the archive;
   * absent for bounce and complaint records, which are about outbound mail.
   */
  readonly inboundMessageId?: string;
}

/** The transmissions table: delivery records and bounce and complaint records. */
export interface SubjectTransmissions {
  /** Every record naming this alias (a delivery to it, or feedback about its conversation). */
  ofAlias(aliasId: string): Promise<SubjectRecord[]>;
  stored(transmissionIds: readonly string[]): Promise<string[]>;
  remove(transmissionId: string): Promise<boolean>;
  bringForward(transmissionId: string, purgeAt: number): Promise<boolean>;
}

/**
 * The rate-limit counters of the transmissions table: one per store or alias and day, naming it, and
 * gone by TTL the day after; destruction does not wait for that.
 */
export interface SubjectRateCounters {
  /** Removes the counters of these subjects (`store#…`, `alias#…`) for these days; how many there were. */
  removeCounters(subjects: readonly string[], days: readonly string[]): Promise<number>;
  /** How many of them are still there. */
  storedCounters(subjects: readonly string[], days: readonly string[]): Promise<number>;
}

/** The access table: one partition per store. */
export interface SubjectAccessRecords {
  /** Access IDs of every record in the store's partition. */
  idsOfStore(storeId: string): Promise<string[]>;
  remove(storeId: string, accessId: string): Promise<boolean>;
  bringForward(storeId: string, accessId: string, purgeAt: number): Promise<boolean>;
}

/** The stores' menu accounts in the managed identity service: one per store ID. */
interface SubjectMenuAccounts {
  exists(storeId: string): Promise<boolean>;
  /** True when there was an account to delete. */
  remove(storeId: string): Promise<boolean>;
}

/** SES's account-level suppression list: it keeps a hard-bounced or complaining address until deleted. */
export interface SubjectSuppressions {
  isSuppressed(address: string): Promise<boolean>;
  /** True when the address was on the list. */
  remove(address: string): Promise<boolean>;
}

export interface SubjectPorts {
  readonly keys: MacService;
  readonly aliases: SubjectAliases;
  readonly stores: SubjectStoreItems;
  readonly transmissions: SubjectTransmissions & SubjectRateCounters;
  readonly access: SubjectAccessRecords;
  readonly menuAccounts: SubjectMenuAccounts;
  readonly suppressions: SubjectSuppressions;
  readonly rawMail: Pick<RawMailArchive, 'eraseMessages' | 'countMessageVersions'>;
  readonly receipts: Pick<ReceiptLog, 'record'>;
}
