import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { messageBytes } from '../lambdas/relay/ports';
import type { Mailer, OutboundMessage } from '../lambdas/relay/ports';

/** Envelope of one sent message, written beside its `.eml`. */
export interface OutboxEnvelope {
  readonly messageId: string;
  readonly from: string;
  readonly destinations: readonly string[];
  readonly sentAt: string;
}

/** The Message-ID SES gives a message it sends in ap-northeast-1. */
function sesStyleMessageId(messageId: string): string {
  return `<${messageId}@ap-northeast-1.amazonses.com>`;
}

/** The raw message without Message-ID fields in its header block (SES replaces them). */
function withoutMessageId(raw: Uint8Array): Buffer {
  const text = Buffer.from(raw).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const header = end < 0 ? text : text.slice(0, end + 2);
  const kept = header.replace(/^message-id:.*\r\n(?:[ \t].*\r\n)*/gim, '');
  return Buffer.concat([Buffer.from(kept, 'latin1'), Buffer.from(raw).subarray(header.length)]);
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
    // SES gives every message it sends a Message-ID of its own, whatever the message carried; the
    // outbox shows the message as it is delivered, so replies can name that ID as they would.
    await writeFile(join(this.outboxDir, `${messageId}.eml`), Buffer.concat([Buffer.from(`Message-ID: ${sesStyleMessageId(messageId)}\r\n`, 'latin1'), withoutMessageId(messageBytes(message))]));
    await writeFile(join(this.outboxDir, `${messageId}.json`), `${JSON.stringify(envelope, null, 2)}\n`);
    return { messageId };
  }
}
