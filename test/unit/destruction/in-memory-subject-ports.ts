/**
 * In-memory tables behind the destruction ports (`lambdas/destruction/ports.ts`), with the
 * DynamoDB adapters' semantics: deletions say whether there was an item, `purgeAt` only ever moves
 * earlier, a store's `terminatedAt` is set once, the retired-name item is the alias table's own key.
 */
import { parseAliasName, retiredAliasHash } from '../../../lambdas/aliases/names';
import { STORE_ITEM } from '../../../lambdas/records/table-schema';
import type { AliasDeadline, StoreItemKey, SubjectAlias, SubjectPorts, SubjectRecord } from '../../../lambdas/destruction/ports';
import type { Receipt } from '../../../lambdas/records/receipts';
import { RETIRED_ALIAS_PREFIX } from '../../../lambdas/records/table-schema';
import { InMemoryKeyService } from '../../support/in-memory-ports';

export interface AliasItem {
  readonly alias: string;
  readonly storeId: string;
  readonly addressHash: string;
  readonly customerAlias?: string;
  expiresAt: string;
  purgeAt: number;
}

export interface StoreItem {
  readonly storeId: string;
  readonly item: string;
  readonly addressHash: string;
  terminatedAt?: string;
  purgeAt?: number;
}

export interface TransmissionItem {
  readonly transmissionId: string;
  readonly sesMessageId: string;
  readonly aliasId?: string;
  purgeAt: number;
}

export interface AccessItem {
  readonly storeId: string;
  readonly accessId: string;
  purgeAt: number;
}

const retiredKey = (alias: string): string => `${RETIRED_ALIAS_PREFIX}${retiredAliasHash(alias)}`;
const storeKey = (key: StoreItemKey): string => JSON.stringify([key.storeId, key.item]);
const accessKey = (storeId: string, accessId: string): string => JSON.stringify([storeId, accessId]);

export class InMemorySubjectWorld {
  readonly keys = new InMemoryKeyService();
  readonly aliases = new Map<string, AliasItem>();
  readonly retired = new Set<string>();
  readonly stores = new Map<string, StoreItem>();
  readonly transmissions = new Map<string, TransmissionItem>();
  readonly access = new Map<string, AccessItem>();
  /** Store IDs with a menu account. */
  readonly menuAccounts = new Set<string>();
  /** Addresses on SES's suppression list. */
  readonly suppressed = new Set<string>();
  /** Rate-limit counters, as `<subject>#<day>`. */
  readonly rateCounters = new Set<string>();
  /** Versions stored per inbound SES message ID. */
  readonly rawMail = new Map<string, number>();
  readonly receipts: Receipt[] = [];

  putAlias(item: AliasItem): void {
    this.aliases.set(item.alias, item);
    if (parseAliasName(item.alias)?.kind === 'customer') this.retired.add(retiredKey(item.alias));
  }

  putStoreItem(item: StoreItem): void {
    this.stores.set(storeKey(item), item);
  }

  putTransmission(item: TransmissionItem): void {
    this.transmissions.set(item.transmissionId, item);
  }

  putAccess(item: AccessItem): void {
    this.access.set(accessKey(item.storeId, item.accessId), item);
  }

  isRetired(alias: string): boolean {
    return this.retired.has(retiredKey(alias));
  }

  /** Everything stored, as text, for searching. */
  dump(): string {
    return JSON.stringify({
      aliases: [...this.aliases.values()],
      retired: [...this.retired],
      stores: [...this.stores.values()],
      transmissions: [...this.transmissions.values()],
      rateCounters: [...this.rateCounters],
      access: [...this.access.values()],
      menuAccounts: [...this.menuAccounts],
      rawMail: [...this.rawMail.keys()],
      receipts: this.receipts,
    });
  }

  ports(): SubjectPorts {
    return {
      keys: this.keys,
      aliases: {
        withAddressHash: async (addressHash) =>
          [...this.aliases.values()]
            .filter((item) => item.addressHash === addressHash)
            .map((item): SubjectAlias => {
              const kind = parseAliasName(item.alias)?.kind ?? 'customer';
              return { alias: item.alias, kind, storeId: item.storeId, ...(item.customerAlias ? { customerAlias: item.customerAlias } : {}) };
            }),
        namesOfStore: async (storeId) => [...this.aliases.values()].filter((item) => item.storeId === storeId).map((item) => item.alias),
        stored: async (aliases) => aliases.filter((alias) => this.aliases.has(alias)),
        unretired: async (aliases) => aliases.filter((alias) => !this.isRetired(alias)),
        remove: async (alias) => this.aliases.delete(alias),
        keepRetiredName: async (alias) => void this.retired.add(retiredKey(alias)),
        bringForward: async (alias: string, deadline: AliasDeadline) => {
          const item = this.aliases.get(alias);
          if (!item) return false;
          let moved = false;
          if (item.expiresAt > deadline.expiresAt.toISOString()) {
            item.expiresAt = deadline.expiresAt.toISOString();
            moved = true;
          }
          if (item.purgeAt > deadline.purgeAt) {
            item.purgeAt = deadline.purgeAt;
            moved = true;
          }
          return moved;
        },
      },
      stores: {
        itemsOfStore: async (storeId) => [...this.stores.values()].filter((item) => item.storeId === storeId).map(({ storeId: s, item }) => ({ storeId: s, item })),
        withAddressHash: async (addressHash) =>
          [...this.stores.values()].filter((item) => item.addressHash === addressHash).map(({ storeId, item }) => ({ storeId, item })),
        stored: async (keys) => keys.filter((key) => this.stores.has(storeKey(key))),
        remove: async (key) => this.stores.delete(storeKey(key)),
        markTerminated: async (storeId, at) => {
          const store = this.stores.get(storeKey({ storeId, item: STORE_ITEM }));
          if (!store) return false;
          store.terminatedAt ??= at.toISOString();
          return true;
        },
        bringForward: async (key, purgeAt) => {
          const item = this.stores.get(storeKey(key));
          if (!item || (item.purgeAt !== undefined && item.purgeAt <= purgeAt)) return false;
          item.purgeAt = purgeAt;
          return true;
        },
        purgeAtOf: async (storeId) => this.stores.get(storeKey({ storeId, item: STORE_ITEM }))?.purgeAt,
      },
      transmissions: {
        ofAlias: async (aliasId) =>
          [...this.transmissions.values()]
            .filter((item) => item.aliasId === aliasId)
            .map((item): SubjectRecord => (item.transmissionId.startsWith('feedback/') ? { transmissionId: item.transmissionId } : { transmissionId: item.transmissionId, inboundMessageId: item.sesMessageId })),
        stored: async (ids) => ids.filter((id) => this.transmissions.has(id)),
        remove: async (id) => this.transmissions.delete(id),
        bringForward: async (id, purgeAt) => {
          const item = this.transmissions.get(id);
          if (!item || item.purgeAt <= purgeAt) return false;
          item.purgeAt = purgeAt;
          return true;
        },
        removeCounters: async (subjects, days) => {
          const keys = subjects.flatMap((subject) => days.map((day) => `${subject}#${day}`));
          return keys.filter((key) => this.rateCounters.delete(key)).length;
        },
        storedCounters: async (subjects, days) => subjects.flatMap((subject) => days.map((day) => `${subject}#${day}`)).filter((key) => this.rateCounters.has(key)).length,
      },
      suppressions: {
        isSuppressed: async (address) => this.suppressed.has(address),
        remove: async (address) => this.suppressed.delete(address),
      },
      menuAccounts: {
        exists: async (storeId) => this.menuAccounts.has(storeId),
        remove: async (storeId) => this.menuAccounts.delete(storeId),
      },
      access: {
        idsOfStore: async (storeId) => [...this.access.values()].filter((item) => item.storeId === storeId).map((item) => item.accessId),
        remove: async (storeId, accessId) => this.access.delete(accessKey(storeId, accessId)),
        bringForward: async (storeId, accessId, purgeAt) => {
          const item = this.access.get(accessKey(storeId, accessId));
          if (!item || item.purgeAt <= purgeAt) return false;
          item.purgeAt = purgeAt;
          return true;
        },
      },
      rawMail: {
        eraseMessages: async (ids) => {
          let removed = 0;
          for (const id of new Set(ids)) {
            removed += this.rawMail.get(id) ?? 0;
            this.rawMail.delete(id);
          }
          return removed;
        },
        countMessageVersions: async (ids) => [...new Set(ids)].reduce((sum, id) => sum + (this.rawMail.get(id) ?? 0), 0),
      },
      receipts: { record: async (receipt) => void this.receipts.push(receipt) },
    };
  }
}
