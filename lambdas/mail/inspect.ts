import type libmime from 'libmime';
import { charsetOf, topLevelContentType } from './content-type';
import { HeaderIndex, parseHeaderFields } from './header-fields';
import type { HeaderField } from './header-fields';
import { headerBytesToText, sanitizeText } from './header-text';
import { AddressReader, findAddressLikeTokens } from './mailboxes';
import type { Mailbox } from './mailboxes';
import { threadMessageIds } from './thread-fields';

export type { Mailbox } from './mailboxes';

/** What the relay decides on, read from an inbound header block without touching the body. */
export interface HeaderFacts {
  /** All mailboxes across all From fields, in order (group members included). */
  readonly from: readonly Mailbox[];
  /** Number of From fields; RFC 5322 §3.6 allows exactly one. */
  readonly fromFieldCount: number;
  /** Every address found in From, Sender, Reply-To, Return-Path (lower-cased, deduplicated). */
  readonly senderAddresses: readonly string[];
  /**
   * The message says it was sent automatically: `Auto-Submitted` present and not `no` (RFC 3834
   * §5), or one of the markers older autoresponders use instead (`Precedence: auto_reply`,
   * `X-Autoreply`, `X-Autorespond`).
   */
  readonly autoSubmitted: boolean;
  /**
   * A delivery status notification: top-level `multipart/report; report-type=delivery-status`
   * (RFC 3464, or `global-delivery-status`, RFC 6533), a From of `mailer-daemon` / `postmaster`, or
   * a null `Return-Path: <>` (RFC 5321 §4.5.5: the reverse-path of notifications).
   */
  readonly looksLikeBounce: boolean;
  /** Whether a field of that name is present (case-insensitive). */
  readonly hasHeader: (name: string) => boolean;
  /** The first Message-ID value as written, e.g. `<abc@example.jp>`; absent when there is none. */
  readonly messageId?: string;
  /** The message IDs In-Reply-To and References name (deduplicated, at most `MAX_THREAD_IDS`). */
  readonly threadIds: readonly string[];
}

const SENDER_FIELDS = ['from', 'sender', 'reply-to', 'return-path'] as const;
const BOUNCE_REPORT_TYPES = new Set(['delivery-status', 'global-delivery-status']);
const BOUNCE_SENDERS = new Set(['mailer-daemon', 'postmaster']);

/**
 * Reads the facts the relay's policy needs from a header block (as `splitMessage` returns it).
 * Address fields too large or too odd to parse (see `MAX_ADDRESS_FIELD_CHARS`) contribute no
 * mailboxes, so a From like that leaves `from` empty; the address-like tokens in them still go
 * into `senderAddresses`, which the rewrite treats as secrets.
 */
export function inspectHeaders(header: Buffer): HeaderFacts {
  const index = new HeaderIndex(parseHeaderFields(header));
  const contentType = topLevelContentType(index);
  const declaredCharset = charsetOf(contentType);
  const reader = new AddressReader(declaredCharset);

  const from: Mailbox[] = [];
  const namesWithoutAddress: string[] = [];
  const senderAddresses = new Set<string>();
  for (const key of SENDER_FIELDS) {
    for (const field of index.all(key)) {
      const reading = reader.read(field);
      const addresses = reading.parsed ? reading.mailboxes.map((mailbox) => mailbox.address) : findAddressLikeTokens(headerBytesToText(field.value, declaredCharset));
      for (const address of addresses) senderAddresses.add(address);
      if (key === 'from') {
        from.push(...reading.mailboxes);
        namesWithoutAddress.push(...reading.namesWithoutAddress);
      }
    }
  }

  const messageId = firstMessageId(index.first('message-id'));
  return {
    from,
    fromFieldCount: index.all('from').length,
    senderAddresses: [...senderAddresses],
    autoSubmitted: isAutoSubmitted(index),
    looksLikeBounce: isDeliveryReport(contentType) || isFromMailerDaemon(from, namesWithoutAddress) || hasNullReturnPath(index),
    hasHeader: (name) => index.has(name),
    ...(messageId ? { messageId } : {}),
    threadIds: threadMessageIds(index),
  };
}

/** The first word of a field value, lower-cased, ignoring RFC 5322 comments and parameters. */
function keyword(field: HeaderField): string {
  return (field.value.split(/[\s;(]/, 1)[0] ?? '').toLowerCase();
}

function isAutoSubmitted(index: HeaderIndex): boolean {
  if (index.all('auto-submitted').some((field) => keyword(field) !== 'no')) return true;
  if (index.all('precedence').some((field) => keyword(field) === 'auto_reply')) return true;
  return index.has('x-autoreply') || index.has('x-autorespond');
}

function isDeliveryReport(contentType: libmime.ParsedHeaderValue | undefined): boolean {
  const reportType = contentType?.params['report-type'];
  return contentType?.value.trim().toLowerCase() === 'multipart/report' && typeof reportType === 'string' && BOUNCE_REPORT_TYPES.has(reportType.trim().toLowerCase());
}

function isFromMailerDaemon(from: readonly Mailbox[], namesWithoutAddress: readonly string[]): boolean {
  const localParts = from.map((mailbox) => localPart(mailbox.address));
  return [...localParts, ...namesWithoutAddress.map((name) => name.toLowerCase())].some((name) => BOUNCE_SENDERS.has(name));
}

function hasNullReturnPath(index: HeaderIndex): boolean {
  return index.all('return-path').some((field) => field.value.replace(/\s+/g, '') === '<>');
}

function localPart(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : address.slice(0, at);
}

function firstMessageId(field: HeaderField | undefined): string | undefined {
  if (!field) return undefined;
  const value = sanitizeText(headerBytesToText(field.value)).replace(/\s+/g, '');
  return value || undefined;
}
