import Encoding from 'encoding-japanese';

type JapaneseEncoding = 'SJIS' | 'EUCJP' | 'JIS';

/** Text as the bytes a Japanese mail client writes: Shift_JIS, EUC-JP or ISO-2022-JP (`JIS`). */
export function japaneseBytes(text: string, encoding: JapaneseEncoding): Buffer {
  return Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: encoding, from: 'UNICODE' }));
}
