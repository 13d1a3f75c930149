import fc from 'fast-check';
import Joi from 'joi';
import { describe, expect, it } from 'vitest';
import { string } from '../../../lambdas/relay/aws/joi-base64';

/**
 * The stand-in for joi in the deployed bundles answers mailauth's one question (is a DKIM key's
 * `p=` value base64, padding optional?) exactly as joi does.
 */

const real = Joi.string().base64({ paddingRequired: false });
const standIn = string().base64({ paddingRequired: false });
const verdict = (validation: { error?: unknown }): boolean => validation.error === undefined;

const BASE64_CHARACTERS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ .\r\n\t'];

describe('the joi stand-in of the bundles', () => {
  it('agrees with joi on strings made of base64 characters, padding, URL-safe characters and blanks', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...BASE64_CHARACTERS), { maxLength: 40 }).map((characters) => characters.join('')), (value) => {
        expect(verdict(standIn.validate(value))).toBe(verdict(real.validate(value)));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with joi on real key values, on any string, and on what is no string at all', () => {
    const key = 'MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB';
    for (const value of [key, key.slice(0, -1), `${key}=`, `${key}==`, '', 'a', 'ab', 'abc', 'abc=', 'ab==', 'ab=', 'a===', 'ab c', 12, null, undefined, {}]) {
      expect(verdict(standIn.validate(value))).toBe(verdict(real.validate(value)));
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (value) => {
        expect(verdict(standIn.validate(value))).toBe(verdict(real.validate(value)));
      }),
    );
  });

  it('refuses any other use of joi, rather than answering it wrongly', () => {
    expect(() => string().base64()).toThrow(/only base64\(\{ paddingRequired: false \}\)/);
    expect(() => string().base64({ paddingRequired: false, urlSafe: true })).toThrow();
  });
});
