/** The marketplace's EventBridge events the destruction function acts on; the stack's rule matches them. */

/** `source` of the marketplace's EventBridge events the destruction function acts on. */
export const MARKETPLACE_EVENT_SOURCE = 'anshin.marketplace';

/** `detail-type`s of those events: `{ storeId }` and `{ alias }` (a customer alias or reverse alias) details respectively. */
export const DESTRUCTION_EVENT_TYPES = {
  storeTerminated: 'Store Terminated',
  customerDeletionRequested: 'Customer Deletion Requested',
} as const;
