import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mailer, OutboundMessage } from '../lambdas/relay/ports';

/** Envelope of one sent message, written beside its `.eml`. */
export interface OutboxEnvelope {
  readonly messageId: string;
  readonly from: string;
  readonly destinations: readonly string[];
  readonly sentAt: string;
}

/**
 * Wraps the relay's real mailer on the local stack (SES v2 against aws-ses-v2-local, whose web inbox
 * shows the mail) and records the exact bytes handed to SES as `<outboxDir>/<id>.eml`, with the
 * envelope in `<id>.json`, for tests and people to inspect.
 */
export class OutboxMailer implements Mailer {
  constructor(
    private readonly inner: Mailer,
    private readonly outboxDir: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async send(message: OutboundMessage): Promise<{ messageId: string }> {
    const { messageId } = await this.inner.send(message);
    const envelope: OutboxEnvelope = { messageId, from: message.from, destinations: [...message.to], sentAt: this.clock().toISOString() };
    await mkdir(this.outboxDir, { recursive: true });
    await writeFile(join(this.outboxDir, `${messageId}.eml`), message.raw);
    await writeFile(join(this.outboxDir, `${messageId}.json`), `${JSON.stringify(envelope, null, 2)}\n`);
    return { messageId };
  }
}
