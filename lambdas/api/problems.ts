import { ZodError } from 'zod';
import { AliasNotFoundError } from '../aliases/administration';
import { AliasConflictError } from '../aliases/issuance';
import { AliasRetiredError } from '../aliases/names';
import { InvalidRequestError, StoreNotFoundError, StoreTerminatedError } from '../aliases/stores';
import { IdempotencyKeyReusedError } from './idempotency';

/** An RFC 9457 problem: what every error answer of the API is. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  /** The fields at fault, by their names in the request (RFC 9457 §3's example extension). */
  readonly 'invalid-params'?: readonly { readonly name: string; readonly reason: string }[];
}

/** No such deletion request. */
export class DeletionRequestNotFoundError extends Error {
  override readonly name = 'DeletionRequestNotFoundError';
}

/** The body is not JSON at all. */
export class MalformedBodyError extends Error {
  override readonly name = 'MalformedBodyError';
}

const TYPE_BASE = 'https://anshin-relay.example/problems/';

/** The domain's field names as the API calls them. */
const API_FIELD: Readonly<Record<string, string>> = { customer: 'customerEmail', address: 'address' };

function problem(status: number, slug: string, title: string, detail?: string, invalid?: Problem['invalid-params']): Problem {
  return { type: `${TYPE_BASE}${slug}`, title, status, ...(detail === undefined ? {} : { detail }), ...(invalid ? { 'invalid-params': invalid } : {}) };
}

/**
 * The problem an error answers with. Domain errors say what is wrong without quoting what was
 * given (no address ever reaches a message), so their message is the detail; anything unexpected
 * is a 500 that says nothing of its cause.
 */
export function problemOf(error: unknown): Problem {
  if (error instanceof ZodError) {
    const invalid = error.issues.map((issue) => ({ name: issue.path.map(String).join('.') || 'body', reason: issue.message }));
    return problem(400, 'invalid-request', 'The request is not valid', 'See invalid-params.', invalid);
  }
  if (error instanceof MalformedBodyError) return problem(400, 'invalid-request', 'The request is not valid', error.message, [{ name: 'body', reason: error.message }]);
  if (error instanceof InvalidRequestError) {
    const name = error.field === undefined ? 'body' : (API_FIELD[error.field] ?? error.field);
    return problem(400, 'invalid-request', 'The request is not valid', error.message, [{ name, reason: error.message }]);
  }
  if (error instanceof StoreNotFoundError || error instanceof AliasNotFoundError || error instanceof DeletionRequestNotFoundError) {
    return problem(404, 'not-found', 'Not found', error.message);
  }
  if (error instanceof StoreTerminatedError) return problem(409, 'store-terminated', 'The store was terminated', error.message);
  if (error instanceof AliasRetiredError) return problem(409, 'alias-retired', 'The alias was issued before and has been retired', error.message);
  if (error instanceof AliasConflictError) return problem(409, 'alias-conflict', 'The order already has an alias for another customer', error.message);
  if (error instanceof IdempotencyKeyReusedError) return problem(422, 'idempotency-key-reused', 'The Idempotency-Key was used before with another body', error.message);
  return problem(500, 'internal', 'Something went wrong on our side; the request may be retried');
}
