import libmime from 'libmime';
import { describe, expect, it } from 'vitest';
import { ADDRESS_REMOVED, LOOP_HEADER, rewriteHeaders } from '../../../lambdas/mail';
import { MAX_TEXT_CHARS, MAX_TEXT_SOURCE_CHARS } from '../../../lambdas/mail/rewrite';
import { MAX_THREAD_IDS } from '../../../lambdas/mail/thread-fields';
import type { RewriteOptions } from '../../../lambdas/mail';

const SECRET = 'hanako@example.ne.jp';

const options: RewriteOptions = {
  fromAlias: 'm-7k2m9q4x0abc@relay.example.jp',
  toAlias: 'c-3f8h2k5n9pqr@relay.example.jp',
  fallbackDisplayName: 'さくら雑貨店',
  secrets: [SECRET],
  loopHeader: { name: LOOP_HEADER, value: 'relay.example.jp' },
  now: new Date('2024-06-01T03:04:05Z'),
};

/** The output's field of that name, unfolded and with its encoded words decoded. */
function decodedField(input: string, name: string): string | undefined {
  const output = rewriteHeaders(Buffer.from(input, 'latin1'), options).toString('latin1').replace(/\r\n(?=[ \t])/g, '');
  const line = output.split('\r\n').find((candidate) => candidate.startsWith(`${name}: `));
  return line === undefined ? undefined : libmime.decodeWords(line.slice(name.length + 2));
}

/** Every way the secret could show in part: any 8 characters of it in a row. */
function holdsPartOf(text: string, secret: string): boolean {
  const folded = text.normalize('NFKC').toLowerCase();
  for (let start = 0; start + 8 <= secret.length; start += 1) if (folded.includes(secret.slice(start, start + 8))) return true;
  return false;
}

describe('a Subject longer than MAX_TEXT_SOURCE_CHARS', () => {
  const word = '=?UTF-8?B?44GU5rOo5paH44Gu56K66KqN?=';

  it('is read from its first part only, still keeps MAX_TEXT_CHARS of text and marks the cut', () => {
    const subject = Array.from({ length: Math.ceil((MAX_TEXT_SOURCE_CHARS * 3) / word.length) }, () => word).join('\r\n ');

    const text = decodedField(`Subject: ${subject}\r\n`, 'Subject') ?? '';

    expect(text.startsWith('ご注文の確認ご注文の確認')).toBe(true);
    expect(text).toHaveLength(MAX_TEXT_CHARS + 1);
    expect(text.endsWith('…')).toBe(true);
  });

  it('leaves no part of an address the cut goes through, where the text before it decodes short', () => {
    // Encoded words of one character each and no whitespace: the cut falls inside the address,
    // and the text read before it is shorter than MAX_TEXT_CHARS, so nothing else would cut it off.
    const oneCharacterWord = '=?ISO-8859-1?Q?a?=';
    for (const offset of [-12, -8, -1, 0, 1, 5]) {
      const length = MAX_TEXT_SOURCE_CHARS + offset - 10;
      const filler = oneCharacterWord.repeat(Math.floor(length / oneCharacterWord.length)).padEnd(length, 'x');
      const subject = `${filler}${SECRET}${'y'.repeat(MAX_TEXT_SOURCE_CHARS)}`;

      const text = decodedField(`Subject: ${subject}\r\n`, 'Subject') ?? '';

      expect(text.length).toBeGreaterThan(1000);
      expect(text.length).toBeLessThan(MAX_TEXT_CHARS);
      expect(holdsPartOf(text, SECRET)).toBe(false);
    }
  });

  it('still removes an address from the part it reads', () => {
    const subject = `Order from ${SECRET} ${'ok '.repeat(MAX_TEXT_SOURCE_CHARS)}`;

    const text = decodedField(`Subject: ${subject}\r\n`, 'Subject') ?? '';

    expect(text.startsWith(`Order from ${ADDRESS_REMOVED} ok ok`)).toBe(true);
    expect(holdsPartOf(text, SECRET)).toBe(false);
  });
});

describe('References longer than MAX_THREAD_IDS', () => {
  it('keeps the thread’s first message ID and the latest ones, in order', () => {
    const ids = Array.from({ length: MAX_THREAD_IDS + 50 }, (_, i) => `<m${i}@shop.example.jp>`);

    const kept = decodedField(`References: ${ids.join('\r\n ')}\r\n`, 'References')?.split(' ');

    expect(kept).toEqual([ids[0], ...ids.slice(ids.length - (MAX_THREAD_IDS - 1))]);
  });

  it('keeps a list of MAX_THREAD_IDS whole', () => {
    const ids = Array.from({ length: MAX_THREAD_IDS }, (_, i) => `<m${i}@shop.example.jp>`);

    expect(decodedField(`References: ${ids.join(' ')}\r\n`, 'References')?.split(' ')).toEqual(ids);
  });
});
