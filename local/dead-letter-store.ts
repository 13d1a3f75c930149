import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeadLetter, DeadLetterQueue } from '../lambdas/relay/ports';

/** What a dead-letter file holds: the queue body as received and the attributes SQS would carry. */
export interface StoredDeadLetter {
  readonly body: string;
  readonly attributes: { readonly reason: string; readonly errorName: string; readonly sesMessageId?: string; readonly deliveries?: string };
}

/** File names come from the notification, so anything but a plain ID falls back to the queue message ID. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The local stack's dead-letter queue: each permanently failed notification becomes
 * `<directory>/<sesMessageId>.json`, so it can be inspected and replayed by hand.
 */
export class LocalDeadLetterStore implements DeadLetterQueue {
  constructor(readonly directory: string) {}

  async send(letter: DeadLetter): Promise<void> {
    const id = letter.sesMessageId !== undefined && SAFE_ID.test(letter.sesMessageId) ? letter.sesMessageId : letter.queueMessageId;
    const stored: StoredDeadLetter = {
      body: letter.body,
      attributes: {
        reason: letter.reason,
        errorName: letter.errorName,
        ...(letter.sesMessageId === undefined ? {} : { sesMessageId: letter.sesMessageId }),
        ...(letter.deliveries && letter.deliveries.length > 0 ? { deliveries: letter.deliveries.join(' ') } : {}),
      },
    };
    await mkdir(this.directory, { recursive: true });
    await writeFile(join(this.directory, `${SAFE_ID.test(id) ? id : 'unnamed'}.json`), `${JSON.stringify(stored, null, 2)}\n`);
  }
}
