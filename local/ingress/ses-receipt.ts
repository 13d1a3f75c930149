import { randomInt } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import addressparser from 'nodemailer/lib/addressparser';
import { formatRfc5322Date } from '../../lambdas/mail';
import { decodeEncodedWords, headerValue, parseHeaderFields } from './message-headers';
import { sqsEventOf } from '../sqs-event';
import type { HeaderField } from './message-headers';
import type { ReceiptVerdicts } from './simulated-verdicts';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A receiving message ID in SES's form: lower-case letters and digits (SES's own are 40 long). */
export function newSesMessageId(length = 40): string {
  return Array.from({ length }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('');
}

/** RFC 5322 date in UTC, as SES writes it in its Received field: `Tue, 24 Nov 2026 05:32:33 +0000 (UTC)`. */
function rfc5322Date(date: Date): string {
  return `${formatRfc5322Date(date)} (UTC)`;
}

/** The SMTP session facts SES records about a delivery. */
export interface SmtpDelivery {
  readonly messageId: string;
  readonly receivedAt: Date;
  /** Envelope sender (MAIL FROM); empty for the null sender. */
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  /** Name the client gave in EHLO/HELO. */
  readonly heloName: string;
  /** Reverse-resolved name of the client (or its address literal). */
  readonly clientHostname: string;
  readonly remoteAddress: string;
  readonly region: string;
}

function verdictWord(status: string): string {
  return status.toLowerCase();
}

/**
 * Header fields SES adds at the top of every message it stores: Return-Path, its Received field,
 * its spam and virus verdicts and an Authentication-Results summary of the SPF, DKIM and DMARC checks.
 */
export function sesAddedHeaders(delivery: SmtpDelivery, verdicts: ReceiptVerdicts): string {
  const firstRecipient = delivery.recipients[0] ?? '';
  const senderDomain = delivery.mailFrom.split('@')[1] ?? delivery.heloName;
  const lines = [
    `Return-Path: <${delivery.mailFrom}>`,
    `Received: from ${delivery.heloName} (${delivery.clientHostname} [${delivery.remoteAddress}]) by inbound-smtp.${delivery.region}.amazonaws.com with SMTP id ${delivery.messageId} for ${firstRecipient}; ${rfc5322Date(delivery.receivedAt)}`,
    `X-SES-Spam-Verdict: ${verdicts.spam}`,
    `X-SES-Virus-Verdict: ${verdicts.virus}`,
    `Authentication-Results: amazonses.com; spf=${verdictWord(verdicts.spf)} smtp.mailfrom=${senderDomain}; dkim=${verdictWord(verdicts.dkim)} header.i=@${senderDomain}; dmarc=${verdictWord(verdicts.dmarc)} header.from=${senderDomain};`,
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** SES's receipt notification for an S3 action that publishes to SNS ("Received"). */
export interface SesReceiptNotification {
  readonly notificationType: 'Received';
  readonly mail: {
    readonly timestamp: string;
    readonly source: string;
    readonly messageId: string;
    readonly destination: readonly string[];
    readonly headersTruncated: boolean;
    readonly headers: readonly HeaderField[];
    readonly commonHeaders: Readonly<Record<string, string | readonly string[]>>;
  };
  readonly receipt: {
    readonly timestamp: string;
    readonly processingTimeMillis: number;
    readonly recipients: readonly string[];
    readonly spamVerdict: { readonly status: string };
    readonly virusVerdict: { readonly status: string };
    readonly spfVerdict: { readonly status: string };
    readonly dkimVerdict: { readonly status: string };
    readonly dmarcVerdict: { readonly status: string };
    readonly dmarcPolicy?: string;
    readonly action: {
      readonly type: 'S3';
      readonly topicArn: string;
      readonly bucketName: string;
      readonly objectKeyPrefix: string;
      readonly objectKey: string;
    };
  };
}

export interface S3ActionTarget {
  readonly topicArn: string;
  readonly bucketName: string;
  readonly objectKeyPrefix: string;
}

function addressList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return addressparser(value, { flatten: true }).map(({ name, address }) => {
    const display = decodeEncodedWords(name);
    if (!display) return address;
    return /[()<>[\]:;@\\,."]/.test(display) ? `"${display.replace(/(["\\])/g, '\\$1')}" <${address}>` : `${display} <${address}>`;
  });
}

/** `commonHeaders` as SES gives it: address fields as lists, the subject decoded. */
function commonHeaders(fields: readonly HeaderField[]): Record<string, string | string[]> {
  const common: Record<string, string | string[] | undefined> = {
    returnPath: headerValue(fields, 'Return-Path')?.replace(/^<|>$/g, ''),
    from: addressList(headerValue(fields, 'From')),
    sender: headerValue(fields, 'Sender'),
    replyTo: addressList(headerValue(fields, 'Reply-To')),
    date: headerValue(fields, 'Date'),
    to: addressList(headerValue(fields, 'To')),
    cc: addressList(headerValue(fields, 'Cc')),
    messageId: headerValue(fields, 'Message-ID'),
    subject: ((subject) => (subject === undefined ? undefined : decodeEncodedWords(subject)))(headerValue(fields, 'Subject')),
  };
  return Object.fromEntries(Object.entries(common).filter((entry): entry is [string, string | string[]] => entry[1] !== undefined));
}

/**
 * Builds the notification SES publishes after its S3 action stored `storedMail` (the submitted mail
 * with SES's own header fields on top) at `<objectKeyPrefix><messageId>`.
 */
export function buildReceiptNotification(input: {
  readonly delivery: SmtpDelivery;
  readonly verdicts: ReceiptVerdicts;
  readonly storedMail: Buffer;
  readonly target: S3ActionTarget;
  readonly actionAt: Date;
}): SesReceiptNotification {
  const { delivery, verdicts, target } = input;
  const fields = parseHeaderFields(input.storedMail);
  const timestamp = delivery.receivedAt.toISOString();
  return {
    notificationType: 'Received',
    mail: {
      timestamp,
      source: delivery.mailFrom,
      messageId: delivery.messageId,
      destination: [...delivery.recipients],
      headersTruncated: false,
      headers: fields,
      commonHeaders: commonHeaders(fields),
    },
    receipt: {
      timestamp,
      processingTimeMillis: Math.max(0, input.actionAt.getTime() - delivery.receivedAt.getTime()),
      recipients: [...delivery.recipients],
      spamVerdict: { status: verdicts.spam },
      virusVerdict: { status: verdicts.virus },
      spfVerdict: { status: verdicts.spf },
      dkimVerdict: { status: verdicts.dkim },
      dmarcVerdict: { status: verdicts.dmarc },
      ...(verdicts.dmarcPolicy ? { dmarcPolicy: verdicts.dmarcPolicy } : {}),
      action: {
        type: 'S3',
        topicArn: target.topicArn,
        bucketName: target.bucketName,
        objectKeyPrefix: target.objectKeyPrefix,
        objectKey: `${target.objectKeyPrefix}${delivery.messageId}`,
      },
    },
  };
}

/**
 * The SQS event the relay Lambda receives for one notification: SNS delivers to SQS with raw
 * message delivery on, so the record body is the notification itself, not an SNS envelope.
 */
export function toSqsEvent(notification: SesReceiptNotification, queueArn: string, region: string, receiveCount = 1): SQSEvent {
  return sqsEventOf(JSON.stringify(notification), { queueArn, region }, { receiveCount });
}
