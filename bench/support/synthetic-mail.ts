/**
 * Synthetic mail for the benchmarks, built straight into one buffer of the requested size so that
 * building it leaves no second copy behind (the memory figures depend on that). Everything is
 * deterministic: the same size gives the same bytes.
 */

export const KiB = 1024;
export const MiB = 1024 * 1024;

export const RELAY_DOMAIN = 'relay.example.jp';
export const CUSTOMER_ALIAS = 'c-7k2m9q4x0abc';
export const STORE_SENDER = 'news@shop.example';
export const CUSTOMER_ADDRESS = 'taro@example.com';

const BOUNDARY = 'bench-boundary-7f3a';

/** What SES and the sender put above the body of a store's mail. */
function storeHeader(extra: readonly string[] = []): string[] {
  return [
    'Return-Path: <news@shop.example>',
    'Received: from mail.shop.example (mail.shop.example [203.0.113.5]) by inbound-smtp.ap-northeast-1.amazonaws.com with SMTP id bench for c-7k2m9q4x0abc@relay.example.jp; Tue, 01 Apr 2025 03:00:00 +0000 (UTC)',
    'X-SES-Spam-Verdict: PASS',
    'X-SES-Virus-Verdict: PASS',
    'Authentication-Results: amazonses.com; spf=pass smtp.mailfrom=news@shop.example; dkim=pass header.i=@shop.example; dmarc=pass header.from=shop.example',
    'From: =?UTF-8?B?44OH44Oi5ZWG5bqX?= <news@shop.example>',
    `To: ${CUSTOMER_ALIAS}@${RELAY_DOMAIN}`,
    'Subject: =?UTF-8?B?44Kr44K/44Ot44Kw44KS44GK6YCB44KK44GX44G+44GZ?=',
    'Date: Tue, 1 Apr 2025 12:00:00 +0900',
    'Message-ID: <bench@shop.example>',
    'MIME-Version: 1.0',
    ...extra,
  ];
}

const BASE64_ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');
const CR = 0x0d;
const LF = 0x0a;

/**
 * Writes base64 lines (76 characters and CRLF, RFC 2045 §6.8) of xorshift32 pseudo-random bytes,
 * which do not compress, into `buffer` from `offset` up to `end`. Encoded in place, a character at a
 * time, so that building a message of any size leaves no garbage behind to inflate the memory
 * figures.
 */
function writeBase64Lines(buffer: Buffer, offset: number, end: number, seed: number): void {
  // Kept within int32, so V8 needs no heap numbers for it even before the loop is optimized.
  let x = seed | 0 || 1;
  let column = 0;
  for (let at = offset; at < end; ) {
    if (column === 76) {
      buffer[at++] = CR;
      if (at < end) buffer[at++] = LF;
      column = 0;
      continue;
    }
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    // 24 random bits make four characters.
    for (let shift = 18; shift >= 0 && at < end && column < 76; shift -= 6) {
      buffer[at++] = BASE64_ALPHABET[(x >> shift) & 0x3f] ?? 0x41;
      column += 1;
    }
  }
}

/** Exactly `sizeBytes`: `head`, base64 lines, `tail`. */
function assemble(sizeBytes: number, head: string | Buffer, tail: string, seed = 0x2545f491): Buffer {
  const headBytes = typeof head === 'string' ? Buffer.from(head, 'utf8') : head;
  const tailBytes = Buffer.from(tail, 'ascii');
  if (headBytes.length + tailBytes.length > sizeBytes) throw new RangeError(`a ${sizeBytes}-byte message cannot hold its own frame`);
  const buffer = Buffer.alloc(sizeBytes);
  headBytes.copy(buffer);
  const end = sizeBytes - tailBytes.length;
  writeBase64Lines(buffer, headBytes.length, end, seed);
  tailBytes.copy(buffer, end);
  return buffer;
}

/** A store's mail: a short text part and one base64 attachment filling the rest. */
export function attachmentMail(sizeBytes: number): Buffer {
  const head = [
    ...storeHeader([`Content-Type: multipart/mixed; boundary="${BOUNDARY}"`]),
    '',
    `--${BOUNDARY}`,
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    'Please find the catalogue attached.',
    `--${BOUNDARY}`,
    'Content-Type: application/pdf; name="catalog.pdf"',
    'Content-Disposition: attachment; filename="catalog.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    '',
  ].join('\r\n');
  return assemble(sizeBytes, head, `\r\n--${BOUNDARY}--\r\n`);
}

const JAPANESE_PARAGRAPH =
  'いつもご利用いただき誠にありがとうございます。ご注文の商品を本日発送いたしました。お届けまで今しばらくお待ちください。' +
  '商品カタログを添付いたしますので、ご確認のほどよろしくお願い申し上げます。ご不明な点がございましたら、お気軽にお問い合わせください。';

/** UTF-8 Japanese prose in lines of at most 25 characters (75 bytes), about `bytes` long. */
function japaneseText(bytes: number): string {
  const lines: string[] = [];
  let length = 0;
  let offset = 0;
  while (length < bytes) {
    const line = JAPANESE_PARAGRAPH.slice(offset % JAPANESE_PARAGRAPH.length, (offset % JAPANESE_PARAGRAPH.length) + 25) || JAPANESE_PARAGRAPH.slice(0, 25);
    offset += 25;
    lines.push(line);
    length += Buffer.byteLength(line) + 2;
  }
  return lines.join('\r\n');
}

/**
 * A Japanese store's mail: a UTF-8 (8bit) text part and an HTML alternative, each a sixth of the
 * message, then an attachment with an RFC 2231 Japanese file name filling the rest.
 */
export function japaneseMail(sizeBytes: number): Buffer {
  const textBytes = Math.max(256, Math.floor(sizeBytes / 6));
  const text = japaneseText(textBytes);
  const html = `<html><body><p>${japaneseText(textBytes).replace(/\r\n/g, '</p>\r\n<p>')}</p></body></html>`;
  const head = [
    ...storeHeader([`Content-Type: multipart/mixed; boundary="${BOUNDARY}"`]),
    '',
    `--${BOUNDARY}`,
    `Content-Type: multipart/alternative; boundary="${BOUNDARY}-alt"`,
    '',
    `--${BOUNDARY}-alt`,
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    text,
    `--${BOUNDARY}-alt`,
    'Content-Type: text/html; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    html,
    `--${BOUNDARY}-alt--`,
    `--${BOUNDARY}`,
    "Content-Type: application/pdf; name*=UTF-8''%E5%95%86%E5%93%81%E3%82%AB%E3%82%BF%E3%83%AD%E3%82%B0.pdf",
    "Content-Disposition: attachment; filename*=UTF-8''%E5%95%86%E5%93%81%E3%82%AB%E3%82%BF%E3%83%AD%E3%82%B0.pdf",
    'Content-Transfer-Encoding: base64',
    '',
    '',
  ].join('\r\n');
  return assemble(sizeBytes, head, `\r\n--${BOUNDARY}--\r\n`, 0x9e3779b9);
}

/**
 * No empty line anywhere: header fields run straight into a base64 body, as some broken senders
 * write. The header block ends at the first line that is not a field.
 */
export function noBlankLineMail(sizeBytes: number): Buffer {
  const head = [...storeHeader(['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64']), ''].join('\r\n');
  return assemble(sizeBytes, head, '\r\n');
}

/**
 * A header block of half the message: a long folded Japanese Subject, thousands of Received and
 * vendor fields, a huge References list and one giant folded field, then a short body.
 */
export function hugeHeaderMail(sizeBytes: number): Buffer {
  const headerBytes = Math.floor(sizeBytes / 2);
  const quarter = Math.floor(headerBytes / 4);
  const lines = storeHeader(['Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit']);
  const subjectWord = '=?UTF-8?B?44GU5rOo5paH44GC44KK44GM44Go44GG44GU44GW44GE44G+44GZ?=';
  const subject = Array.from({ length: Math.ceil(quarter / (subjectWord.length + 3)) }, () => subjectWord).join('\r\n ');
  lines.splice(7, 1, `Subject: ${subject}`);
  const references = Array.from({ length: Math.ceil(quarter / 40) }, (_, i) => `<ref-${i}.${(i * 7919) % 100000}@shop.example>`).join('\r\n ');
  lines.push(`References: ${references}`);
  const received = 'Received: from relay%d.example.net (relay%d.example.net [198.51.100.7]) by mx.example.net with ESMTP id %d; Tue, 1 Apr 2025 12:00:00 +0900';
  for (let i = 0, written = 0; written < quarter; i += 1) {
    const line = received.replace(/%d/g, String(i));
    lines.push(line);
    written += line.length + 2;
  }
  const vendor = Array.from({ length: Math.ceil(quarter / 60) }, (_, i) => `token-${i}=value-${i};`).join('\r\n\t');
  lines.push(`X-Vendor-Trace: ${vendor}`);
  const head = `${lines.join('\r\n')}\r\n\r\n`;
  const body = japaneseText(Math.max(0, sizeBytes - Buffer.byteLength(head) - 2));
  const raw = Buffer.from(`${head}${body}\r\n`, 'utf8');
  return raw.length >= sizeBytes ? raw.subarray(0, sizeBytes) : Buffer.concat([raw, Buffer.alloc(sizeBytes - raw.length, 0x20)]);
}

/** A multipart/mixed body of `parts` tiny text parts, padded to `sizeBytes` inside each part. */
export function manyPartsMail(sizeBytes: number, parts: number): Buffer {
  const head = `${storeHeader([`Content-Type: multipart/mixed; boundary="${BOUNDARY}"`]).join('\r\n')}\r\n\r\n`;
  const frame = `--${BOUNDARY}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n`;
  const closing = `--${BOUNDARY}--\r\n`;
  const room = sizeBytes - Buffer.byteLength(head) - closing.length - parts * (frame.length + 2);
  if (room < parts) throw new RangeError(`${parts} parts do not fit in ${sizeBytes} bytes`);
  const buffer = Buffer.alloc(sizeBytes, 0x78);
  let at = buffer.write(head, 0, 'ascii');
  for (let part = 0; part < parts; part += 1) {
    const contentBytes = Math.floor(room / parts) + (part < room % parts ? 1 : 0);
    at += buffer.write(frame, at, 'ascii');
    at += contentBytes;
    at += buffer.write('\r\n', at, 'ascii');
  }
  buffer.write(closing, at, 'ascii');
  return buffer;
}
