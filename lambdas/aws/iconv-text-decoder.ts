/**
 * Stands in for `iconv-lite` in the deployed bundles. libmime decodes legacy charsets through
 * iconv-lite, whose code tables (Shift_JIS, EUC-JP, GBK, Big5, Korean; some 490 KB) were over a
 * quarter of the relay's bundle, parsed at every cold start. The platform already decodes all of
 * them: Node's `TextDecoder` (full ICU, as Lambda's Node runtimes are built) implements the WHATWG
 * Encoding Standard, which covers the charsets mail is written in today (the Japanese ones
 * included), all but Korean UHC, added here. This gives libmime the part of iconv-lite's interface it uses (`getCodec`,
 * `encodingExists`, `getDecoder`, `decode`) on top of it, resolving iconv-lite's names; UTF-32 and
 * iconv-lite's byte-per-character `binary` are decoded here, as WHATWG has neither. DOS and old
 * Macintosh code pages outside the standard (cp437, cp850, macgreek, …), and ISO-8859-16, which
 * Node's ICU lacks, are unknown here, so libmime reads them as UTF-8, as it reads any charset it
 * does not know. Where the two disagree on a charset both have, it is on rare characters, where
 * ICU's tables are older or narrower: Big5's Hong Kong (HKSCS) and Eten additions (kana and
 * Cyrillic at 0xC6A1-0xC8FE, control pictures and the euro at 0xA3C0-0xA3E1, the last of the box
 * drawing at 0xF9FE), a few GBK places one
 * maps to the Private Use Area and the other to CJK Extension A, Windows-1255's 0xCA, the control
 * bytes 0x1A, 0x1C and 0x7F of Shift_JIS, and the euro sign of Mac OS Roman and Cyrillic, which the
 * standard has where iconv-lite has ¤. Encoding (`encode`)
 * fails loudly: libmime only ever encodes UTF-8, which it does with Buffer. The tests run
 * libmime with the real iconv-lite, and `test/unit/aws/iconv-text-decoder.test.ts` holds this
 * against it.
 */

/** A codec as libmime sees one: compared by identity, one object per encoding. */
interface Codec {
  readonly name: string;
  readonly decoder: DecoderFactory;
}

interface ChunkDecoder {
  write(chunk: Uint8Array): string;
  end(): string | undefined;
}

type DecoderFactory = new (options: unknown, codec: Codec) => ChunkDecoder;

/** iconv-lite's canonical form of a name: lower case, letters and digits only, a `:yyyy` suffix dropped. */
function canonical(name: unknown): string {
  return String(name)
    .toLowerCase()
    .replace(/:\d{4}$|[^0-9a-z]/g, '');
}

/** iconv-lite's names (canonical) for what the Encoding Standard names otherwise. */
const WHATWG_NAMES: ReadonlyMap<string, string> = new Map(Object.entries({
  utf8: 'utf-8',
  unicode11utf8: 'utf-8',
  cesu8: 'utf-8',
  ucs2: 'utf-16le',
  utf16le: 'utf-16le',
  utf16be: 'utf-16be',
  shiftjis: 'shift_jis',
  sjis: 'shift_jis',
  cp932: 'shift_jis',
  windows31j: 'shift_jis',
  mskanji: 'shift_jis',
  csshiftjis: 'shift_jis',
  xsjis: 'shift_jis',
  eucjp: 'euc-jp',
  xeucjp: 'euc-jp',
  iso2022jp: 'iso-2022-jp',
  gbk: 'gbk',
  cp936: 'gbk',
  gb2312: 'gbk',
  xgbk: 'gbk',
  csgb2312: 'gbk',
  chinese: 'gbk',
  euccn: 'gbk',
  gb18030: 'gb18030',
  big5: 'big5',
  big5hkscs: 'big5',
  cp950: 'big5',
  csbig5: 'big5',
  xxbig5: 'big5',
  cp866: 'ibm866',
  ibm866: 'ibm866',
  koi8r: 'koi8-r',
  koi8u: 'koi8-u',
  koi8ru: 'koi8-u',
  macintosh: 'macintosh',
  macroman: 'macintosh',
  mac: 'macintosh',
  maccyrillic: 'x-mac-cyrillic',
  macukraine: 'x-mac-cyrillic',
  tis620: 'windows-874',
  cp874: 'windows-874',
  windows874: 'windows-874',
  iso885911: 'windows-874',
}));

/** UTF-16 without a byte order in its name: read from a BOM, else guessed, as iconv-lite does. */
const UTF16 = 'utf-16';
const UTF32_NAMES: ReadonlyMap<string, string> = new Map(Object.entries({ utf32: 'utf-32', ucs4: 'utf-32', utf32le: 'utf-32le', ucs4le: 'utf-32le', utf32be: 'utf-32be', ucs4be: 'utf-32be' }));
/**
 * Korean mail is written in Windows-949 (UHC), and Node's `euc-kr` decoder reads only EUC-KR's
 * 2,350 syllables: it drops the lead byte of the 8,822 syllables UHC adds.
 */
const KOREAN_NAMES = new Set(['euckr', 'cp949', 'windows949', 'uhc', 'ksc56011987', 'ksc5601', 'csksc56011987', 'korean']);
const KOREAN = 'windows-949';
/** One byte per character, U+0000-U+00FF: iconv-lite's `binary` (and so its `latin1`). */
const BINARY = 'binary';
/** Not character sets a message could be written in; libmime asks for them only to refuse them. */
const REFUSED = new Set(['utf7', 'utf7imap', 'base64', 'hex']);
const REFUSED_ALIASES: ReadonlyMap<string, string> = new Map([['unicode11utf7', 'utf7']]);

/** The Encoding Standard's name for iconv-lite's, or undefined when it has none. */
function whatwgName(key: string): string | undefined {
  const named = WHATWG_NAMES.get(key);
  if (named) return named;
  const windows = /^(?:windows|cp|win)(125[0-8])$/.exec(key);
  if (windows) return `windows-${windows[1]}`;
  const iso = /^(?:iso8859|latin)(\d{1,2})$/.exec(key);
  if (!iso) return undefined;
  // iconv-lite's latin1 and iso88591 are one byte per character; the standard's are Windows-1252.
  if (key === 'latin1' || key === 'iso88591') return undefined;
  return supported(`iso-8859-${iso[1]}`);
}

function supported(label: string): string | undefined {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return undefined;
  }
}

/** Bytes as given: a string is read as one byte per character, as iconv-lite reads it. */
function bytesOf(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
}

class PlatformDecoder implements ChunkDecoder {
  private readonly decoder: InstanceType<typeof TextDecoder>;
  constructor(label: string) {
    this.decoder = new TextDecoder(label);
  }
  write(chunk: Uint8Array): string {
    return this.decoder.decode(chunk, { stream: true });
  }
  end(): string | undefined {
    return this.decoder.decode() || undefined;
  }
}

function platformFactory(label: string): DecoderFactory {
  return class extends PlatformDecoder {
    constructor() {
      super(label);
    }
  };
}

/** Bytes held back until `size` are in, then decoded by the decoder `choose` picks for them. */
function guessingFactory(size: number, choose: (head: Uint8Array) => ChunkDecoder): DecoderFactory {
  return class {
    private head: Uint8Array[] | undefined = [];
    private length = 0;
    private decoder: ChunkDecoder | undefined;
    write(chunk: Uint8Array): string {
      if (this.decoder) return this.decoder.write(chunk);
      this.head?.push(Uint8Array.from(chunk));
      this.length += chunk.length;
      return this.length < size ? '' : this.release();
    }
    end(): string | undefined {
      const text = this.decoder ? '' : this.release();
      const rest = this.decoder?.end() ?? '';
      return text + rest || undefined;
    }
    private release(): string {
      const head = Buffer.concat(this.head ?? []);
      this.head = undefined;
      this.decoder = choose(head);
      return this.decoder.write(head);
    }
  };
}

/**
 * Byte order of UTF-16 or UTF-32 text without one in its charset name: a BOM, else the side the
 * zero bytes of ASCII characters fall on (iconv-lite's guess), else little-endian.
 */
function littleEndian(head: Uint8Array, unit: 2 | 4): boolean {
  if (unit === 2 && head[0] === 0xfe && head[1] === 0xff) return false;
  if (unit === 2 && head[0] === 0xff && head[1] === 0xfe) return true;
  if (unit === 4 && head[0] === 0 && head[1] === 0 && head[2] === 0xfe && head[3] === 0xff) return false;
  if (unit === 4 && head[0] === 0xff && head[1] === 0xfe && head[2] === 0 && head[3] === 0) return true;
  let zeroFirst = 0;
  let zeroLast = 0;
  for (let index = 0; index + unit <= head.length; index += unit) {
    if (head[index] === 0 && head[index + unit - 1] !== 0) zeroFirst += 1;
    if (head[index] !== 0 && head[index + unit - 1] === 0) zeroLast += 1;
  }
  return !(zeroFirst > zeroLast);
}

/** UTF-32 (no WHATWG decoder has it): code points out of range come out as U+FFFD. */
class Utf32Decoder implements ChunkDecoder {
  private pending = new Uint8Array(0);
  constructor(private readonly little: boolean) {}
  write(chunk: Uint8Array): string {
    const bytes = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const whole = bytes.length - (bytes.length % 4);
    this.pending = Uint8Array.from(bytes.subarray(whole));
    const view = new DataView(bytes.buffer, bytes.byteOffset, whole);
    let text = '';
    for (let offset = 0; offset < whole; offset += 4) {
      const point = view.getUint32(offset, this.little);
      text += point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff) ? '\uFFFD' : String.fromCodePoint(point);
    }
    return text;
  }
  end(): string | undefined {
    const left = this.pending.length;
    this.pending = new Uint8Array(0);
    return left ? '\uFFFD' : undefined;
  }
}

/**
 * UHC's added syllables, by their place in its code space: every Hangul syllable EUC-KR lacks, in
 * Unicode order, written from lead byte 0x81 on (trail bytes A-Z, a-z, then 0x81-0xFE, only to
 * 0xA0 from lead 0xA1 on, where EUC-KR's own code space begins). Derived from the EUC-KR decoder
 * rather than carried as a table.
 */
let uhcAdded: Map<number, string> | undefined;
function uhcAddedSyllables(): Map<number, string> {
  if (uhcAdded) return uhcAdded;
  const eucKr = new TextDecoder('euc-kr');
  const inEucKr = new Set<string>();
  for (let lead = 0xb0; lead <= 0xc8; lead += 1) {
    for (let trail = 0xa1; trail <= 0xfe; trail += 1) inEucKr.add(eucKr.decode(Uint8Array.of(lead, trail)));
  }
  const added: string[] = [];
  for (let point = 0xac00; point <= 0xd7a3; point += 1) {
    const syllable = String.fromCharCode(point);
    if (!inEucKr.has(syllable)) added.push(syllable);
  }
  uhcAdded = new Map();
  let next = 0;
  for (let lead = 0x81; lead <= 0xc6 && next < added.length; lead += 1) {
    for (let trail = 0x41; trail <= (lead < 0xa1 ? 0xfe : 0xa0) && next < added.length; trail += 1) {
      if (isUhcTrail(trail)) uhcAdded.set((lead << 8) | trail, added[next++] ?? '\uFFFD');
    }
  }
  return uhcAdded;
}

function isUhcTrail(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte >= 0x81;
}

/** Symbols Windows-949 gave EUC-KR's unused places later (the euro sign among them). */
const WINDOWS_949_LATER = new Map([
  [0xa2e6, '\u20ac'],
  [0xa2e7, '\u00ae'],
]);

/** Windows-949: EUC-KR's pairs through Node's decoder, UHC's added syllables by {@link uhcAddedSyllables}. */
class KoreanDecoder implements ChunkDecoder {
  private readonly eucKr = new TextDecoder('euc-kr');
  private lead = 0;
  write(chunk: Uint8Array): string {
    let text = '';
    for (const byte of chunk) {
      if (this.lead) {
        text += this.pair(this.lead, byte);
        this.lead = 0;
      } else if (byte < 0x80) {
        text += String.fromCharCode(byte);
      } else if (byte >= 0x81 && byte <= 0xfe) {
        this.lead = byte;
      } else {
        text += '\uFFFD';
      }
    }
    return text;
  }
  end(): string | undefined {
    const unfinished = this.lead !== 0;
    this.lead = 0;
    return unfinished ? '\uFFFD' : undefined;
  }
  private pair(lead: number, trail: number): string {
    const later = WINDOWS_949_LATER.get((lead << 8) | trail);
    if (later) return later;
    if (lead >= 0xa1 && trail >= 0xa1 && trail <= 0xfe) {
      const text = this.eucKr.decode(Uint8Array.of(lead, trail));
      return text.length === 1 ? text : '\uFFFD';
    }
    const added = uhcAddedSyllables().get((lead << 8) | trail);
    if (added) return added;
    // An ASCII byte after a lead byte is a character of its own (WHATWG's rule).
    return trail < 0x80 ? `\uFFFD${String.fromCharCode(trail)}` : '\uFFFD';
  }
}

class BinaryDecoder implements ChunkDecoder {
  write(chunk: Uint8Array): string {
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString('latin1');
  }
  end(): undefined {
    return undefined;
  }
}

class RefusedDecoder implements ChunkDecoder {
  constructor(_options: unknown, private readonly codec: Codec) {}
  write(): string {
    throw new Error(`iconv-lite stand-in: ${this.codec.name} is not decoded`);
  }
  end(): undefined {
    return undefined;
  }
}

/** The codec factory for a canonical name, or undefined when the name is not known. */
function factoryFor(key: string): { readonly name: string; readonly decoder: DecoderFactory } | undefined {
  const refused = REFUSED_ALIASES.get(key) ?? key;
  if (REFUSED.has(refused)) return { name: refused, decoder: RefusedDecoder };
  if (KOREAN_NAMES.has(key)) return { name: KOREAN, decoder: KoreanDecoder };
  if (key === BINARY || key === 'latin1' || key === 'iso88591') return { name: BINARY, decoder: BinaryDecoder };
  if (key === 'utf16') return { name: UTF16, decoder: guessingFactory(200, (head) => new PlatformDecoder(littleEndian(head, 2) ? 'utf-16le' : 'utf-16be')) };
  const utf32 = UTF32_NAMES.get(key);
  if (utf32 === 'utf-32') return { name: utf32, decoder: guessingFactory(400, (head) => new Utf32Decoder(littleEndian(head, 4))) };
  if (utf32) {
    const little = utf32 === 'utf-32le';
    return {
      name: utf32,
      decoder: class extends Utf32Decoder {
        constructor() {
          super(little);
        }
      },
    };
  }
  const whatwg = whatwgName(key);
  return whatwg ? { name: whatwg, decoder: platformFactory(whatwg) } : undefined;
}

const codecs = new Map<string, Codec>();

export function getCodec(encoding: unknown): Codec {
  const key = canonical(encoding);
  const found = factoryFor(key);
  if (!found) throw new Error(`Encoding not recognized: '${String(encoding)}' (searched as: '${key}')`);
  let codec = codecs.get(found.name);
  if (!codec) {
    codec = { name: found.name, decoder: found.decoder };
    codecs.set(found.name, codec);
  }
  return codec;
}

export function encodingExists(encoding: unknown): boolean {
  return factoryFor(canonical(encoding)) !== undefined;
}

/** A decoder whose output starts without a byte order mark, as iconv-lite's by default. */
export function getDecoder(encoding: unknown, options?: { readonly stripBOM?: boolean }): ChunkDecoder {
  const codec = getCodec(encoding);
  const decoder = new codec.decoder(options, codec);
  if (options?.stripBOM === false) return decoder;
  let started = false;
  // The first text out, whichever call gives it, loses a leading byte order mark.
  const first = <T extends string | undefined>(text: T): T | string => {
    if (started || !text) return text;
    started = true;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  };
  return {
    write: (chunk) => first(decoder.write(chunk)),
    end: () => first(decoder.end()),
  };
}

export function decode(input: Uint8Array | string, encoding: unknown, options?: { readonly stripBOM?: boolean }): string {
  const decoder = getDecoder(encoding, options);
  const text = decoder.write(bytesOf(input));
  const trail = decoder.end();
  return trail ? text + trail : text;
}

export function encode(): never {
  throw new Error('iconv-lite stand-in: encoding is not provided (libmime encodes UTF-8 with Buffer)');
}

export default { getCodec, encodingExists, getDecoder, decode, encode };
