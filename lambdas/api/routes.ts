import type * as z from 'zod';
import {
  Alias,
  AliasBody,
  AliasList,
  AliasName,
  DeletionRequest,
  DeletionRequestBody,
  Invitation,
  IssuedAlias,
  PageQuery,
  PauseBody,
  Receipt,
  RequestId,
  Sender,
  SenderBody,
  SenderId,
  Store,
  StoreBody,
  StoreId,
  StoreLimitsBody,
  StoreList,
} from './schemas';

/**
 * Every operation of the marketplace API, once: the handler routes by it, the OpenAPI document is
 * generated from it, and the stack builds the API Gateway resources, methods and models from it.
 */
export interface Route {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** API Gateway's form, `{name}` for a path parameter. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly pathParameters: Readonly<Record<string, z.ZodType>>;
  /** Query-string parameters, each optional. */
  readonly queryParameters?: Readonly<Record<string, z.ZodType>>;
  readonly body?: z.ZodType;
  /** Honours an `Idempotency-Key` header. */
  readonly idempotent?: true;
  /** Success status and what it answers with (none for 204). */
  readonly success: { readonly status: 200 | 201 | 202 | 204; readonly body?: z.ZodType; readonly alsoStatus?: 200 };
  /** Problem statuses it may answer with, besides 400 and 403 which every operation may. */
  readonly problems: readonly (404 | 409 | 422)[];
}

export const ROUTES = [
  {
    method: 'GET',
    path: '/stores',
    operationId: 'listStores',
    summary: 'Every store, terminated ones until they are erased, in store-ID order, a page at a time',
    pathParameters: {},
    queryParameters: PageQuery,
    success: { status: 200, body: StoreList },
    problems: [],
  },
  {
    method: 'PUT',
    path: '/stores/{storeId}',
    operationId: 'putStore',
    summary: 'Create a store or replace its name, contact address and senders; a new store gets its menu account, invited by mail',
    pathParameters: { storeId: StoreId },
    body: StoreBody,
    success: { status: 201, body: Store, alsoStatus: 200 },
    problems: [409],
  },
  {
    method: 'PUT',
    path: '/stores/{storeId}/limits',
    operationId: 'setStoreLimits',
    summary: "Set the store's own rate limits for its mail to customers; mail over them is held back, then refused as rate_limited",
    pathParameters: { storeId: StoreId },
    body: StoreLimitsBody,
    success: { status: 200, body: Store },
    problems: [404],
  },
  {
    method: 'PUT',
    path: '/stores/{storeId}/pause',
    operationId: 'pauseStore',
    summary: 'Pause the store: none of its mail to customers is relayed (held back, then refused as store_paused) until the pause is lifted',
    pathParameters: { storeId: StoreId },
    body: PauseBody,
    success: { status: 200, body: Store },
    problems: [404],
  },
  {
    method: 'DELETE',
    path: '/stores/{storeId}/pause',
    operationId: 'unpauseStore',
    summary: "Lift the store's pause; held mail goes out at its next attempt",
    pathParameters: { storeId: StoreId },
    success: { status: 200, body: Store },
    problems: [404],
  },
  { method: 'GET', path: '/stores/{storeId}', operationId: 'getStore', summary: 'A store: status, name, number of senders and of live aliases', pathParameters: { storeId: StoreId }, success: { status: 200, body: Store }, problems: [404] },
  {
    method: 'POST',
    path: '/stores/{storeId}/senders',
    operationId: 'addSender',
    summary: 'Register one more sender; the address is never echoed',
    pathParameters: { storeId: StoreId },
    body: SenderBody,
    success: { status: 201, body: Sender, alsoStatus: 200 },
    problems: [404, 409],
  },
  {
    method: 'DELETE',
    path: '/stores/{storeId}/senders/{senderId}',
    operationId: 'removeSender',
    summary: 'Remove one registered sender',
    pathParameters: { storeId: StoreId, senderId: SenderId },
    success: { status: 204 },
    problems: [404, 409],
  },
  {
    method: 'POST',
    path: '/stores/{storeId}/invitations',
    operationId: 'inviteStore',
    summary: "Give the store's menu account a new temporary password (creating the account if needed), mailed to its contact address",
    pathParameters: { storeId: StoreId },
    success: { status: 201, body: Invitation },
    problems: [404, 409],
  },
  {
    method: 'POST',
    path: '/stores/{storeId}/termination',
    operationId: 'terminateStore',
    summary: 'Terminate a store: it stops relaying at once; answers the termination receipt',
    pathParameters: { storeId: StoreId },
    success: { status: 200, body: Receipt },
    problems: [404],
  },
  {
    method: 'GET',
    path: '/stores/{storeId}/aliases',
    operationId: 'listStoreAliases',
    summary: "The store's customer aliases, the newest first, expired and disabled ones until their retention ends, a page at a time",
    pathParameters: { storeId: StoreId },
    queryParameters: PageQuery,
    success: { status: 200, body: AliasList },
    problems: [404],
  },
  {
    method: 'POST',
    path: '/aliases',
    operationId: 'issueAlias',
    summary: "Issue a customer's alias for an order; the same store and order give the same alias",
    pathParameters: {},
    body: AliasBody,
    idempotent: true,
    success: { status: 201, body: IssuedAlias, alsoStatus: 200 },
    problems: [404, 409, 422],
  },
  { method: 'GET', path: '/aliases/{alias}', operationId: 'getAlias', summary: 'An alias and where it stands', pathParameters: { alias: AliasName }, success: { status: 200, body: Alias }, problems: [404] },
  {
    method: 'POST',
    path: '/aliases/{alias}/disable',
    operationId: 'disableAlias',
    summary: 'Stop a customer alias relaying at once, both ways; it is kept for its retention',
    pathParameters: { alias: AliasName },
    success: { status: 200, body: Alias },
    problems: [404],
  },
  {
    method: 'POST',
    path: '/deletion-requests',
    operationId: 'requestDeletion',
    summary: 'Erase everything about a customer (by address or by alias) or a store; runs the destruction',
    pathParameters: {},
    body: DeletionRequestBody,
    success: { status: 202, body: DeletionRequest },
    // 404: `customerAlias` names no alias on record.
    problems: [404],
  },
  {
    method: 'GET',
    path: '/deletion-requests/{requestId}',
    operationId: 'getDeletionRequest',
    summary: 'Where a deletion request stands, with its receipt once done',
    pathParameters: { requestId: RequestId },
    success: { status: 200, body: DeletionRequest },
    problems: [404],
  },
] as const satisfies readonly Route[];
