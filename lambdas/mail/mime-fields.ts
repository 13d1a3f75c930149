import libmime from 'libmime';
import { parseParameterized } from './content-type';
import { decodeEncodedWords, hasControlCharacters, headerBytesToText, isPrintableAscii, sanitizeText, UNREADABLE } from './header-text';
import { checkedField } from './outbound-field';
import type { RewriteContext } from './outbound-field';
import { decodedViews } from './secrets';

/** RFC 2045 §5.1 token, for MIME types, dispositions and parameter names. */
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
export const MIME_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);
export const DISPOSITION_TYPE = new RegExp(`^${TOKEN}$`);
const PARAMETER_NAME = new RegExp(`^${TOKEN}$`);

/** MIME-Version as received when it is clean, otherwise `1.0` (RFC 2045 §4 knows no other). */
export function mimeVersionField(context: RewriteContext): string | undefined {
  const field = context.index.first('mime-version');
  if (!field) return undefined;
  return (isPrintableAscii(field.value) ? checkedField(context, 'MIME-Version', field.value) : undefined) ?? checkedField(context, 'MIME-Version', '1.0');
}

/** A Content-* field (Transfer-Encoding, ID, Language) kept as received when it is clean 7-bit text, dropped otherwise. */
export function plainContentField(context: RewriteContext, name: string): string | undefined {
  const field = context.index.first(name);
  if (!field || !isPrintableAscii(field.value)) return undefined;
  return checkedField(context, name, field.value, true);
}

/** RFC 2045 §6.1 mechanism: a token, compared case-insensitively. */
const MECHANISM = /^[ \t]*([A-Za-z0-9][A-Za-z0-9-]{0,63})(?=[ \t(]|$)/;

/**
 * Content-Transfer-Encoding says how to read the untouched body, so it is never simply dropped:
 * kept as received when clean, else its mechanism alone (`base64`), without the comment or
 * anything else that made it unclean.
 */
export function transferEncodingField(context: RewriteContext): string | undefined {
  const kept = plainContentField(context, 'Content-Transfer-Encoding');
  if (kept) return kept;
  const mechanism = MECHANISM.exec(context.index.first('content-transfer-encoding')?.value ?? '')?.[1];
  return mechanism ? checkedField(context, 'Content-Transfer-Encoding', mechanism.toLowerCase()) : undefined;
}

/**
 * Content-Type / Content-Disposition describe the untouched body, so the received value is kept
 * as it is whenever it is clean. Whether it is clean is judged on its parameters as a mail client
 * reads them: RFC 2231 continuations joined in order (`name*0`, `name*1`, … however they are
 * listed), each decoded in its own charset (Shift_JIS or ISO-2022-JP percent-escapes, full-width
 * forms), RFC 2047 words in quoted values decoded; a secret split across continuations is a secret.
 *
 * Otherwise (8-bit bytes, a control character in a decoded parameter, a secret in a file name, an
 * unfoldable line) the value is rebuilt from its parsed parameters: each decoded, sanitized,
 * scrubbed and re-encoded per RFC 2231, the boundary exactly as it was. A parameter that cannot be
 * made clean is left out, never the field (without it the attachment or the parts are lost); only
 * when even that fails (a boundary naming a secret, no readable type), or the value is over
 * `MAX_PARAMETERIZED_CHARS`, is the field dropped.
 */
export function parameterizedField(context: RewriteContext, name: 'Content-Type' | 'Content-Disposition', type: RegExp): string | undefined {
  const field = context.index.first(name);
  const parsed = field ? parseParameterized(field.value) : undefined;
  if (!field || !parsed) return undefined;
  const kept = isPrintableAscii(field.value) && parametersClean(context, parsed) ? checkedField(context, name, field.value, true) : undefined;
  if (kept) return kept;
  const rebuilt = rebuildParameterized(context, field.value, type);
  return rebuilt === undefined ? undefined : checkedField(context, name, rebuilt, true);
}

/** No parameter, decoded as a reader decodes it, holds a control character or a secret. */
function parametersClean(context: RewriteContext, parsed: libmime.ParsedHeaderValue): boolean {
  return Object.entries(parsed.params).every(([key, param]) => parameterClean(context, decodedParameter(parsed, key, param)));
}

function parameterClean(context: RewriteContext, decoded: string): boolean {
  return !hasControlCharacters(decoded) && !context.guard.revealedIn(decodedViews(decoded));
}

/** RFC 2231 values come out of libmime decoded already; RFC 2047 words in quoted values (common, if non-standard) do not. */
function decodedParameter(parsed: libmime.ParsedHeaderValue, key: string, param: string): string {
  return parsed.decodedParams.includes(key) ? param : decodeEncodedWords(param);
}

function rebuildParameterized(context: RewriteContext, binary: string, type: RegExp): string | undefined {
  const parsed = parseParameterized(headerBytesToText(binary, context.charset));
  if (!parsed) return undefined;
  const value = parsed.value.trim();
  if (!type.test(value)) return undefined;
  const params: Record<string, string> = {};
  for (const [key, param] of Object.entries(parsed.params)) {
    if (!PARAMETER_NAME.test(key)) continue;
    if (key === 'boundary') {
      // The body's delimiter lines must match the boundary byte for byte (RFC 2046 §5.1.1).
      if (!isPrintableAscii(param) || param.includes('\t')) return undefined;
      params[key] = param;
      continue;
    }
    const cleaned = sanitizeText(context.guard.scrub(sanitizeText(decodedParameter(parsed, key, param))));
    if (!cleaned.includes(UNREADABLE) && parameterClean(context, cleaned)) params[key] = cleaned;
  }
  const rebuilt = libmime.buildHeaderValue({ value, params });
  // What libmime wrote (continuations, percent-escapes) is read back as a client would read it.
  const reread = parseParameterized(rebuilt);
  return reread && parametersClean(context, reread) ? rebuilt : undefined;
}
