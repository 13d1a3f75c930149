import { aliasStatus } from '../aliases/administration';
import type { AliasStatus } from '../aliases/administration';
import type { AliasRecord } from '../aliases/ports';

/**
 * What a store sees of its aliases and its mail in the menu: aliases, order IDs, counts, outcomes
 * and reasons. Never a customer's address, a subject or a body: none of them is in these shapes.
 */

export interface AliasSummary {
  readonly alias: string;
  readonly orderId: string;
  readonly status: AliasStatus;
  readonly expiresAt: string;
  /** Messages the store sent to the customer through the alias, and the customer's replies. */
  readonly toCustomer: number;
  readonly fromCustomer: number;
}

export interface MessageSummary {
  readonly at: string;
  readonly direction: 'merchant_to_customer' | 'customer_to_merchant' | 'unknown';
  readonly alias: string;
  readonly outcome: 'relayed' | 'refused';
  readonly reason?: string;
  readonly sizeBytes: number;
}

/** A customer alias of the store with its message counts each way. */
export interface CountedAlias {
  readonly record: AliasRecord;
  readonly toCustomer: number;
  readonly fromCustomer: number;
}

export interface StoreActivity {
  /** The store's customer aliases, newest first. */
  customerAliases(storeId: string, limit: number): Promise<CountedAlias[]>;
  /** The store's transmission records, newest first. */
  messages(storeId: string, limit: number): Promise<MessageSummary[]>;
}

export function summarize(alias: CountedAlias, now: Date): AliasSummary {
  const { record } = alias;
  return { alias: record.alias, orderId: record.orderId ?? '', status: aliasStatus(record, now), expiresAt: record.expiresAt, toCustomer: alias.toCustomer, fromCustomer: alias.fromCustomer };
}

/**
 * The direction a record names, or for a refusal recorded before it was known, the one its alias
 * implies: mail to a customer alias (`c-`) comes from the store, to a reverse alias (`m-`) from the customer.
 */
export function directionOf(recorded: MessageSummary['direction'], alias: string): MessageSummary['direction'] {
  if (recorded !== 'unknown') return recorded;
  if (alias.startsWith('c-')) return 'merchant_to_customer';
  return alias.startsWith('m-') ? 'customer_to_merchant' : 'unknown';
}
