import { domainToASCII, domainToUnicode } from 'node:url';
import { decodeEncodedWords } from './header-text';

/**
 * What a secret address becomes in kept text (display names, subject). A neutral token rather than
 * an alias: the secrets of one message belong to both parties (sender and recipient), and putting
 * the sender's alias where the recipient's address stood would misstate who is meant.
 */
export const ADDRESS_REMOVED = '[address removed]';

/** Finds the real addresses of a message in outbound text, whatever their case or encoding. */
export interface SecretGuard {
  /** Replaces every secret in decoded text (any case, full-width forms too) with `ADDRESS_REMOVED`. */
  scrub(text: string): string;
  /** True when any of the views (see `decodedViews`) holds a secret, compared after NFKC and lower-casing. */
  revealedIn(views: DecodedViews): boolean;
  /** True when a message ID's right-hand side is a secret's domain or a subdomain of one. */
  isSecretDomain(domain: string): boolean;
}

/**
 * Builds the guard for one message. `publicAddresses` (the aliases the output is built on) are never
 * treated as secrets, even when a caller lists them.
 */
export function createSecretGuard(secrets: readonly string[], publicAddresses: readonly string[]): SecretGuard {
  const published = new Set(publicAddresses.map(canonical));
  const needles = new Set<string>();
  for (const secret of secrets) {
    const base = canonical(secret);
    if (!base || published.has(base)) continue;
    for (const variant of domainVariants(base)) needles.add(variant);
  }
  const list = [...needles];
  // Compiled only for a message whose text holds a secret: most never need them.
  let patterns: RegExp[] | undefined;
  const domains = [...new Set(list.map(domainOf).filter((domain) => domain.includes('.')))];
  const decomposedNeedles = list.map(decomposed);

  const contains = (view: string): boolean => {
    const folded = view.normalize('NFKC').toLowerCase();
    return list.some((needle) => folded.includes(needle));
  };
  const replaceAll = (text: string): string => (patterns ??= list.map(secretPattern)).reduce((out, pattern) => out.replace(pattern, ADDRESS_REMOVED), text);

  return {
    scrub(text) {
      if (list.length === 0) return text;
      // Whatever a pattern matches decomposes (NFKD, lower case) to its needle's decomposition, and
      // decomposition never joins a character to its neighbours as composition can; text without
      // any needle so decomposed holds nothing to replace.
      const folded = decomposed(text);
      if (!decomposedNeedles.some((needle) => folded.includes(needle))) return text;
      const scrubbed = replaceAll(text);
      // Forms the pattern does not cover (e.g. mathematical letters) survive only as NFKC equivalents.
      return contains(scrubbed) ? replaceAll(scrubbed.normalize('NFKC')) : scrubbed;
    },
    revealedIn(views) {
      if (list.length === 0) return false;
      return views.all.some(contains);
    },
    isSecretDomain(domain) {
      const candidate = domain.trim().toLowerCase();
      return domains.some((secretDomain) => candidate === secretDomain || candidate.endsWith(`.${secretDomain}`));
    },
  };
}

/** Text as the scrub's quick check compares it: NFKD, lower case, every sigma one form. */
function decomposed(text: string): string {
  return text.normalize('NFKD').toLowerCase().replace(/ς/g, 'σ');
}

/** Address as compared: trimmed, without surrounding angle brackets, NFKC, lower-cased. */
function canonical(address: string): string {
  return address.trim().replace(/^<(.*)>$/, '$1').trim().normalize('NFKC').toLowerCase();
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1);
}

/** The address with its domain both as written, in punycode and in Unicode (IDNA, RFC 5891). */
function domainVariants(address: string): string[] {
  const at = address.lastIndexOf('@');
  if (at < 0) return [address];
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  const forms = new Set([domain, domainToASCII(domain), domainToUnicode(domain)].filter(Boolean));
  return [...forms].map((form) => `${local}@${form.toLowerCase()}`);
}

/**
 * A case-insensitive pattern for the secret in which each printable ASCII character also matches
 * its full-width form (U+FF01–U+FF5E), as Japanese text often writes addresses (`ｔａｒｏ＠…`).
 */
function secretPattern(secret: string): RegExp {
  let source = '';
  for (const character of secret) {
    const code = character.codePointAt(0) ?? 0;
    if (code >= 0x21 && code <= 0x7e) {
      source += `[${escapeForClass(character)}${String.fromCodePoint(code + 0xfee0)}]`;
    } else {
      // Outside printable ASCII no character has a meaning in a pattern.
      source += character;
    }
  }
  return new RegExp(source, 'giu');
}

function escapeForClass(character: string): string {
  return /[\\\]^-]/.test(character) ? `\\${character}` : character;
}

/** How many decodings deep the views go: an encoded word inside an encoded word inside a parameter. */
const DEPTH = 3;

/** An outbound value and what it reads as after the decodings a mail client or a person might apply. */
export interface DecodedViews {
  /** The value after RFC 2047 decoding: what a mail client displays. */
  readonly encodedWordsDecoded: string;
  /**
   * Every view: the value as written and every text reached from it by up to `DEPTH` decodings in
   * any order: RFC 2047, percent-decoding (RFC 2231, URLs), quoted-printable and quoted-pair
   * unescaping. Every order, not one fixed chain: one decoding can destroy what another reveals
   * (`?=%30…` percent-decodes to `?=0…`, which quoted-printable then reads as a control byte).
   */
  readonly all: readonly string[];
}

const DECODINGS: readonly ((text: string) => string)[] = [decodeEncodedWords, percentDecode, quotedPrintableDecode, unescapeQuotedPairs];

/**
 * Every character a decoding of {@link DECODINGS} acts on: `=` (RFC 2047, quoted-printable), `%`,
 * `\`, and NUL (libmime strips its joining marker, which holds one).
 */
const DECODABLE = /[=%\\\0]/;

export function decodedViews(value: string): DecodedViews {
  const unfolded = value.replace(/\r\n/g, '');
  // Nothing any decoding acts on: every view is the value itself.
  if (!DECODABLE.test(unfolded)) return { encodedWordsDecoded: unfolded, all: [unfolded] };
  const views = new Set<string>([unfolded]);
  let frontier = [unfolded];
  for (let depth = 0; depth < DEPTH && frontier.length > 0; depth += 1) {
    const next: string[] = [];
    for (const text of frontier) {
      for (const decode of DECODINGS) {
        const decoded = decode(text);
        if (views.has(decoded)) continue;
        views.add(decoded);
        next.push(decoded);
      }
    }
    frontier = next;
  }
  return { encodedWordsDecoded: decodeEncodedWords(unfolded), all: [...views] };
}

/** `%40` → `@`: percent-encoding (RFC 3986, RFC 2231 extended values), read as UTF-8. */
export function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9a-f]{2})+/gi, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/** `=40` → `@`: quoted-printable (RFC 2045 §6.7), soft line breaks removed, read as UTF-8. */
function quotedPrintableDecode(text: string): string {
  return text.replace(/=\r?\n/g, '').replace(/(?:=[0-9a-f]{2})+/gi, (run) => Buffer.from(run.replace(/=/g, ''), 'hex').toString('utf8'));
}

/** `\@` → `@`: RFC 5322 quoted-pairs as a reader of a quoted-string sees them. */
function unescapeQuotedPairs(text: string): string {
  return text.replace(/\\(.)/gsu, '$1');
}
