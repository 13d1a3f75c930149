import { ChangeMessageVisibilityBatchCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { notificationOutlived, REPLAY_ATTRIBUTE } from '../lambdas/relay/replay';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { RedeliverResponse, ReplayItem, ReplayResponse } from '../local';
import { TargetError } from './target';

export interface ReplayOptions {
  readonly dryRun: boolean;
  /** At most this many dead letters; all of them when absent. */
  readonly limit?: number;
  /** Days raw mail is kept: a dead letter whose mail is older is deleted instead of replayed. */
  readonly contentRetentionDays?: number;
}

/** Told how many dead letters to expect (an estimate on AWS), then of each one as it is done. */
export interface ReplayProgress {
  start(total: number): void;
  item(item: ReplayItem, done: number): void;
}

/** Long enough to move a batch of ten; dry-run and failed messages are made visible again at the end. */
const VISIBILITY_SECONDS = 60;

function sesMessageIdOf(message: Message): string | undefined {
  const attribute = message.MessageAttributes?.['sesMessageId']?.StringValue;
  if (attribute) return attribute;
  try {
    const id = (JSON.parse(message.Body ?? '') as { mail?: { messageId?: unknown } } | null)?.mail?.messageId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}

/**
 * Moves dead letters back to the relay queue: each body is sent to the relay queue first and
 * deleted from the dead-letter queue after, so a failure in between leaves a copy in both (the
 * relay's exactly-once claim makes the second delivery harmless) rather than none. A dry run
 * receives and describes them and leaves them where they are.
 */
export async function replayFromSqs(
  sqs: SQSClient,
  queues: { readonly relay: string; readonly deadLetter: string },
  options: ReplayOptions,
  progress: ReplayProgress,
  now: () => Date,
): Promise<ReplayItem[]> {
  const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queues.deadLetter, AttributeNames: ['ApproximateNumberOfMessages'] }));
  progress.start(Math.min(limit, Number(Attributes?.ApproximateNumberOfMessages ?? 0) || 0));

  const items: ReplayItem[] = [];
  const seen = new Set<string>();
  const release: string[] = [];
  const handle = async (message: Message): Promise<ReplayItem> => {
    const sesMessageId = sesMessageIdOf(message);
    const reason = message.MessageAttributes?.['reason']?.StringValue;
    const sentAt = Number(message.Attributes?.SentTimestamp);
    const described = {
      id: message.MessageId ?? '-',
      ...(sesMessageId === undefined ? {} : { sesMessageId }),
      ...(reason === undefined ? {} : { reason }),
      ...(Number.isFinite(sentAt) ? { ageSeconds: Math.max(0, Math.round((now().getTime() - sentAt) / 1000)) } : {}),
    };
    const receiptHandle = message.ReceiptHandle;
    if (message.Body === undefined || message.Body === '' || receiptHandle === undefined) {
      if (receiptHandle) release.push(receiptHandle);
      return { ...described, status: 'skipped', detail: 'empty_message' };
    }
    if (options.contentRetentionDays !== undefined && notificationOutlived(message.Body, now(), options.contentRetentionDays)) {
      if (options.dryRun) {
        release.push(receiptHandle);
        return { ...described, status: 'expired', detail: 'would_delete' };
      }
      try {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queues.deadLetter, ReceiptHandle: receiptHandle }));
      } catch (error) {
        release.push(receiptHandle);
        return { ...described, status: 'failed', detail: errorName(error) };
      }
      return { ...described, status: 'expired', detail: 'content_retention_passed' };
    }
    if (options.dryRun) {
      release.push(receiptHandle);
      return { ...described, status: 'would_replay' };
    }
    try {
      // Marked as a replay: the relay then tries again the deliveries it dead-lettered before.
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queues.relay,
          MessageBody: message.Body,
          MessageAttributes: { [REPLAY_ATTRIBUTE]: { DataType: 'String', StringValue: 'true' } },
        }),
      );
    } catch (error) {
      release.push(receiptHandle);
      return { ...described, status: 'failed', detail: errorName(error) };
    }
    try {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queues.deadLetter, ReceiptHandle: receiptHandle }));
    } catch (error) {
      // Sent already: the copy left behind comes back to the DLQ and replays as a duplicate.
      return { ...described, status: 'replayed', detail: `not_deleted_${errorName(error)}` };
    }
    return { ...described, status: 'replayed' };
  };

  try {
    while (items.length < limit) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queues.deadLetter,
          MaxNumberOfMessages: Math.min(10, limit - items.length),
          WaitTimeSeconds: 1,
          VisibilityTimeout: VISIBILITY_SECONDS,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
      );
      const fresh = Messages.filter((m) => m.MessageId === undefined || !seen.has(m.MessageId));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        if (message.MessageId !== undefined) seen.add(message.MessageId);
        if (items.length >= limit) {
          if (message.ReceiptHandle) release.push(message.ReceiptHandle);
          continue;
        }
        const item = await handle(message);
        items.push(item);
        progress.item(item, items.length);
      }
    }
  } finally {
    // Whatever stays in the DLQ is visible again at once, for the next replay or the console.
    for (let i = 0; i < release.length; i += 10) {
      const entries = release.slice(i, i + 10).map((handle, n) => ({ Id: String(n), ReceiptHandle: handle, VisibilityTimeout: 0 }));
      try {
        await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queues.deadLetter, Entries: entries }));
      } catch {
        // They become visible by themselves when the visibility timeout ends.
      }
    }
  }
  return items;
}

async function callControl<T>(control: string, path: string, body: object): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${control}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (error) {
    throw new TargetError(`the local stack's control endpoint (${control}) does not answer: is \`npm start\` running?`, { cause: error });
  }
  const answer = (await response.json().catch(() => ({}))) as { error?: unknown };
  if (!response.ok) throw new TargetError(`the local stack refused: ${typeof answer.error === 'string' ? answer.error : `HTTP ${response.status}`}`);
  return answer as T;
}

/** Replays the local stack's dead letters one at a time, so progress can be shown as they go. */
export async function replayLocal(control: string, options: ReplayOptions, progress: ReplayProgress): Promise<ReplayItem[]> {
  const listed = await callControl<ReplayResponse>(control, '/dead-letters/replay', { dryRun: true, ...(options.limit === undefined ? {} : { limit: options.limit }) });
  progress.start(listed.items.length);
  const items: ReplayItem[] = [];
  for (const candidate of listed.items) {
    const item = options.dryRun
      ? candidate
      : ((await callControl<ReplayResponse>(control, '/dead-letters/replay', { dryRun: false, ids: [candidate.id] })).items[0] ?? {
          ...candidate,
          status: 'skipped',
          detail: 'gone',
        });
    items.push(item);
    progress.item(item, items.length);
  }
  return items;
}

/** How many notifications wait in the local stack's dead letters. */
export async function countLocalDeadLetters(control: string): Promise<number> {
  return (await callControl<ReplayResponse>(control, '/dead-letters/replay', { dryRun: true })).items.length;
}

export function redeliverLocal(control: string, messageId: string, times: number): Promise<RedeliverResponse> {
  return callControl<RedeliverResponse>(control, '/redeliver', { messageId, times });
}
