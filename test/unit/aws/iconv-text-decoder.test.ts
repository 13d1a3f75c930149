import fc from 'fast-check';
import iconv from 'iconv-lite';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { corpusPaths, readCorpusMessage } from '../../../devkit/corpus';
import * as standIn from '../../../lambdas/aws/iconv-text-decoder';
import type * as mail from '../../../lambdas/mail';
import type * as headerText from '../../../lambdas/mail/header-text';

/**
 * The stand-in for iconv-lite in the deployed bundles decodes what iconv-lite decodes, as libmime
 * asks for it: whole, and a chunk at a time.
 */

/** Charsets under the names mail gives them, with the places the two are known to differ left out (the module's comment lists them). */
const CHARSETS: readonly { readonly name: string; readonly leads?: readonly (readonly [number, number])[]; readonly wide?: boolean }[] = [
  { name: 'Shift_JIS', leads: [[0x81, 0xfc]] },
  { name: 'CP932', leads: [[0x81, 0xfc]] },
  { name: 'EUC-JP', leads: [[0x8e, 0xfe]] },
  { name: 'GBK', leads: [[0x81, 0xfe]] },
  { name: 'GB2312', leads: [[0xa1, 0xf7]] },
  { name: 'GB18030', leads: [[0x81, 0xfe]] },
  { name: 'Big5', leads: [[0xa1, 0xa2], [0xa4, 0xc5], [0xc9, 0xf8]] },
  { name: 'EUC-KR', leads: [[0x81, 0xfe]] },
  { name: 'ks_c_5601-1987', leads: [[0x81, 0xfe]] },
  { name: 'CP949', leads: [[0x81, 0xfe]] },
  ...['KOI8-R', 'KOI8-U', 'IBM866', 'TIS-620', 'windows-874', 'latin1', 'cp1251'].map((name) => ({ name })),
  ...[1250, 1251, 1252, 1253, 1254, 1256, 1257, 1258].map((code) => ({ name: `windows-${code}` })),
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15].map((part) => ({ name: `ISO-8859-${part}` })),
  ...['UTF-8', 'UTF-16LE', 'UTF-16BE', 'UTF-16', 'UTF-32', 'UTF-32LE', 'UTF-32BE'].map((name) => ({ name, wide: true })),
];

const isPrivateUse = (text: string): boolean => /[\ue000-\uf8ff]/u.test(text);

/** Every character iconv-lite writes in one or two bytes of the charset and reads back the same. */
function repertoire(name: string, leads?: readonly (readonly [number, number])[]): string[] {
  const characters: string[] = [];
  const take = (bytes: number[]): void => {
    const buffer = Buffer.from(bytes);
    const text = iconv.decode(buffer, name);
    if ([...text].length !== 1 || text === '\uFFFD' || isPrivateUse(text)) return;
    if (!Buffer.from(iconv.encode(text, name)).equals(buffer)) return;
    if (standIn.decode(buffer, name) !== text && isPrivateUse(standIn.decode(buffer, name))) return;
    characters.push(text);
  };
  for (let byte = 0x20; byte < (leads ? 0x7f : 0x100); byte += 1) if (byte < 0x7f || byte > 0x9f) take([byte]);
  for (const [first, last] of leads ?? []) for (let lead = first; lead <= last; lead += 1) for (let trail = 0x40; trail <= 0xfe; trail += 1) take([lead, trail]);
  return characters;
}

/** Code points from ASCII to the astral planes, for the Unicode encodings. */
const UNICODE_TEXT = fc.string({ unit: fc.oneof(fc.constantFrom('a', ' ', '\r\n'), fc.integer({ min: 0x20, max: 0x10ffff }).filter((point) => point < 0xd800 || point > 0xdfff).map((point) => String.fromCodePoint(point))), maxLength: 30 });

/** Bytes cut into chunks at the given places, as a stream hands them over. */
function inChunks(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const places = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  return [...places, bytes.length].map((end, index) => bytes.subarray(index ? places[index - 1] : 0, end));
}

describe('the iconv-lite stand-in of the bundles', () => {
  it.each(CHARSETS)('decodes $name text as iconv-lite does, whole and a chunk at a time', ({ name, leads, wide }) => {
    const pool = wide ? undefined : repertoire(name, leads);
    const text = pool ? fc.array(fc.constantFrom(...pool), { maxLength: 30 }).map((characters) => characters.join('')) : UNICODE_TEXT;
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 4 }), (written, cuts) => {
        const bytes = Buffer.from(iconv.encode(written, name));
        const expected = iconv.decode(bytes, name);
        expect(standIn.decode(bytes, name)).toBe(expected);
        const decoder = standIn.getDecoder(name);
        expect(inChunks(bytes, cuts).map((chunk) => decoder.write(chunk)).join('') + (decoder.end() ?? '')).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('reads every Hangul syllable of Windows-949, the 8,822 EUC-KR lacks among them', () => {
    for (let point = 0xac00; point <= 0xd7a3; point += 1) {
      const syllable = String.fromCharCode(point);
      expect(standIn.decode(iconv.encode(syllable, 'cp949'), 'EUC-KR')).toBe(syllable);
    }
  });

  it('reads UTF-16 and UTF-32 without a byte order in the name from a BOM, else from where the zero bytes fall', () => {
    for (const name of ['UTF-16', 'UTF-32']) {
      for (const order of ['LE', 'BE']) {
        const bytes = Buffer.from(iconv.encode('Hello, 世界', `${name}${order}`));
        expect(standIn.decode(bytes, name)).toBe(iconv.decode(bytes, name));
        const marked = Buffer.from(iconv.encode('Hello', `${name}${order}`, { addBOM: true }));
        expect(standIn.decode(marked, name)).toBe('Hello');
      }
    }
  });

  it('answers libmime’s questions about codecs as iconv-lite does: one codec per encoding, UTF-7, base64 and hex by their own, unknown names refused', () => {
    expect(standIn.getCodec('Shift_JIS')).toBe(standIn.getCodec('sjis'));
    expect(standIn.getCodec('windows-31j')).toBe(standIn.getCodec('CP932'));
    expect(standIn.getCodec('EUC-KR')).toBe(standIn.getCodec('ks_c_5601-1987'));
    expect(standIn.getCodec('unicode-1-1-utf-7')).toBe(standIn.getCodec('UTF-7'));
    const refused = ['utf7', 'utf7imap', 'base64', 'hex'].map((name) => standIn.getCodec(name));
    expect(new Set(refused).size).toBe(4);
    expect(refused).not.toContain(standIn.getCodec('utf-8'));
    expect(() => standIn.decode(Buffer.from('+ADw-'), 'utf-7')).toThrow(/not decoded/);
    for (const name of ['x-unknown', 'cp437', 'macgreek', 'ISO-8859-16', '__proto__', 'constructor']) {
      expect(standIn.encodingExists(name)).toBe(false);
      expect(() => standIn.getCodec(name)).toThrow(`Encoding not recognized: '${name}'`);
    }
    expect(['utf-8', 'ISO-2022-JP', 'EUC-JP', 'Big5', 'gb18030', 'binary', 'utf-32'].every((name) => standIn.encodingExists(name))).toBe(true);
    expect(() => standIn.encode()).toThrow(/not provided/);
  });

  it('reads a string as one byte per character, and strips a leading BOM unless told not to', () => {
    expect(standIn.decode('\x82\xa0', 'Shift_JIS')).toBe(iconv.decode('\x82\xa0' as unknown as Buffer, 'Shift_JIS'));
    expect(standIn.decode(Buffer.from('\uFEFFあ'), 'utf-8')).toBe('あ');
    expect(standIn.decode(Buffer.from([0xe3, 0x81, 0x82]), 'binary')).toBe('\u00e3\u0081\u0082');
  });

  it('leaves what the mail code reads from every corpus message, and from headers in each charset, as it was when bundled in its place', async () => {
    const [withIconv, withStandIn] = await Promise.all([bundleMailCode({}), bundleMailCode({ 'iconv-lite': STAND_IN })]);
    expect(withStandIn.source).toContain('iconv-lite stand-in');
    expect(withIconv.source).not.toContain('iconv-lite stand-in');
    const facts = (mail: MailCode): string[] => corpusPaths().map((path) => JSON.stringify(mail.module.inspectHeaders(mail.module.splitMessage(readCorpusMessage(path)).header)));
    expect(facts(withStandIn)).toEqual(facts(withIconv));
    const samples = CHARSETS.filter(({ wide }) => !wide).flatMap(({ name, leads }) => {
      const pool = repertoire(name, leads);
      return [0, 1, 2].map((offset) => `=?${name}?B?${Buffer.from(iconv.encode(pool.filter((_, index) => index % 97 === offset).join(''), name)).toString('base64')}?=`);
    });
    expect(samples.map((sample) => withStandIn.module.decodeEncodedWords(sample))).toEqual(samples.map((sample) => withIconv.module.decodeEncodedWords(sample)));
  });
});

const STAND_IN = fileURLToPath(new URL('../../../lambdas/aws/iconv-text-decoder.ts', import.meta.url));
const MAIL = fileURLToPath(new URL('../../../lambdas/mail/index.ts', import.meta.url));

interface MailCode {
  readonly source: string;
  readonly module: typeof mail & typeof headerText;
}

/** The mail code bundled as the functions are (libmime and all), with the given modules replaced. */
async function bundleMailCode(alias: Record<string, string>): Promise<MailCode> {
  const result = await build({
    stdin: { contents: `export * from ${JSON.stringify(MAIL)}; export { decodeEncodedWords } from ${JSON.stringify(MAIL.replace('index.ts', 'header-text.ts'))};`, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    alias,
    outfile: 'index.mjs',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  const source = result.outputFiles[0]?.text ?? '';
  const file = join(mkdtempSync(join(tmpdir(), 'anshin-mail-bundle-')), 'index.mjs');
  writeFileSync(file, source);
  try {
    return { source, module: (await import(/* @vite-ignore */ pathToFileURL(file).href)) as MailCode['module'] };
  } finally {
    rmSync(dirname(file), { recursive: true, force: true });
  }
}
