/**
 * The three ways of turning the raw bytes S3 returns into the bytes handed to SES that the
 * benchmarks compare, each taking a raw message and returning the outbound message.
 */
import { simpleParser } from 'mailparser';
import type { AddressObject, ParsedMail } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { inspectHeaders, LOOP_HEADER, rewriteHeaders, splitMessage } from '../../lambdas/mail';
import { CUSTOMER_ADDRESS, CUSTOMER_ALIAS, RELAY_DOMAIN } from './synthetic-mail';

const FROM_ALIAS = `m-4n8p2r6t1vwx@${RELAY_DOMAIN}`;
const TO_ALIAS = `${CUSTOMER_ALIAS}@${RELAY_DOMAIN}`;
const NOW = new Date('2025-04-01T03:00:00Z');

/**
 * The relay's own path, as `deliverToRecipient` runs it for a store's mail to a customer: split the
 * header block off, read the facts policy needs, rebuild the header block from the keep-list, and
 * put it in front of the untouched body in one new buffer.
 */
export function relayPath(raw: Buffer): Buffer {
  const split = splitMessage(raw);
  const facts = inspectHeaders(split.header);
  const header = rewriteHeaders(split.header, {
    fromAlias: FROM_ALIAS,
    toAlias: TO_ALIAS,
    fallbackDisplayName: 'デモ商店',
    secrets: [...facts.senderAddresses, CUSTOMER_ADDRESS],
    loopHeader: { name: LOOP_HEADER, value: RELAY_DOMAIN },
    now: NOW,
  });
  return Buffer.concat([header, split.body], header.length + split.body.length);
}

/** Whether the relay's path takes the message; one it throws on is refused as malformed, which it took the work to find out. */
export function relays(raw: Buffer): boolean {
  try {
    relayPath(raw);
    return true;
  } catch {
    return false;
  }
}

function firstName(address: AddressObject | AddressObject[] | undefined): string {
  const list = Array.isArray(address) ? address : address ? [address] : [];
  return list[0]?.value[0]?.name ?? '';
}

function attachmentsOf(parsed: ParsedMail): Mail.Attachment[] {
  return parsed.attachments.map((attachment) => ({
    content: attachment.content,
    contentType: attachment.contentType,
    contentDisposition: attachment.contentDisposition === 'inline' ? 'inline' : 'attachment',
    ...(attachment.filename ? { filename: attachment.filename } : {}),
    ...(attachment.cid ? { cid: attachment.cid } : {}),
  }));
}

/**
 * What many forwarders do: parse the whole message with mailparser (every part decoded, text and
 * attachments into memory) and compose a new one with nodemailer's MailComposer from the parts,
 * with the addresses replaced.
 */
export async function naivePath(raw: Buffer): Promise<Buffer> {
  const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  const name = firstName(parsed.from);
  const mail: Mail.Options = {
    from: name ? { name, address: FROM_ALIAS } : FROM_ALIAS,
    to: TO_ALIAS,
    subject: parsed.subject ?? '',
    date: parsed.date ?? NOW,
    headers: { [LOOP_HEADER]: RELAY_DOMAIN },
    attachments: attachmentsOf(parsed),
    ...(parsed.text === undefined ? {} : { text: parsed.text }),
    ...(typeof parsed.html === 'string' ? { html: parsed.html } : {}),
    ...(parsed.inReplyTo ? { inReplyTo: parsed.inReplyTo } : {}),
    ...(parsed.references ? { references: parsed.references } : {}),
  };
  return new Promise((resolve, reject) => {
    new MailComposer(mail).compile().build((error, message) => (error ? reject(error) : resolve(message)));
  });
}

/** The floor: the same number of bytes copied into a new buffer, unchanged. */
export function copyFloor(raw: Buffer): Buffer {
  const copy = Buffer.allocUnsafe(raw.length);
  raw.copy(copy);
  return copy;
}
