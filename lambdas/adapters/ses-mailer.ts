import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { Mailer, OutboundMessage } from '../core/ports';

/**
 * Sends the rewritten message as raw MIME through SES v2. The destinations are always given
 * explicitly: with raw content SES would otherwise take them from the To header, which names the
 * alias, and the message would loop back into the relay.
 *
 * SES v2 speaks JSON, so the SDK sends the raw bytes as a base64 string in the request body: one
 * more copy of the message, 4/3 its size, for as long as the request lasts. It cannot be streamed;
 * SES v2 has no binary or multipart form of SendEmail.
 */
export class SesMailer implements Mailer {
  constructor(
    private readonly ses: SESv2Client,
    private readonly configurationSetName?: string,
  ) {}

  async send(message: OutboundMessage): Promise<{ messageId: string }> {
    const { MessageId } = await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: message.from,
        Destination: { ToAddresses: [...message.to] },
        Content: { Raw: { Data: message.raw } },
        ...(this.configurationSetName ? { ConfigurationSetName: this.configurationSetName } : {}),
      }),
    );
    if (!MessageId) throw new Error('SES SendEmail returned no message ID');
    return { messageId: MessageId };
  }
}
