import { parseAliasAddress } from '../aliases/names';
import type { ParsedAlias } from '../aliases/names';
import type { AliasRecord, AliasStore } from '../aliases/ports';
import type { AliasPauser, FeedbackLog, PauseResult } from './ports';
import type { BounceType, FeedbackRecord } from './record';
import { purgeAtEpochSeconds } from '../relay/transmission';
import type { Direction } from '../relay/transmission';
import { isJsonObject } from '../json';

/**
 * Bounce and complaint events SES publishes for mail the relay sent through its configuration set
 * (event publishing to SNS, raw delivery to SQS: the queue body is SES's event JSON). Only what the
 * decision needs is kept: the recipients' real addresses in the event are never read out of it.
 */

export type SendingEventType = 'Bounce' | 'Complaint';

const BOUNCE_TYPES: readonly string[] = ['Permanent', 'Transient', 'Undetermined'] satisfies readonly BounceType[];

export interface SendingFeedback {
  readonly eventType: SendingEventType;
  /** SES message ID of the outbound mail: the `outboundMessageId` of the relay's transmission record. */
  readonly sesMessageId: string;
  /** Envelope sender of the outbound mail: an alias on the relay domain, or its MAILER-DAEMON. */
  readonly source: string;
  /** When the bounce or complaint happened, as SES reports it. */
  readonly occurredAt: Date;
  readonly bounceType?: BounceType;
  readonly bounceSubType?: string;
  /** ARF feedback type (`abuse`, `fraud`, …) when the mailbox provider gave one. */
  readonly complaintFeedbackType?: string;
  readonly complaintSubType?: string;
}

export class SendingEventError extends Error {
  override readonly name = 'SendingEventError';
}


function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function instant(value: unknown): Date | undefined {
  const parsed = typeof value === 'string' ? new Date(value) : undefined;
  return parsed && Number.isFinite(parsed.getTime()) ? parsed : undefined;
}

/** `mail.source` is the envelope sender, written `Name <address>` when the From field had a name. */
function bareAddress(source: string): string {
  const bracketed = /<([^<>]*)>\s*$/.exec(source);
  return (bracketed?.[1] ?? source).trim();
}

function optionalText<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  const found = text(value);
  return (found === undefined ? {} : { [key]: found }) as { [P in K]?: string };
}

/**
 * Parses one SES event-publishing record. Returns `undefined` for event types other than bounce and
 * complaint (the destination publishes only those, but SES may add types); throws
 * {@link SendingEventError} for a body that is not such a record at all. Identity feedback
 * notifications name the field `notificationType` and are accepted as well.
 */
export function parseSendingEvent(body: string): SendingFeedback | undefined {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    throw new SendingEventError('the feedback message is not JSON');
  }
  if (!isJsonObject(event)) throw new SendingEventError('the feedback message is not a JSON object');
  const eventType = event.eventType ?? event.notificationType;
  if (typeof eventType !== 'string') throw new SendingEventError('the feedback message has no eventType');
  if (eventType !== 'Bounce' && eventType !== 'Complaint') return undefined;
  const mail = event.mail;
  if (!isJsonObject(mail)) throw new SendingEventError(`${eventType} event without a mail object`);
  const sesMessageId = text(mail.messageId);
  const source = text(mail.source);
  if (!sesMessageId || !source) throw new SendingEventError(`${eventType} event without mail.messageId or mail.source`);
  const base = { sesMessageId, source: bareAddress(source) };

  if (eventType === 'Bounce') {
    const bounce = event.bounce;
    if (!isJsonObject(bounce)) throw new SendingEventError('Bounce event without a bounce object');
    const bounceType = bounce.bounceType;
    if (typeof bounceType !== 'string' || !BOUNCE_TYPES.includes(bounceType)) throw new SendingEventError('Bounce event with an unknown bounceType');
    const occurredAt = instant(bounce.timestamp) ?? instant(mail.timestamp);
    if (!occurredAt) throw new SendingEventError('Bounce event without a timestamp');
    return { eventType, ...base, occurredAt, bounceType: bounceType as BounceType, ...optionalText('bounceSubType', bounce.bounceSubType) };
  }
  const complaint = event.complaint;
  if (!isJsonObject(complaint)) throw new SendingEventError('Complaint event without a complaint object');
  const occurredAt = instant(complaint.timestamp) ?? instant(mail.timestamp);
  if (!occurredAt) throw new SendingEventError('Complaint event without a timestamp');
  return {
    eventType,
    ...base,
    occurredAt,
    ...optionalText('complaintFeedbackType', complaint.complaintFeedbackType),
    ...optionalText('complaintSubType', complaint.complaintSubType),
  };
}


export function feedbackRecordId(sesMessageId: string, eventType: SendingEventType): string {
  return `feedback/${sesMessageId}/${eventType}`;
}

export interface FeedbackOptions {
  readonly relayDomain: string;
  /** Days a customer alias stays paused after its address hard-bounced. */
  readonly hardBouncePauseDays: number;
  readonly transmissionRetentionDays: number;
  readonly clock: () => Date;
}

export interface FeedbackPlan {
  readonly record: FeedbackRecord;
  /** The customer alias to pause, and until when. */
  readonly pause?: { readonly alias: string; readonly until: Date };
}

/**
 * Decides what a bounce or complaint does, given the record of the alias the mail was sent from.
 *
 * The relay sends to a customer from the store's reverse alias `m-…` and to a store from the
 * customer alias `c-…`. A permanent bounce of mail from `m-…` means the customer's real address is
 * dead: the customer alias (`customerAlias` of the reverse alias) is paused, so the store's further
 * mail to it is refused before SES sends it, and SES's bounce rate for the account stays low. A
 * permanent bounce of mail from `c-…` means the store's contact address is dead; pausing the
 * customer's alias would punish the customer for the store's mailbox, so it is only recorded for the
 * operator. Transient and undetermined bounces and all complaints are recorded only. The pause runs
 * from the bounce's own time, so a redelivered event sets the same instant again.
 */
export function planFeedback(feedback: SendingFeedback, source: ParsedAlias | undefined, sourceRecord: AliasRecord | undefined, options: FeedbackOptions): FeedbackPlan {
  const record = sourceRecord && source && sourceRecord.kind === source.kind ? sourceRecord : undefined;
  const direction: Direction = source === undefined ? 'unknown' : source.kind === 'merchant' ? 'merchant_to_customer' : 'customer_to_merchant';
  const aliasId = source === undefined ? undefined : source.kind === 'merchant' ? (record?.customerAlias ?? source.alias) : source.alias;
  const pauseTarget = feedback.bounceType === 'Permanent' && source?.kind === 'merchant' ? record?.customerAlias : undefined;
  const until = pauseTarget === undefined ? undefined : new Date(feedback.occurredAt.getTime() + options.hardBouncePauseDays * 86_400_000);

  return {
    record: {
      transmissionId: feedbackRecordId(feedback.sesMessageId, feedback.eventType),
      sesMessageId: feedback.sesMessageId,
      kind: feedback.eventType === 'Bounce' ? 'bounce' : 'complaint',
      direction,
      ...(aliasId === undefined ? {} : { aliasId }),
      ...(record === undefined ? {} : { storeId: record.storeId }),
      ...(feedback.bounceType === undefined ? {} : { bounceType: feedback.bounceType }),
      ...(feedback.bounceSubType === undefined ? {} : { bounceSubType: feedback.bounceSubType }),
      ...(feedback.complaintFeedbackType === undefined ? {} : { complaintFeedbackType: feedback.complaintFeedbackType }),
      ...(feedback.complaintSubType === undefined ? {} : { complaintSubType: feedback.complaintSubType }),
      ...(until === undefined ? {} : { pausedUntil: until.toISOString() }),
      receivedAt: feedback.occurredAt.toISOString(),
      completedAt: options.clock().toISOString(),
      purgeAt: purgeAtEpochSeconds(feedback.occurredAt, options.transmissionRetentionDays),
    },
    ...(pauseTarget === undefined || until === undefined ? {} : { pause: { alias: pauseTarget, until } }),
  };
}

export interface FeedbackPorts {
  readonly aliases: Pick<AliasStore, 'getAlias'> & AliasPauser;
  readonly feedback: FeedbackLog;
}

export interface FeedbackOutcome {
  readonly record: FeedbackRecord;
  readonly pause?: PauseResult;
  /** False when the event had been recorded before (a redelivery). */
  readonly recorded: boolean;
}

/**
 * Applies one event: pauses first, then records, so a failure between the two is retried in full;
 * the record's conditional write makes a redelivery a no-op, and the pause is idempotent.
 */
export async function applySendingFeedback(feedback: SendingFeedback, ports: FeedbackPorts, options: FeedbackOptions): Promise<FeedbackOutcome> {
  const source = parseAliasAddress(feedback.source, options.relayDomain);
  const sourceRecord = source ? await ports.aliases.getAlias(source.alias) : undefined;
  const plan = planFeedback(feedback, source, sourceRecord, options);
  const pause = plan.pause ? await ports.aliases.pauseAlias(plan.pause.alias, plan.pause.until) : undefined;
  // A purged customer alias was not paused; the record must not claim it was.
  const record = pause === 'missing' ? withoutPause(plan.record) : plan.record;
  const recorded = (await ports.feedback.recordFeedback(record)) === 'recorded';
  return { record, recorded, ...(pause === undefined ? {} : { pause }) };
}

function withoutPause(record: FeedbackRecord): FeedbackRecord {
  const { pausedUntil: _omitted, ...rest } = record;
  return rest;
}
