import { domainOf, normalizeAddress } from '../aliases/address';
import { formatRfc5322Date, LOOP_HEADER } from '../mail';
import { REFUSAL_REASONS } from './screening';
import type { RefusalReason } from './screening';

/**
 * Delivery status notifications (RFC 3464) for refusals a legitimate sender should hear about.
 *
 * The DSN is a fixed three-part skeleton with relay-made content only, so it is written out here
 * rather than with a MIME composer: every line is 7-bit, the boundary cannot occur in the parts
 * (base64 and fixed ASCII), and nothing of the refused message is copied in. RFC 3464 §2 makes the
 * returned original (or its headers) optional; it is left out because its header block names the
 * other party's alias, Reply-To and Cc addresses, and is what the sender already has.
 */

/**
 * Reasons {@link REFUSAL_REASONS} marks `bounceable`: a refusal an authenticated sender hears about.
 * Derived from the table, so a reason marked bounceable there must be given a DSN kind below.
 */
export type BouncedReason = { [R in RefusalReason]: (typeof REFUSAL_REASONS)[R]['bounceable'] extends true ? R : never }[RefusalReason];

/**
 * What a DSN may tell the sender. Mail to an alias that does not exist, has expired, or does not
 * accept this sender all get one and the same answer, `not_accepted`, so an authenticated stranger
 * cannot probe which aliases exist (alias enumeration) or which stores are behind them: the answer
 * names only the alias the sender wrote to, never a real address, a store, or which of the reasons
 * applied. Only an over-size message gets its own explanation, and the relay reports that refusal
 * only to a sender that passed authorisation for the alias (see relay-inbound-mail.ts), so it too
 * reveals nothing to a stranger.
 */
type DsnKind = 'not_accepted' | 'too_large' | 'rate_limited' | 'store_paused';

const DSN_KIND = {
  not_an_alias: 'not_accepted',
  unknown_alias: 'not_accepted',
  expired_alias: 'not_accepted',
  alias_disabled: 'not_accepted',
  unregistered_sender: 'not_accepted',
  not_conversation_owner: 'not_accepted',
  message_too_large: 'too_large',
  rate_limited: 'rate_limited',
  store_paused: 'store_paused',
} as const satisfies Record<BouncedReason, DsnKind>;

const DSN = {
  not_accepted: {
    /**
     * RFC 3463 §3.2: X.1.1 "Bad destination mailbox address", for every refusal of this kind. X.7.1
     * (sender not authorised) for unregistered senders, or X.2.1 (mailbox disabled) for expired
     * aliases, would tell a prober that the alias exists; an expired alias is gone for good for its
     * own store too, and X.1.1 is what tells a mailing list to stop sending to it.
     */
    status: '5.1.1',
    subject: '配信できませんでした: 宛先がこのメールを受け付けません / Undeliverable: the recipient does not accept your message',
  },
  too_large: {
    /** RFC 3463 §3.4: X.3.4 "Message too big for system". */
    status: '5.3.4',
    subject: '配信できませんでした: メールが大きすぎます / Undeliverable: message too large',
  },
  /**
   * RFC 3463 §3.8, class 4: the condition is temporary (a limit's window passes, a pause is
   * lifted); the relay gave up on this message after holding it, and the same mail sent later may
   * go through. X.7.0 "Other or undefined security status": the limit is the relay's abuse control.
   */
  rate_limited: {
    status: '4.7.0',
    subject: '配信できませんでした: 送信数の上限を超えました / Undeliverable: sending limit exceeded',
  },
  /** X.7.1 "Delivery not authorized": the store may not send for now. */
  store_paused: {
    status: '4.7.1',
    subject: '配信できませんでした: ストアからの送信は停止中です / Undeliverable: sending from this store is paused',
  },
} as const satisfies Record<DsnKind, { status: string; subject: string }>;

/**
 * Whether a refusal is answered with a DSN: only when policy marks it bounceable, and only to an
 * authenticated sender, since a bounce to a forged envelope sender is backscatter (RFC 5321 §6.2
 * asks not to send it). Loops, null senders and automatic mail are never bounceable (RFC 3834 §2).
 */
export function shouldBounce(reason: RefusalReason, senderAuthenticated: boolean): reason is BouncedReason {
  return senderAuthenticated && REFUSAL_REASONS[reason].bounceable;
}

/**
 * Input to the keyed hash that names one envelope sender's DSN allowance for one window. The window
 * is part of it, so the counters of two windows share nothing, and the prefix keeps it apart from
 * the look-up hash of the same address (`addressMacInput`).
 */
export function bounceBudgetMacInput(envelopeSender: string, windowEnd: Date): string {
  return `dsn-budget:v1:${windowEnd.toISOString()}:${normalizeAddress(envelopeSender)}`;
}

export interface BounceInput {
  readonly reason: BouncedReason;
  readonly relayDomain: string;
  /** The envelope sender of the refused message; the DSN goes there (RFC 3464 §2, RFC 5321 §4.5.5). */
  readonly to: string;
  /** The relay-domain address the refused message was sent to, as the sender wrote it (Final-Recipient). */
  readonly finalRecipient: string;
  /** Unique per refused delivery and stable across retries, so a resent DSN keeps its Message-ID. */
  readonly deliveryId: string;
  /** Size of the refused message and the relay's limit; told the sender only when it is over-size. */
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
 * back), or the final recipient is not a 7-bit address on the relay domain (the relay reports only
 * on its own addresses): no DSN rather than a malformed, looping or misattributed one.
 */
export function composeBounce(input: BounceInput): Bounce | undefined {
  const relayDomain = input.relayDomain.toLowerCase();
  if (!SEVEN_BIT_ADDRESS.test(input.to) || domainOf(input.to) === relayDomain) return undefined;
  if (!SEVEN_BIT_ADDRESS.test(input.finalRecipient) || domainOf(input.finalRecipient) !== relayDomain) return undefined;

  const kind = DSN_KIND[input.reason];
  const { status, subject } = DSN[kind];
  const from = `MAILER-DAEMON@${relayDomain}`;
  const token = input.deliveryId.replace(/[^A-Za-z0-9.-]+/g, '.');
  const boundary = `${BOUNDARY_PREFIX}${token}`;
  const arrival = formatRfc5322Date(input.arrivalDate);

  const header = [
    `From: Mail Delivery System <${from}>`,
    `To: <${input.to}>`,
    `Subject: ${encodedWords(subject)}`,
    `Date: ${formatRfc5322Date(input.now)}`,
    `Message-ID: <dsn.${token}@${relayDomain}>`,
    // RFC 3834 §5: a response to a message; receivers' auto-responders must not answer it.
    'Auto-Submitted: auto-replied',
    `${LOOP_HEADER}: ${relayDomain}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
    'Content-Transfer-Encoding: 7bit',
  ];
  const explanation = EXPLANATION[kind](input, arrival);
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

/**
 * The human-readable part: Japanese first (the marketplace's language), then English, each opening
 * with the same notice and the same sentence naming the message and the address written to.
 */
function bilingualText(input: BounceInput, arrival: string, japanese: readonly string[], english: readonly string[]): string {
  return [
    'このメールは自動送信されています。',
    '',
    `${arrival} に受け付けたメール（宛先 ${input.finalRecipient}）は配信できませんでした。`,
    ...japanese,
    '',
    '----------------------------------------------------------------------',
    '',
    'This is an automatically generated message.',
    '',
    `Your message to ${input.finalRecipient}, received ${arrival}, could not be delivered.`,
    ...english,
    '',
  ].join('\r\n');
}

/** The same words whatever the reason: see {@link DsnKind}. */
function notAcceptedText(input: BounceInput, arrival: string): string {
  return bilingualText(
    input,
    arrival,
    ['この宛先は、お送りいただいたメールを受け付けていません。', '宛先に誤りがないかご確認ください。'],
    ['This address does not accept your message. Please check that the address is correct.'],
  );
}

function rateLimitedText(input: BounceInput, arrival: string): string {
  return bilingualText(
    input,
    arrival,
    ['送信数が、このサービスで一定時間内に送信できる上限を超えたため、配信を保留していましたが、', '保留できる時間を過ぎました。時間をおいて、もう一度お送りください。'],
    ['More mail was sent than this service relays in a given time; the message was held back', 'for as long as mail is held, and not sent. Please send it again later.'],
  );
}

function storePausedText(input: BounceInput, arrival: string): string {
  return bilingualText(
    input,
    arrival,
    ['このストアからの送信は現在停止されています。', '詳しくはマーケットプレイスの運営窓口にお問い合わせください。'],
    ['Sending from this store is paused for now.', 'Please contact the marketplace for details.'],
  );
}

const EXPLANATION: Readonly<Record<DsnKind, (input: BounceInput, arrival: string) => string>> = {
  not_accepted: notAcceptedText,
  too_large: tooLargeText,
  rate_limited: rateLimitedText,
  store_paused: storePausedText,
};

function tooLargeText(input: BounceInput, arrival: string): string {
  const size = formatSize(input.sizeBytes);
  const limit = formatSize(input.limitBytes);
  const bytes = (n: number): string => n.toLocaleString('en-US');
  return bilingualText(
    input,
    arrival,
    [
      `メールの大きさ（約 ${size}、${bytes(input.sizeBytes)} バイト）が、このサービスで送信できる上限`,
      `${limit}（${bytes(input.limitBytes)} バイト、ヘッダーと添付ファイルを含む）を超えています。`,
      '添付ファイルを小さくするか、複数のメールに分けて、もう一度お送りください。',
    ],
    [
      `It is about ${size} (${bytes(input.sizeBytes)} bytes), larger than the ${limit} (${bytes(input.limitBytes)} bytes,`,
      'headers and attachments included) this service can send.',
      'Please make the attachments smaller or split them across several messages and send it again.',
    ],
  );
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
