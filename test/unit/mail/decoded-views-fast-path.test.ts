import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSecretGuard, decodedViews, percentDecode } from '../../../lambdas/mail/secrets';
import { decodeEncodedWords } from '../../../lambdas/mail/header-text';

/**
 * The quick answers of the secret guard agree with the long way round: views of a value nothing
 * decodes are the value alone, and a text the quick check finds no address in is left as it was
 * by the full scrub too.
 */

const SECRET = 'taro.yamada@example.com';
const pieces = ['taro', '.', 'yamada', '@', 'example', 'com', 'ＴＡＲＯ', '＠', 'Ｅｘａｍｐｌｅ', 'K', 'ſ', '\u0301', '=', '?', '%40', '=40', '\\', ' ', 'ω', 'é', 'e\u0301', '\0', 'x'];

describe('the secret guard, quick paths', () => {
  it('gives a value nothing decodes as its only view, as decoding every way would', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces.filter((p) => !/[=%\\\0]/.test(p))), { maxLength: 20 }).map((parts) => parts.join('')), (value) => {
        const views = decodedViews(value);
        expect(views.all).toEqual([value]);
        expect(views.encodedWordsDecoded).toBe(decodeEncodedWords(value));
        expect(percentDecode(value)).toBe(value);
      }),
    );
  });

  it('leaves unchanged only text in which no way of writing the address is found', () => {
    const guard = createSecretGuard([SECRET], []);
    const width = (character: string, mode: 'lower' | 'upper' | 'full'): string =>
      mode === 'lower' ? character : mode === 'upper' ? character.toUpperCase() : String.fromCodePoint((character.toUpperCase().codePointAt(0) ?? 0) + 0xfee0);
    const written = fc
      .array(fc.constantFrom('lower' as const, 'upper' as const, 'full' as const), { minLength: SECRET.length, maxLength: SECRET.length })
      .map((modes) => [...SECRET].map((character, i) => width(character, modes[i] ?? 'lower')).join(''));
    fc.assert(
      fc.property(fc.constantFrom('', 'x', 'あ', 'e\u0301', '<'), written, fc.constantFrom('', '\u0301', ' y', 'ω', '>'), (before, address, after) => {
        const scrubbed = guard.scrub(`${before}${address}${after}`);
        // Whatever the scrub leaves, the address cannot be read in it, in any case or width.
        expect(scrubbed.normalize('NFKD').toLowerCase()).not.toContain(SECRET);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 24 }).map((parts) => parts.join('')), (text) => {
        expect(guard.scrub(text).normalize('NFKC').toLowerCase()).not.toContain(SECRET);
      }),
    );
    expect(guard.scrub('ＴＡＲＯ.ＹＡＭＡＤＡ＠ＥＸＡＭＰＬＥ.ＣＯＭ')).toBe('[address removed]');
    expect(guard.scrub(`${SECRET}\u0301`)).not.toContain('example.co');
    expect(guard.scrub('no address here')).toBe('no address here');
  });
});
