import { domainOf } from './address';
import { LOOP_HEADER } from './mail';
import { REFUSAL_REASONS } from './policy';
import type { RefusalReason } from './policy';

/**
 * Delivery status notifications (RFC 3464) for refusals a legitimate sender should hear about.
 *
 * The DSN is a fixed three-part skeleton with relay-made content only, so it is written out here
 * rather than with a MIME composer: every line is 7-bit, the boundary cannot occur in the parts
 * (base64 and fixed ASCII), and nothing of the refused message is copied in. RFC 3464 §2 makes the
 * returned original (or its headers) optional; it is left out because its header block names the
 * other party's alias, Reply-To and Cc addresses, and is what the sender already has.
 */

/** Refusals a DSN is sent for. Others marked `bounceable` in {@link REFUSAL_REASONS} may join later. */
const DSN_REASONS = {
  message_too_large: {
    /** RFC 3463 §3.4: X.3.4 "Message too big for system". */
    status: '5.3.4',
    subject: '配信できませんでした: メールが大きすぎます / Undeliverable: message too large',
  },
} as const satisfies Partial<Record<RefusalReason, { status: string; subject: string }>>;

export type BouncedReason = keyof typeof DSN_REASONS;

/**
 * Whether a refusal is answered with a DSN: only for reasons switched on here, only when policy
 * marks them bounceable, and only to an authenticated sender, since a bounce to a forged envelope
 * sender is backscatter (RFC 5321 §6.2 asks not to send it).
 */
export function shouldBounce(reason: RefusalReason, senderAuthenticated: boolean): reason is BouncedReason {
  return senderAuthenticated && REFUSAL_REASONS[reason].bounceable && Object.hasOwn(DSN_REASONS, reason);
}

export interface BounceInput {
  readonly reason: BouncedReason;
  readonly relayDomain: string;
  /** The envelope sender of the refused message; the DSN goes there (RFC 3464 §2, RFC 5321 §4.5.5). */
  readonly to: string;
  /** The alias the refused message was sent to (Final-Recipient). */
  readonly finalRecipient: string;
  /** Unique per refused delivery and stable across retries, so a resent DSN keeps its Message-ID. */
  readonly deliveryId: string;
  readonly sizeBytes: number;
  readonly limitBytes: number;
  readonly arrivalDate: Date;
  readonly now: Date;
}

export interface Bounce {
  /** Envelope and header sender: the relay domain's MAILER-DAEMON. */
  readonly from: string;
  readonly to: string;
  readonly raw: Buffer;
}

/** An address that can stand in a 7-bit header as is: dot-atom-ish local part, LDH domain. */
const SEVEN_BIT_ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}$/;
const BOUNDARY_PREFIX = '=_anshin-dsn_';
const MEBIBYTE = 1024 * 1024;

/**
 * The DSN for one refused delivery, or `undefined` when the sender's address cannot be written in a
 * 7-bit header (an RFC 6531 address) or is on the relay domain itself (the DSN would come straight
 * back): no DSN rather than a malformed or looping one.
 */
export function composeBounce(input: BounceInput): Bounce | undefined {
  const relayDomain = input.relayDomain.toLowerCase();
  if (!SEVEN_BIT_ADDRESS.test(input.to) || domainOf(input.to) === relayDomain) return undefined;
  if (!SEVEN_BIT_ADDRESS.test(input.finalRecipient)) throw new RangeError('the final recipient must be an alias address');

  const { status, subject } = DSN_REASONS[input.reason];
  const from = `MAILER-DAEMON@${relayDomain}`;
  const token = input.deliveryId.replace(/[^A-Za-z0-9.-]+/g, '.');
  const boundary = `${BOUNDARY_PREFIX}${token}`;
  const arrival = rfc5322Date(input.arrivalDate);

  const header = [
    `From: Mail Delivery System <${from}>`,
    `To: <${input.to}>`,
    `Subject: ${encodedWords(subject)}`,
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: <dsn.${token}@${relayDomain}>`,
    // RFC 3834 §5: a response to a message; receivers' auto-responders must not answer it.
    'Auto-Submitted: auto-replied',
    `${LOOP_HEADER}: ${relayDomain}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
    'Content-Transfer-Encoding: 7bit',
  ];
  const explanation = humanReadable(input, arrival);
  const statusFields = [
    `Reporting-MTA: dns; ${relayDomain}`,
    `Arrival-Date: ${arrival}`,
    '',
    `Final-Recipient: rfc822; ${input.finalRecipient}`,
    'Action: failed',
    `Status: ${status}`,
  ];
  const lines = [
    ...header,
    '',
    'This is a delivery status notification in MIME format (RFC 3464).',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    ...base64Lines(Buffer.from(explanation, 'utf8')),
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    'Content-Transfer-Encoding: 7bit',
    '',
    ...statusFields,
    '',
    `--${boundary}--`,
    '',
  ];
  return { from, to: input.to, raw: Buffer.from(lines.join('\r\n'), 'ascii') };
}

function humanReadable(input: BounceInput, arrival: string): string {
  const size = formatSize(input.sizeBytes);
  const limit = formatSize(input.limitBytes);
  const bytes = (n: number): string => n.toLocaleString('en-US');
  return [
    'このメールは自動送信されています。',
    '',
    `${arrival} に受け付けたメール（宛先 ${input.finalRecipient}）は配信できませんでした。`,
    `メールの大きさ（約 ${size}、${bytes(input.sizeBytes)} バイト）が、このサービスで送信できる上限`,
    `${limit}（${bytes(input.limitBytes)} バイト、ヘッダーと添付ファイルを含む）を超えています。`,
    '添付ファイルを小さくするか、複数のメールに分けて、もう一度お送りください。',
    '',
    '----------------------------------------------------------------------',
    '',
    'This is an automatically generated message.',
    '',
    `Your message to ${input.finalRecipient}, received ${arrival}, could not be delivered.`,
    `It is about ${size} (${bytes(input.sizeBytes)} bytes), larger than the ${limit} (${bytes(input.limitBytes)} bytes,`,
    'headers and attachments included) this service can send.',
    'Please make the attachments smaller or split them across several messages and send it again.',
    '',
  ].join('\r\n');
}

function formatSize(bytes: number): string {
  if (bytes >= MEBIBYTE) return `${(Math.round((bytes / MEBIBYTE) * 10) / 10).toString()} MB`;
  return `${Math.ceil(bytes / 1024).toString()} KB`;
}

/** RFC 2045 §6.8: base64 in lines of at most 76 characters. */
function base64Lines(data: Buffer): string[] {
  const encoded = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return lines;
}

/**
 * RFC 2047 B-encoded words, each on its own folded line and a character never split across two
 * (§5). 39 bytes make 52 base64 characters: a 64-character word, so `Subject: ` and the first word
 * stay within RFC 5322's 78-character line.
 */
function encodedWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const char of text) {
    if (Buffer.byteLength(chunk + char, 'utf8') > 39) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`).join('\r\n ');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** RFC 5322 §3.3 date-time in UTC with a numeric zone (the `GMT` of toUTCString is obsolete syntax). */
function rfc5322Date(date: Date): string {
  const two = (n: number): string => n.toString().padStart(2, '0');
  const day = DAYS[date.getUTCDay()] ?? 'Sun';
  const month = MONTHS[date.getUTCMonth()] ?? 'Jan';
  return `${day}, ${date.getUTCDate().toString()} ${month} ${date.getUTCFullYear().toString()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}
