import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSecretGuard, decodedViews, percentDecode } from '../../../lambdas/mail/secrets';
import { decodeEncodedWords } from '../../../lambdas/mail/header-text';

/**
 * The secret guard, on its own: every way a real address can be written in outbound text is found
 * (case, width, brackets, Unicode and punycode domains, percent, quoted-printable, quoted pairs,
 * forms only NFKC folds), and its quick answers agree with the long way round.
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

describe('the secret guard finds an address however it is written', () => {
  const views = (text: string) => decodedViews(text);

  it('takes the secret in any case, with or without angle brackets', () => {
    for (const secret of ['Taro.Yamada@Example.COM', '<taro.yamada@example.com>', '  <TARO.YAMADA@EXAMPLE.COM>  ']) {
      const guard = createSecretGuard([secret], []);
      expect(guard.revealedIn(views('write to taro.yamada@example.com'))).toBe(true);
      expect(guard.scrub('write to TARO.yamada@EXAMPLE.com')).toBe('write to [address removed]');
    }
  });

  it('finds a Unicode domain written in Unicode or in punycode, and no other domain', () => {
    const guard = createSecretGuard(['hanako@例え.jp'], []);
    expect(guard.scrub('hanako@例え.jp まで')).toBe('[address removed] まで');
    expect(guard.revealedIn(views('hanako@xn--r8jz45g.jp'))).toBe(true);
    expect(guard.scrub('hanako@別の.jp まで')).toBe('hanako@別の.jp まで');
    expect(guard.revealedIn(views('hanako@別の.jp'))).toBe(false);
  });

  it('finds it in forms only NFKC folds (mathematical letters) and scrubs them too', () => {
    const guard = createSecretGuard(['taro@example.com'], []);
    const scrubbed = guard.scrub('from 𝐭𝐚𝐫𝐨@example.com today');
    expect(scrubbed.normalize('NFKC').toLowerCase()).not.toContain('taro@example.com');
    expect(scrubbed).toContain('[address removed]');
  });

  it.each([
    ['percent-encoded UTF-8 of its domain', 'hanako@%E4%BE%8B%E3%81%88.jp'],
    ['quoted-printable UTF-8 of its domain', 'hanako@=E4=BE=8B=E3=81=88.jp'],
    ['a quoted-printable soft line break with a bare LF', 'hana=\nko@例え.jp'],
    ['quoted pairs', 'hanako\\@例え.jp'],
    ['its @ percent-encoded', 'hanako%40例え.jp'],
  ])('finds it behind %s', (_label, written) => {
    expect(createSecretGuard(['hanako@例え.jp'], []).revealedIn(views(`x ${written} y`))).toBe(true);
  });

  it('names a secret domain and its subdomains as such, in any case and with blanks around, and nothing else', () => {
    const guard = createSecretGuard(['owner@Shop.Example'], []);
    expect(guard.isSecretDomain(' SHOP.example ')).toBe(true);
    expect(guard.isSecretDomain('mail.shop.example')).toBe(true);
    expect(guard.isSecretDomain('shop.example.net')).toBe(false);
    expect(guard.isSecretDomain('othershop.example')).toBe(false);
  });

  it('never treats the addresses the output is built on as secrets', () => {
    const guard = createSecretGuard(['c-abc@relay.example.jp', 'taro@example.com'], ['<C-ABC@relay.example.jp>']);
    expect(guard.scrub('to c-abc@relay.example.jp')).toBe('to c-abc@relay.example.jp');
    expect(guard.scrub('to taro@example.com')).toBe('to [address removed]');
  });
});
