import type { HeaderIndex } from './header-fields';
import { formatField, formatParameterizedField } from './header-encoding';
import { hasControlCharacters } from './header-text';
import type { AddressReader } from './mailboxes';
import { decodedViews, percentDecode } from './secrets';
import type { SecretGuard } from './secrets';

/** What building one outbound header block needs to know about its input. */
export interface RewriteContext {
  readonly index: HeaderIndex;
  /** Charset of the top-level Content-Type, for raw 8-bit header bytes. */
  readonly charset: string | undefined;
  readonly guard: SecretGuard;
  readonly reader: AddressReader;
}

/**
 * The field formatted for output, or undefined when it may not go out: not 7-bit, a line over 998
 * octets, a secret in any decoding the guard knows, or a control character once a reader decodes
 * its encoded words. With `checkParameters` (a MIME field with parameters), it is folded only
 * between parameters, never inside a quoted value, and its RFC 2231 percent-escapes are checked too.
 */
export function checkedField(context: RewriteContext, name: string, value: string, checkParameters = false): string | undefined {
  const field = checkParameters ? formatParameterizedField(name, value) : formatField(name, value);
  if (field === undefined) return undefined;
  const unfolded = field.replace(/\r\n/g, '');
  const views = decodedViews(unfolded);
  if (context.guard.revealedIn(views)) return undefined;
  if (hasControlCharacters(views.encodedWordsDecoded)) return undefined;
  if (checkParameters && hasControlCharacters(percentDecode(unfolded))) return undefined;
  return field;
}
