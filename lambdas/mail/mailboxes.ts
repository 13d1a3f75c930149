import addressparser from 'addressparser';
import type { HeaderField } from './header-fields';
import { decodeEncodedWords, headerBytesToText, sanitizeText } from './header-text';

/** One mailbox of an address field. */
export interface Mailbox {
  /** The addr-spec, trimmed and lower-cased (compare with `normalizeAddress`). */
  readonly address: string;
  /** The display name, decoded (RFC 2047, any charset) and sanitized; empty when there is none. */
  readonly displayName: string;
}

/**
 * Longest address field value handed to addressparser. addressparser 1.0.1 concatenates its result
 * once per address (quadratic in the count) and recurses once per `:` group marker, so a hostile
 * field of a few hundred KB takes seconds or overflows the stack; no legitimate From, Sender,
 * Reply-To, Return-Path or To value comes near this.
 */
const MAX_ADDRESS_FIELD_CHARS = 2048;

/** RFC 5322 groups do not nest, so a field needs at most a few `:`; more only feed that recursion. */
const MAX_COLONS = 16;

/** Total address text parsed per header block, bounding the work whatever the number of fields. */
const ADDRESS_PARSE_BUDGET_CHARS = 16 * 1024;

/** What one address field held. `parsed` is false when it was too large or too odd to parse. */
export interface AddressFieldReading {
  readonly parsed: boolean;
  /** Mailboxes with an address, in order, group members included. */
  readonly mailboxes: readonly Mailbox[];
  /** Display names of entries without any address (`From: MAILER-DAEMON`), decoded. */
  readonly namesWithoutAddress: readonly string[];
}

const UNPARSED: AddressFieldReading = { parsed: false, mailboxes: [], namesWithoutAddress: [] };

/** Reads address fields in order within one shared parse budget. */
export class AddressReader {
  private remaining = ADDRESS_PARSE_BUDGET_CHARS;

  constructor(private readonly declaredCharset?: string) {}

  /** Parses one field, or reports it unparsed when it is oversized, odd, or past the budget. */
  read(field: HeaderField): AddressFieldReading {
    // Once the budget is spent nothing more is parsed, so the rest need not even be decoded.
    if (this.remaining <= 0) return UNPARSED;
    const text = headerBytesToText(field.value, this.declaredCharset);
    if (text.length > MAX_ADDRESS_FIELD_CHARS || text.length > this.remaining || countColons(text) > MAX_COLONS) return UNPARSED;
    this.remaining -= text.length;
    let entries: addressparser.ParsedAddress[];
    try {
      entries = addressparser(text);
    } catch {
      return UNPARSED;
    }
    const mailboxes: Mailbox[] = [];
    const namesWithoutAddress: string[] = [];
    collect(entries, mailboxes, namesWithoutAddress);
    return { parsed: true, mailboxes, namesWithoutAddress };
  }
}

function collect(entries: readonly addressparser.ParsedAddress[], mailboxes: Mailbox[], names: string[]): void {
  for (const entry of entries) {
    if ('group' in entry) {
      collect(entry.group, mailboxes, names);
      continue;
    }
    // Encoded words are decoded only after parsing: decoded first, a name could inject `<`, `,` or `@`.
    const displayName = sanitizeText(decodeEncodedWords(entry.name ?? ''));
    const address = sanitizeText(entry.address ?? '').toLowerCase();
    if (address) mailboxes.push({ address, displayName });
    else if (displayName) names.push(displayName);
  }
}

function countColons(text: string): number {
  let count = 0;
  for (let index = text.indexOf(':'); index >= 0; index = text.indexOf(':', index + 1)) count += 1;
  return count;
}

/**
 * Address-like tokens (`local@domain`, full-width `＠` too) in free text. The look-behind anchors a
 * match at the start of a run, which keeps the scan linear on long runs without any `@`.
 */
export const ADDRESS_LIKE = /(?<![^\s<>()[\]\\,;:"])[^\s<>()[\]\\,;:"@\uff20]+[@\uff20][^\s<>()[\]\\,;:"]+/gu;

/** Every address-like token in the text, lower-cased; the fallback for fields too odd to parse. */
export function findAddressLikeTokens(text: string): string[] {
  return Array.from(text.matchAll(ADDRESS_LIKE), (match) => match[0].toLowerCase());
}
