import * as z from 'zod';
import { PLAUSIBLE_ADDRESS } from '../aliases/address';
import { ORDER_ID_PATTERN, STORE_ID_PATTERN } from '../aliases/identifiers';
import { PAUSE_REASON } from '../aliases/store-controls';
import { StoreRateLimitSchema } from '../relay/rate-limits';

/**
 * The marketplace API's bodies, as the handler validates them and as its OpenAPI document and the
 * API Gateway models describe them: one set of schemas for all three.
 */

const email = (description: string) => z.string().max(254, { error: 'must be at most 254 characters' }).regex(PLAUSIBLE_ADDRESS, { error: 'must be an e-mail address' }).meta({ description, format: 'email' });

export const StoreId = z.string().regex(STORE_ID_PATTERN, { error: 'must be 1-64 letters, digits, ".", "_" or "-"' }).meta({ description: 'The store ID the marketplace gave the store.' });
const OrderId = z.string().regex(ORDER_ID_PATTERN, { error: 'must be 1-128 letters, digits, ".", "_", ":" or "-"' }).meta({ description: 'The order the alias is issued for.' });
export const AliasName = z
  .string()
  .regex(/^[cm]-[0-9a-hjkmnp-tv-z]{12}(@[A-Za-z0-9.-]+)?$/i)
  .meta({ description: 'An alias, with or without the relay domain: `c-…` for a customer, `m-…` for a store in one conversation.' });
export const RequestId = z.string().regex(/^req_[0-9a-f]{32}$/).meta({ description: 'A deletion request, as `POST /deletion-requests` named it.' });
export const SenderId = z.string().regex(/^snd_[0-9a-f]{16}$/).meta({ description: 'A registered sender, as the API named it when it was added.' });

export const StoreBody = z
  .strictObject({
    displayName: z.string().min(1).max(100).optional().meta({ description: "Shown as the sender's name when the store's mail carries none; the store ID by default." }),
    contact: email("The store's contact address: customers' replies go there."),
    senders: z.array(email('An address allowed to write to the store’s customers.')).min(1).max(50),
  })
  .meta({ id: 'StoreBody', description: 'What is registered for a store: the senders given replace the ones registered before.' });

export const SenderBody = z.strictObject({ address: email('The address to register as a sender of the store.') }).meta({ id: 'SenderBody' });

export const AliasBody = z
  .strictObject({ storeId: StoreId, orderId: OrderId, customerEmail: email("The customer's real address; stored encrypted, never returned.") })
  .meta({ id: 'AliasBody' });

export const DeletionRequestBody = z
  .union([
    z.strictObject({ customerEmail: email('Erase everything about this customer.') }),
    z.strictObject({ customerAlias: AliasName.meta({ description: 'Erase everything about the customer behind this alias (or reverse alias), without sending the address.' }) }),
    z.strictObject({ storeId: StoreId.meta({ description: 'Erase everything about this store.' }) }),
  ])
  .meta({ id: 'DeletionRequestBody', description: 'Exactly one of `customerEmail`, `customerAlias` or `storeId`.' });

export const Store = z
  .object({
    storeId: StoreId,
    displayName: z.string(),
    status: z.enum(['active', 'terminated']),
    senderCount: z.int().nonnegative(),
    liveAliasCount: z.int().nonnegative().optional(),
    paused: z.object({ since: z.iso.datetime(), reason: z.string() }).optional().meta({ description: 'Set while the store is paused: none of its mail to customers is relayed.' }),
    limits: z.object({ perMinute: z.int().optional(), perDay: z.int().optional() }).optional().meta({ description: "The store's own rate limits, where it has any." }),
  })
  .meta({ id: 'Store', description: 'A store, by counts: never an address.' });

/** A listing's query: how many items at most, and where the previous page ended. */
export const PageQuery = {
  limit: z
    .string()
    .regex(/^(100|[1-9][0-9]?)$/, { error: 'must be a whole number from 1 to 100' })
    .optional()
    .meta({ description: 'At most this many items (1-100; 20 when left out).' }),
  cursor: z.string().min(1).max(2048).optional().meta({ description: 'The `nextCursor` of the page before; left out for the first page.' }),
};

export const DEFAULT_PAGE_LIMIT = 20;

const nextCursor = z.string().optional().meta({ description: 'Present when there is more: pass it as `cursor` for the next page.' });

const StoreSummary = Store.omit({ senderCount: true, liveAliasCount: true }).meta({ id: 'StoreSummary', description: 'A store in a listing: where it stands, never an address.' });

export const StoreList = z.object({ stores: z.array(StoreSummary), nextCursor }).meta({ id: 'StoreList', description: 'Stores in store-ID order.' });

export const StoreLimitsBody = StoreRateLimitSchema.meta({
  id: 'StoreLimitsBody',
  description: "The store's own rate limits for its mail to customers, per minute and per day (Japan time); a field left out takes the configured default, `{}` returns to the defaults.",
});

export const PauseBody = z
  .strictObject({ reason: z.string().regex(PAUSE_REASON, { error: 'must be 1-64 lower-case letters, digits or "_", starting with a letter' }).optional() })
  .meta({ id: 'PauseBody', description: 'Why the store is paused, as a short name (`operator` when left out).' });

export const Sender = z.object({ senderId: SenderId }).meta({ id: 'Sender' });

export const Invitation = z
  .object({
    storeId: StoreId,
    temporaryPassword: z.string().meta({ description: 'The new temporary password, also mailed to the contact address: for an operator who hands it over another way. Never stored.' }),
    created: z.boolean().meta({ description: 'True when the menu account was created by this invitation.' }),
  })
  .meta({ id: 'Invitation' });

export const IssuedAlias = z.object({ alias: z.string(), expiresAt: z.iso.datetime() }).meta({ id: 'IssuedAlias' });

export const Alias = z
  .object({
    alias: z.string(),
    kind: z.enum(['customer', 'merchant']),
    storeId: StoreId,
    orderId: OrderId.optional(),
    status: z.enum(['active', 'paused', 'expired', 'disabled']),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'Alias', description: 'An alias and where it stands; never the address behind it.' });

export const AliasList = z.object({ aliases: z.array(Alias), nextCursor }).meta({ id: 'AliasList', description: "A store's customer aliases, the newest first." });

export const Receipt = z.record(z.string(), z.unknown()).meta({ id: 'Receipt', description: 'A receipt as the evidence log keeps it: counts, times, policy version; no personal data.' });

export const DeletionRequest = z
  .object({ requestId: RequestId, status: z.enum(['accepted', 'done']), receipt: Receipt.optional() })
  .meta({ id: 'DeletionRequest' });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    'invalid-params': z.array(z.object({ name: z.string(), reason: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details; `invalid-params` names each field at fault.' });
