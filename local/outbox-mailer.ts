import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { Mailer, OutboundMessage } from '../lambdas/core/ports';

/** Envelope of one sent message, written beside its `.eml`. */
export interface OutboxEnvelope {
  readonly messageId: string;
  readonly from: string;
  readonly destinations: readonly string[];
  readonly sentAt: string;
}

/**
 * The relay's mailer on the local stack: sends through the SES v2 API (aws-ses-v2-local, whose web
 * inbox shows the mail) exactly as the deployed mailer does, then records the exact bytes handed to
 * SES as `<outboxDir>/<id>.eml` with the envelope in `<id>.json`, for tests and people to inspect.
 */
export class OutboxMailer implements Mailer {
  constructor(
    private readonly ses: SESv2Client,
    private readonly outboxDir: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async send(message: OutboundMessage): Promise<{ messageId: string }> {
    const { MessageId } = await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: message.from,
        Destination: { ToAddresses: [...message.to] },
        Content: { Raw: { Data: message.raw } },
      }),
    );
    if (!MessageId) throw new Error('SES SendEmail returned no message ID');
    const envelope: OutboxEnvelope = { messageId: MessageId, from: message.from, destinations: [...message.to], sentAt: this.clock().toISOString() };
    await mkdir(this.outboxDir, { recursive: true });
    await writeFile(join(this.outboxDir, `${MessageId}.eml`), message.raw);
    await writeFile(join(this.outboxDir, `${MessageId}.json`), `${JSON.stringify(envelope, null, 2)}\n`);
    return { messageId: MessageId };
  }
}
