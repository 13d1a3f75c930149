import { isJsonObject } from '../json';
import type { JsonObject } from '../json';
import type { InboundMail } from './relay-inbound-mail';
import { toVerdictStatus } from './verdicts';
import type { Verdicts } from './verdicts';

/** The queue body is not an SES receipt notification for an S3 action; retrying cannot help. */
export class InvalidNotificationError extends Error {
  override readonly name = 'InvalidNotificationError';
}


function object(value: unknown, path: string): JsonObject {
  if (!isJsonObject(value)) throw new InvalidNotificationError(`${path} is not an object`);
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new InvalidNotificationError(`${path} is not a string`);
  return value;
}

function status(receipt: JsonObject, name: string): Verdicts['spf'] {
  const verdict = receipt[name];
  return toVerdictStatus(isJsonObject(verdict) ? verdict.status : undefined);
}

function dmarcPolicy(value: unknown): Verdicts['dmarcPolicy'] {
  const policy = typeof value === 'string' ? value.toLowerCase() : undefined;
  return policy === 'none' || policy === 'quarantine' || policy === 'reject' ? policy : undefined;
}

/**
 * Reads the SES receipt notification that the S3 action published to SNS and SNS delivered raw to
 * SQS (SES Developer Guide, "Notification contents for Amazon SES email receiving"). Only what
 * routing and the transmission record need is taken; the notification's copy of the headers is
 * ignored except for the Received field SES itself added.
 */
export function parseSesNotification(body: string): InboundMail {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new InvalidNotificationError('queue body is not JSON', { cause: error });
  }
  const root = object(parsed, 'notification');
  if (root.notificationType !== 'Received') throw new InvalidNotificationError(`unexpected notificationType ${String(root.notificationType)}`);
  const mail = object(root.mail, 'mail');
  const receipt = object(root.receipt, 'receipt');
  const action = object(receipt.action, 'receipt.action');
  if (action.type !== 'S3') throw new InvalidNotificationError(`unexpected action type ${String(action.type)}`);
  const recipients = receipt.recipients;
  if (!Array.isArray(recipients) || recipients.length === 0 || !recipients.every((r) => typeof r === 'string')) {
    throw new InvalidNotificationError('receipt.recipients is not a list of addresses');
  }
  const timestamp = Date.parse(string(mail.timestamp, 'mail.timestamp'));
  if (Number.isNaN(timestamp)) throw new InvalidNotificationError('mail.timestamp is not a date');
  const headers = Array.isArray(mail.headers) ? (mail.headers as unknown[]) : [];
  const received = headers
    .map((h) => (isJsonObject(h) ? h : {}))
    .find((h) => typeof h.name === 'string' && h.name.toLowerCase() === 'received');

  const policy = dmarcPolicy(receipt.dmarcPolicy);
  return {
    sesMessageId: string(mail.messageId, 'mail.messageId'),
    receivedAt: new Date(timestamp),
    envelopeSender: typeof mail.source === 'string' ? mail.source : '',
    recipients: recipients as string[],
    verdicts: {
      spf: status(receipt, 'spfVerdict'),
      dkim: status(receipt, 'dkimVerdict'),
      dmarc: status(receipt, 'dmarcVerdict'),
      spam: status(receipt, 'spamVerdict'),
      virus: status(receipt, 'virusVerdict'),
      ...(policy ? { dmarcPolicy: policy } : {}),
    },
    location: { bucket: string(action.bucketName, 'receipt.action.bucketName'), key: string(action.objectKey, 'receipt.action.objectKey') },
    ...(typeof received?.value === 'string' ? { sesReceivedHeader: received.value } : {}),
  };
}
