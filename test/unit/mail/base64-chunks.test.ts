import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Chunks, base64Length, BASE64_CHUNK_INPUT_BYTES } from '../../../lambdas/mail/base64-chunks';
import { japaneseBytes } from './japanese-bytes';

const joined = (parts: readonly Uint8Array[], chunkBytes?: number) => [...base64Chunks(parts, chunkBytes)].join('');
const reference = (parts: readonly Uint8Array[]) => Buffer.concat(parts).toString('base64');

describe('base64Chunks', () => {
  it('encodes parts of every length modulo 3 as their concatenation would be', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 6 }).map((n) => n * 3),
        (parts, chunkBytes) => {
          expect(joined(parts, chunkBytes)).toBe(reference(parts));
        },
      ),
    );
  });

  it('keeps Japanese text in every legacy encoding byte for byte across chunk and part boundaries', () => {
    const text = 'ご注文ありがとうございます。発送は明日です。'.repeat(4000);
    const parts = [Buffer.from(`Subject: x\r\n\r\n${text}`, 'utf8'), japaneseBytes(text, 'SJIS'), japaneseBytes(text, 'EUCJP'), japaneseBytes(text, 'JIS')];

    const encoded = joined(parts);

    expect(encoded).toBe(reference(parts));
    expect(Buffer.from(encoded, 'base64').equals(Buffer.concat(parts))).toBe(true);
  });

  it('yields chunks of at most the chunk size, all but the last without padding', () => {
    const message = Buffer.alloc(BASE64_CHUNK_INPUT_BYTES * 2 + 1, 0xe3);

    const chunks = [...base64Chunks([message])];

    expect(chunks.map((chunk) => chunk.length)).toEqual([base64Length(BASE64_CHUNK_INPUT_BYTES), base64Length(BASE64_CHUNK_INPUT_BYTES), 4]);
    expect(chunks.slice(0, -1).every((chunk) => !chunk.includes('='))).toBe(true);
  });

  it('encodes views into a larger buffer from their own offset', () => {
    const backing = Buffer.from('xxHello, 世界yy', 'utf8');
    const view = backing.subarray(2, backing.length - 2);

    expect(joined([view])).toBe(view.toString('base64'));
  });

  it('gives nothing for no bytes and refuses a chunk size that would pad inside the text', () => {
    expect([...base64Chunks([])]).toEqual([]);
    expect([...base64Chunks([Buffer.alloc(0), Buffer.alloc(0)])]).toEqual([]);
    expect(() => [...base64Chunks([Buffer.alloc(5)], 4)]).toThrow(RangeError);
  });

  it('computes the length of the text without encoding', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(base64Length)).toEqual([0, 4, 4, 4, 8, 8, 8]);
  });
});
