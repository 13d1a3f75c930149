import { REQUEST_ID_PATTERN } from '../records/deletion-requests';
import { STORE_ID_PATTERN } from '../aliases/identifiers';
import { isPlausibleAddress, normalizeAddress } from '../aliases/address';
import { DESTRUCTION_EVENT_TYPES, MARKETPLACE_EVENT_SOURCE } from './events';
import { isJsonObject } from '../json';
import type { JsonObject } from '../json';

/**
 * What the destruction function is asked to do, from a direct invocation (the CLI, the retention
 * run) or from one of the marketplace's EventBridge events. Error messages never quote an address:
 * they end up in logs and in the caller's error output.
 */

export type DestructionSubject = { readonly kind: 'store'; readonly storeId: string } | { readonly kind: 'customer'; readonly email: string };

/** A customer named by one of their aliases, so that the request carries no address (see `customer-alias.ts`). */
export interface CustomerByAlias {
  readonly kind: 'customer';
  readonly alias: string;
}

/** What a request may name: a subject, or a customer by alias. */
export type DestructionTarget = DestructionSubject | CustomerByAlias;

export function isCustomerByAlias(target: DestructionTarget): target is CustomerByAlias {
  return target.kind === 'customer' && 'alias' in target;
}

export type DestructionRequest =
  /** `requestId`: a deletion request of the marketplace API, marked done with the receipt. */
  | { readonly action: 'destroy'; readonly subject: DestructionTarget; readonly requestedBy: string; readonly requestId?: string }
  | { readonly action: 'terminate'; readonly storeId: string; readonly requestedBy: string };

export class DestructionRequestError extends Error {
  override readonly name = 'DestructionRequestError';
}

// The store ID pattern `store create` accepts.
const STORE_ID = STORE_ID_PATTERN;
// A requester goes on the receipt verbatim, so it may not be anything that could hold an address.
const REQUESTER = /^[A-Za-z0-9][A-Za-z0-9 ._:/+=,-]{0,255}$/;


export function requireStoreId(value: unknown, what = 'storeId'): string {
  if (typeof value !== 'string' || !STORE_ID.test(value)) throw new DestructionRequestError(`${what} must be 1-64 letters, digits, ".", "_" or "-"`);
  return value;
}

export function requireRequester(value: unknown): string {
  if (typeof value !== 'string' || !REQUESTER.test(value)) {
    throw new DestructionRequestError('requestedBy must be 1-256 letters, digits, spaces or ". _ : / + = , -"');
  }
  return value;
}

function requireRequestId(value: unknown): string {
  if (typeof value !== 'string' || !REQUEST_ID_PATTERN.test(value)) throw new DestructionRequestError('requestId must be req_ and 32 hex digits');
  return value;
}

// An alias name, with or without the relay domain; the name itself is checked where it is looked up.
const ALIAS = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(@[A-Za-z0-9.-]{1,253})?$/;

function requireAlias(value: unknown, what: string): string {
  if (typeof value !== 'string' || !ALIAS.test(value)) throw new DestructionRequestError(`${what} must be an alias name, with or without the relay domain`);
  return value;
}

function requireEmail(value: unknown, what: string): string {
  if (typeof value !== 'string' || !isPlausibleAddress(value)) throw new DestructionRequestError(`${what} is not a valid e-mail address`);
  return normalizeAddress(value);
}

/** Checks a subject and puts a customer's address in the canonical form every hash is made of. */
export function validateSubject(subject: unknown): DestructionSubject {
  if (!isJsonObject(subject)) throw new DestructionRequestError('subject must be { kind: "store", storeId } or { kind: "customer", email }');
  if (subject.kind === 'store') return { kind: 'store', storeId: requireStoreId(subject.storeId, 'subject.storeId') };
  if (subject.kind === 'customer') return { kind: 'customer', email: requireEmail(subject.email, 'subject.email') };
  throw new DestructionRequestError('subject.kind must be "store" or "customer"');
}

/** The key a subject is named by in receipts: the store ID, or the customer's canonical address. */
export function subjectKey(subject: DestructionSubject): string {
  return subject.kind === 'store' ? subject.storeId : normalizeAddress(subject.email);
}

function validateTarget(subject: unknown): DestructionTarget {
  if (isJsonObject(subject) && subject.kind === 'customer' && 'alias' in subject && !('email' in subject)) {
    return { kind: 'customer', alias: requireAlias(subject.alias, 'subject.alias') };
  }
  return validateSubject(subject);
}

function fromMarketplaceEvent(event: JsonObject): DestructionRequest {
  if (event.source !== MARKETPLACE_EVENT_SOURCE) throw new DestructionRequestError(`events must come from ${MARKETPLACE_EVENT_SOURCE}`);
  const detailType = event['detail-type'];
  const detail = isJsonObject(event.detail) ? event.detail : {};
  const requestedBy = `event:${String(detailType)}`;
  if (detailType === DESTRUCTION_EVENT_TYPES.storeTerminated) {
    return { action: 'terminate', storeId: requireStoreId(detail.storeId, 'detail.storeId'), requestedBy };
  }
  if (detailType === DESTRUCTION_EVENT_TYPES.customerDeletionRequested) {
    // An event goes through EventBridge, which keeps it in its own logs and archives: it names the
    // customer by an alias, never by address.
    if ('email' in detail) throw new DestructionRequestError('detail.email: events may not carry an address; name the customer by detail.alias, or use POST /deletion-requests');
    return { action: 'destroy', subject: { kind: 'customer', alias: requireAlias(detail.alias, 'detail.alias') }, requestedBy };
  }
  const known = Object.values(DESTRUCTION_EVENT_TYPES).map((t) => `"${t}"`).join(' or ');
  throw new DestructionRequestError(`detail-type must be ${known}`);
}

/**
 * Reads an invocation:
 * - `{ action: "destroy", subject: { kind: "store", storeId } | { kind: "customer", email } | { kind: "customer", alias }, requestedBy }`
 * - `{ action: "terminate", storeId, requestedBy }`
 * - an EventBridge event from {@link MARKETPLACE_EVENT_SOURCE}: `Store Terminated` with detail
 *   `{ storeId }` terminates, `Customer Deletion Requested` with detail `{ alias }` destroys; the
 *   receipt names `event:<detail-type>` as requester.
 */
export function parseDestructionEvent(event: unknown): DestructionRequest {
  if (!isJsonObject(event)) throw new DestructionRequestError('the event must be a JSON object');
  if ('detail-type' in event) return fromMarketplaceEvent(event);
  if (event.action === 'destroy') {
    const requestId = event.requestId === undefined ? undefined : requireRequestId(event.requestId);
    return { action: 'destroy', subject: validateTarget(event.subject), requestedBy: requireRequester(event.requestedBy), ...(requestId ? { requestId } : {}) };
  }
  if (event.action === 'terminate') return { action: 'terminate', storeId: requireStoreId(event.storeId), requestedBy: requireRequester(event.requestedBy) };
  throw new DestructionRequestError('action must be "destroy" or "terminate", or the event an EventBridge event from the marketplace');
}
