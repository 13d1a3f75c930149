/**
 * Stands in for `joi` in the deployed bundles. The DKIM verifier of mailauth reaches joi for one
 * check only (`lib/tools.js`: `Joi.string().base64({ paddingRequired: false })` on a key record's
 * `p=` value), and joi with its @hapi dependencies is some 190 KB of the relay's bundle, loaded at
 * every cold start. This answers that one call as joi does, with joi's own pattern; any other use
 * fails loudly instead of passing quietly. The tests run mailauth with the real joi, and
 * `test/unit/relay/joi-base64.test.ts` holds this against it.
 */

/** joi's `base64Regex[paddingRequired: false][urlSafe: false]` (joi 18, lib/types/string.js). */
const UNPADDED_BASE64 = /^(?:[A-Za-z0-9+/]{2}[A-Za-z0-9+/]{2})*(?:[A-Za-z0-9+/]{2}(==)?|[A-Za-z0-9+/]{3}=?)?$/;

interface Validation {
  readonly value: unknown;
  readonly error?: Error;
}

function invalid(value: unknown, message: string): Validation {
  return { value, error: Object.assign(new Error(message), { name: 'ValidationError' }) };
}

/** `Joi.string()`, as far as `.base64({ paddingRequired: false }).validate(value)`. */
export function string(): { base64(options?: { paddingRequired?: boolean; urlSafe?: boolean }): { validate(value: unknown): Validation } } {
  return {
    base64(options = {}) {
      if (options.paddingRequired !== false || options.urlSafe === true) throw new Error('joi stand-in: only base64({ paddingRequired: false }) is provided');
      return {
        validate(value) {
          // A joi schema is optional unless required.
          if (value === undefined) return { value };
          if (typeof value !== 'string') return invalid(value, '"value" must be a string');
          if (value === '') return invalid(value, '"value" is not allowed to be empty');
          return UNPADDED_BASE64.test(value) ? { value } : invalid(value, '"value" must be a valid base64 string');
        },
      };
    },
  };
}

export default { string };
