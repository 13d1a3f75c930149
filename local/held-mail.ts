import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { HoldQueue } from '../lambdas/relay/ports';
import { REPLAY_ATTRIBUTE } from '../lambdas/relay/replay';
import type { LocalLog } from './log';
import { sqsEventOf } from './sqs-event';

const RETRY_AFTER_FAILURE_SECONDS = 5;

/**
 * The relay queue's delayed copies, for the local stack, which has no SQS: a held notification is
 * handed to the relay again once its delay has passed, as SQS would deliver it. `release` hands
 * every waiting one over at once, for tests that move the relay's clock instead of waiting.
 */
export class LocalHeldMail implements HoldQueue {
  readonly #waiting = new Map<string, { readonly timer: NodeJS.Timeout; readonly event: SQSEvent }>();
  #deliver: ((event: SQSEvent) => Promise<SQSBatchResponse | void>) | undefined;

  constructor(
    private readonly queueArn: string,
    private readonly region: string,
    private readonly log: LocalLog,
  ) {}

  /** The relay the copies go to; set once the relay exists, which itself is given this queue. */
  deliverTo(deliver: (event: SQSEvent) => Promise<SQSBatchResponse | void>): void {
    this.#deliver = deliver;
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  async holdFor(notification: { readonly body: string; readonly replay: boolean }, delaySeconds: number): Promise<void> {
    const id = randomUUID();
    const event = sqsEventOf(notification.body, { queueArn: this.queueArn, region: this.region }, { messageId: id, replay: notification.replay });
    // Unreferenced, so a held message never keeps a stopping process alive.
    const timer = setTimeout(() => void this.#handOver(id), delaySeconds * 1000).unref();
    this.#waiting.set(id, { timer, event });
  }

  /** Hands every waiting copy to the relay now, and waits until the relay has answered each. */
  async release(): Promise<number> {
    const ids = [...this.#waiting.keys()];
    await Promise.all(ids.map((id) => this.#handOver(id)));
    return ids.length;
  }

  close(): void {
    for (const { timer } of this.#waiting.values()) clearTimeout(timer);
    this.#waiting.clear();
  }

  async #handOver(id: string): Promise<void> {
    const waiting = this.#waiting.get(id);
    if (!waiting || !this.#deliver) return;
    clearTimeout(waiting.timer);
    this.#waiting.delete(id);
    let failed: string | undefined;
    try {
      const response = await this.#deliver(waiting.event);
      if (response && response.batchItemFailures.length > 0) failed = 'batch_item_failure';
    } catch (error) {
      failed = error instanceof Error ? error.name : 'unknown';
    }
    if (failed === undefined) return;
    // As SQS would after a failed receive: the copy comes back once its visibility timeout passes.
    this.log('held_mail_delivery_failed', { errorName: failed });
    const [record] = waiting.event.Records;
    if (record) await this.holdFor({ body: record.body, replay: record.messageAttributes[REPLAY_ATTRIBUTE] !== undefined }, RETRY_AFTER_FAILURE_SECONDS);
  }

}
