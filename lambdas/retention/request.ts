import { isJsonObject } from '../json';
import { parseIncident } from '../records/incidents';
import type { IncidentInput } from '../records/incidents';

/**
 * The retention function's event: `{ "requestedBy": "schedule" }` from EventBridge Scheduler, and
 * optionally `now` from an operator. A `now` ahead of the function's own clock is refused: periods
 * measured against a future instant would delete data before it is due.
 */

export interface RetentionEvent {
  readonly now?: string;
  readonly requestedBy?: string;
}

export interface RetentionRequestInput {
  readonly now: Date;
  readonly requestedBy: string;
}

/** How far an operator's clock may run ahead of the function's before its `now` is refused. */
export const MAX_CLOCK_SKEW_MS = 60_000;

/** Named on the receipt when the event names no requester. */
export const UNNAMED_REQUESTER = 'unnamed';

// A requester goes on the receipt verbatim, so it may not be anything that could hold an address.
const REQUESTER = /^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,63}$/;

export class RetentionRequestError extends Error {
  override readonly name = 'RetentionRequestError';
}

export function parseRetentionEvent(event: unknown, realNow: Date): RetentionRequestInput {
  const given = isJsonObject(event) ? event : {};
  const requestedBy = given.requestedBy ?? UNNAMED_REQUESTER;
  if (typeof requestedBy !== 'string' || !REQUESTER.test(requestedBy)) {
    throw new RetentionRequestError('requestedBy must be 1-64 letters, digits, spaces, ".", "_", ":" or "-"');
  }
  if (given.now === undefined) return { now: realNow, requestedBy };
  const at = typeof given.now === 'string' ? Date.parse(given.now) : Number.NaN;
  if (!Number.isFinite(at)) throw new RetentionRequestError('now must be an ISO 8601 instant');
  if (at > realNow.getTime() + MAX_CLOCK_SKEW_MS) {
    throw new RetentionRequestError(`now ${new Date(at).toISOString()} is ahead of the function's clock (${realNow.toISOString()}): data would be deleted before it is due`);
  }
  return { now: new Date(at), requestedBy };
}

/** `{ "action": "record_incident", "incident": {…}, "requestedBy": "…" }`: an entry for the incident register. */
export function isIncidentEvent(event: unknown): boolean {
  return isJsonObject(event) && event.action === 'record_incident';
}

export function parseIncidentEvent(event: unknown, realNow: Date): { readonly incident: IncidentInput; readonly requestedBy: string } {
  const given = isJsonObject(event) ? event : {};
  const requestedBy = given.requestedBy ?? UNNAMED_REQUESTER;
  if (typeof requestedBy !== 'string' || !REQUESTER.test(requestedBy)) {
    throw new RetentionRequestError('requestedBy must be 1-64 letters, digits, spaces, ".", "_", ":" or "-"');
  }
  return { incident: parseIncident(given.incident, realNow), requestedBy };
}
