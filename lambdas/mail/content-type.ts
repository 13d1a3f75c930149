import libmime from 'libmime';
import type { HeaderIndex } from './header-fields';

/**
 * Longest Content-Type / Content-Disposition value parsed for parameters. Real ones stay well under
 * 1 KB; libmime's parameter parser builds a byte array per RFC 2231 value and takes seconds on a
 * multi-megabyte one, so larger values are treated as unreadable.
 */
const MAX_PARAMETERIZED_CHARS = 64 * 1024;

/** A parameterized MIME field value (RFC 2045 §5.1, RFC 2231), comments removed; undefined when oversized. */
export function parseParameterized(value: string): libmime.ParsedHeaderValue | undefined {
  return value.length > MAX_PARAMETERIZED_CHARS ? undefined : libmime.parseHeaderValue(value, { stripComments: true });
}

/** The parsed top-level Content-Type, the first one when it repeats. */
export function topLevelContentType(index: HeaderIndex): libmime.ParsedHeaderValue | undefined {
  const field = index.first('content-type');
  return field ? parseParameterized(field.value) : undefined;
}

/** Its charset parameter, used to read raw 8-bit header bytes. */
export function charsetOf(contentType: libmime.ParsedHeaderValue | undefined): string | undefined {
  const charset = contentType?.params.charset?.trim();
  return charset ? charset : undefined;
}
