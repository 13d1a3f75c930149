import { charsetOf, topLevelContentType } from './content-type';
import { HeaderIndex, parseHeaderFields } from './header-fields';
import { encodeUnstructured, formatField, formatMailbox, formatRfc5322Date } from './header-encoding';
import { decodeEncodedWords, readHeaderBytes, sanitizeText, UNREADABLE } from './header-text';
import { ADDRESS_LIKE, AddressReader } from './mailboxes';
import { DISPOSITION_TYPE, mimeVersionField, MIME_TYPE, parameterizedField, plainContentField, transferEncodingField } from './mime-fields';
import { checkedField } from './outbound-field';
import type { RewriteContext } from './outbound-field';
import { ADDRESS_REMOVED, createSecretGuard } from './secrets';
import { messageIdListField } from './thread-fields';

/** The relay's loop guard: added to every outbound message; an inbound message carrying it is refused. */
export const LOOP_HEADER = 'X-Anshin-Relay';

/** How one outbound header block is built. */
export interface RewriteOptions {
  /** Alias that becomes the From address, e.g. "m-7k2m9q4x0abc@relay.example.jp". */
  readonly fromAlias: string;
  /** Display name when the original From has none (e.g. the store's name), may be Japanese. */
  readonly fallbackDisplayName: string;
  /** The recipient's alias as the envelope named it; the output To. */
  readonly toAlias: string;
  /** Real addresses that must never appear in the output headers, in any case or encoding. */
  readonly secrets: readonly string[];
  /** Loop guard added to every output message. */
  readonly loopHeader: { readonly name: string; readonly value: string };
  /** Used for Date when the input has none. */
  readonly now: Date;
  /**
   * The relay's own one-click unsubscribe URL (RFC 8058), sent as `List-Unsubscribe` with
   * `List-Unsubscribe-Post`; the sender's own `List-Unsubscribe` is never kept.
   */
  readonly listUnsubscribe?: string;
  /**
   * Message IDs to give back to their authors in In-Reply-To and References: an ID SES gave a
   * relayed copy, mapped to the ID its author wrote, for a message going back to that author.
   */
  readonly threadTranslations?: ReadonlyMap<string, string>;
}

/** An absolute http(s) URL of printable ASCII, fit to stand between angle brackets. */
const UNSUBSCRIBE_URL = /^https?:\/\/[\x21-\x3b\x3d\x3f-\x7e]{1,900}$/;

/** Dot-atom local part and LDH domain: the shape of the relay's own aliases. */
const PLAIN_ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$/;
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
/** RFC 5322 §3.3 date-time, loosely (obsolete zones and a trailing comment allowed). */
const RFC5322_DATE = /^(?:[A-Za-z]{3}, *)?\d{1,2} +[A-Za-z]{3} +\d{2,4} +\d{1,2}:\d{2}(?::\d{2})?(?: +(?:[+-]\d{4}|[A-Za-z]{1,5}))?(?: *\([^()]*\))?$/;
const MAX_DATE_LENGTH = 128;
/**
 * Longest Subject or Content-Description kept, in UTF-16 units. No client shows more, and encoding
 * and checking a multi-megabyte subject would take seconds and swell the outbound header block.
 */
export const MAX_TEXT_CHARS = 16 * 1024;

/**
 * Builds the outbound header block from a keep-list (DESIGN.md "Header rules"): From (original
 * display name, `fromAlias` as address), To (`toAlias`), Reply-To (`fromAlias`, only when the input
 * had one), Subject, Date, In-Reply-To, References, MIME-Version and the Content-* fields, each at
 * most once, and the loop header. Nothing else goes out.
 *
 * Every secret in kept text becomes `[address removed]`; then each field is checked again in every
 * decoding the guard knows and dropped when it still reveals a secret (From and To fall back to
 * safer forms instead). The result is 7-bit ASCII, folded at whitespace near 76 characters, never
 * over 998 octets a line, CRLF line ends, and ends with the empty line, ready for the untouched body.
 *
 * @throws TypeError when an alias is not a plain address, `now` is not a valid date, or the loop
 *   header is not a valid field.
 */
export function rewriteHeaders(header: Buffer, options: RewriteOptions): Buffer {
  assertOptions(options);
  const index = new HeaderIndex(parseHeaderFields(header));
  const charset = charsetOf(topLevelContentType(index));
  const context: RewriteContext = {
    index,
    charset,
    guard: createSecretGuard(options.secrets, [options.fromAlias, options.toAlias]),
    reader: new AddressReader(charset),
  };
  const fields = [
    fromField(context, options),
    toField(context, options),
    index.has('reply-to') ? formatField('Reply-To', options.fromAlias) : undefined,
    unstructuredField(context, 'Subject'),
    dateField(context, options.now),
    messageIdListField(context, 'In-Reply-To', options.threadTranslations),
    messageIdListField(context, 'References', options.threadTranslations),
    mimeVersionField(context),
    parameterizedField(context, 'Content-Type', MIME_TYPE),
    transferEncodingField(context),
    parameterizedField(context, 'Content-Disposition', DISPOSITION_TYPE),
    plainContentField(context, 'Content-Language'),
    plainContentField(context, 'Content-ID'),
    unstructuredField(context, 'Content-Description'),
    formatField(options.loopHeader.name, options.loopHeader.value),
    ...(options.listUnsubscribe === undefined ? [] : [`List-Unsubscribe: <${options.listUnsubscribe}>`, 'List-Unsubscribe-Post: List-Unsubscribe=One-Click']),
  ].filter((field): field is string => field !== undefined);
  return Buffer.from(`${fields.join('\r\n')}\r\n\r\n`, 'latin1');
}

function assertOptions(options: RewriteOptions): void {
  for (const key of ['fromAlias', 'toAlias'] as const) {
    const alias = options[key];
    if (alias.length > 254 || !PLAIN_ADDRESS.test(alias)) throw new TypeError(`rewriteHeaders: ${key} is not a plain address`);
  }
  if (Number.isNaN(options.now.getTime())) throw new TypeError('rewriteHeaders: now is not a valid date');
  const { name, value } = options.loopHeader;
  if (!FIELD_NAME.test(name) || formatField(name, value) === undefined) throw new TypeError('rewriteHeaders: loopHeader is not a valid header field');
  if (options.listUnsubscribe !== undefined && !UNSUBSCRIBE_URL.test(options.listUnsubscribe)) throw new TypeError('rewriteHeaders: listUnsubscribe is not an http(s) URL');
}

/**
 * A display name fit to go out: secrets and any other address-like token (with a dotted domain)
 * replaced, since a name is no place for an address; empty when nothing but removals is left.
 */
function cleanDisplayName(context: RewriteContext, name: string): string {
  // Bytes in a charset nobody could identify are no name to show: the fallback name is used.
  if (name.includes(UNREADABLE)) return '';
  const scrubbed = context.guard.scrub(sanitizeText(name)).replace(ADDRESS_LIKE, (token) => (hasDottedDomain(token) ? ADDRESS_REMOVED : token));
  return /[\p{L}\p{N}]/u.test(scrubbed.split(ADDRESS_REMOVED).join('')) ? sanitizeText(scrubbed) : '';
}

/** `info@shop.example` is an address; `Shop@Tokyo` is more likely a brand name, and stays. */
function hasDottedDomain(token: string): boolean {
  return /[.\uff0e]/.test(token.slice(token.search(/[@\uff20]/) + 1));
}

function fromField(context: RewriteContext, options: RewriteOptions): string {
  const first = context.index.first('from');
  const original = first ? (context.reader.read(first).mailboxes[0]?.displayName ?? '') : '';
  const candidates = [cleanDisplayName(context, original), cleanDisplayName(context, options.fallbackDisplayName)];
  for (const name of candidates) {
    const field = name ? checkedField(context, 'From', formatMailbox(name, options.fromAlias)) : undefined;
    if (field) return field;
  }
  return `From: ${options.fromAlias}`;
}

/** To names the alias only, with the display name the sender gave it when that name is clean. */
function toField(context: RewriteContext, options: RewriteOptions): string {
  const alias = options.toAlias.toLowerCase();
  const fields = [...context.index.all('to'), ...context.index.all('cc')];
  for (const field of fields) {
    const mailbox = context.reader.read(field).mailboxes.find((candidate) => candidate.address === alias);
    if (!mailbox) continue;
    const name = mailbox.displayName;
    const withName = name && cleanDisplayName(context, name) === name ? checkedField(context, 'To', formatMailbox(name, options.toAlias)) : undefined;
    if (withName) return withName;
    break;
  }
  return `To: ${options.toAlias}`;
}

/**
 * Most of a Subject or Content-Description value read. Decoding it is the costly part of the
 * rewrite, and this much source (encoded words of Japanese text spend up to about 12 characters on
 * one decoded character) still decodes to more text than `MAX_TEXT_CHARS` keeps.
 */
export const MAX_TEXT_SOURCE_CHARS = 16 * MAX_TEXT_CHARS;

/**
 * What is dropped from the end of text decoded from a cut source: more than any address takes in
 * any form the secret guard knows (254 octets, each at most two UTF-16 units when written in
 * mathematical letters), so no part of an address the cut went through can remain.
 */
const CUT_MARGIN_CHARS = 1024;

/**
 * Free text, decoded from any charset, secrets removed, cut to `MAX_TEXT_CHARS`, re-encoded as
 * 7-bit. Secrets go before the cut, so the cut cannot leave part of one behind. A source longer
 * than `MAX_TEXT_SOURCE_CHARS` is cut first, at a fold where it has one; its decoded text loses
 * `CUT_MARGIN_CHARS` at that end once the secrets in it are removed, and ends in `…`. Raw 8-bit
 * text in a charset that cannot be identified is dropped rather than shown as another script.
 */
function unstructuredField(context: RewriteContext, name: 'Subject' | 'Content-Description'): string | undefined {
  const field = context.index.first(name);
  if (!field) return undefined;
  const cut = field.value.length > MAX_TEXT_SOURCE_CHARS;
  const source = cut ? cutAtWhitespace(field.value, MAX_TEXT_SOURCE_CHARS) : field.value;
  const raw = readHeaderBytes(source, context.charset);
  if (!raw.identified) return undefined;
  const scrubbed = sanitizeText(context.guard.scrub(sanitizeText(decodeEncodedWords(raw.text))));
  const text = cut ? `${sanitizeText(scrubbed.slice(0, wholeCharacters(scrubbed, scrubbed.length - CUT_MARGIN_CHARS)))}…` : scrubbed;
  return checkedField(context, name, encodeUnstructured(truncate(text, MAX_TEXT_CHARS)));
}

/**
 * A binary string up to the last SP or HTAB within `max` characters, so encoded words stay whole;
 * without one, up to the last UTF-8 character start, so the bytes still read as UTF-8.
 */
function cutAtWhitespace(value: string, max: number): string {
  let end = Math.max(value.lastIndexOf(' ', max), value.lastIndexOf('\t', max));
  if (end <= 0) {
    end = max;
    while (end > 0 && (value.charCodeAt(end) & 0xc0) === 0x80) end -= 1;
  }
  return value.slice(0, end);
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, wholeCharacters(text, max))}…`;
}

/** `end`, or one less when that would cut a surrogate pair in two; never below 0. */
function wholeCharacters(text: string, end: number): number {
  if (end <= 0) return 0;
  return /[\ud800-\udbff]/.test(text.charAt(end - 1)) ? end - 1 : end;
}

/** The input's Date when it reads as an RFC 5322 date, otherwise one from `now`. */
function dateField(context: RewriteContext, now: Date): string | undefined {
  const field = context.index.first('date');
  const raw = field ? field.value.replace(/\t/g, ' ') : '';
  const sane = raw.length <= MAX_DATE_LENGTH && RFC5322_DATE.test(raw) && !Number.isNaN(Date.parse(raw));
  return (sane ? checkedField(context, 'Date', raw) : undefined) ?? checkedField(context, 'Date', formatRfc5322Date(now));
}

