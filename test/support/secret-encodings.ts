import fc from 'fast-check';
import { japaneseBytes } from '../unit/mail/japanese-bytes';

const label = fc.stringMatching(/^[a-z0-9]{1,8}$/);

/** Plausible real addresses on example domains, Japanese second-level domains included. */
export const addressArbitrary = fc
  .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,10}[a-z0-9]$/), label, fc.constantFrom('jp', 'co.jp', 'ne.jp', 'com'))
  .map(([local, host, tld]) => `${local}@${host}.example.${tld}`);

export const base64Word = (charset: string, bytes: Buffer): string => `=?${charset}?B?${bytes.toString('base64')}?=`;
const qWord = (text: string): string =>
  `=?UTF-8?Q?${[...Buffer.from(text)].map((byte) => `=${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')}?=`;
export const percentEncode = (text: string): string => [...Buffer.from(text)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
const fullWidth = (text: string): string => text.replace(/[!-~]/g, (character) => String.fromCharCode(character.charCodeAt(0) + 0xfee0));

/**
 * The ways a real address gets written into a header: as itself, in other case, and in every
 * encoding a header allows (RFC 2047 B and Q in UTF-8, ISO-2022-JP and Shift_JIS, percent and
 * quoted-printable escapes, full-width forms, and an encoded word hidden inside another).
 */
export const SECRET_ENCODINGS: readonly ((secret: string) => string)[] = [
  (secret) => secret,
  (secret) => secret.toUpperCase(),
  (secret) => secret.replace(/./g, (character, index: number) => (index % 2 ? character.toUpperCase() : character)),
  (secret) => base64Word('UTF-8', Buffer.from(`連絡先 ${secret}`)),
  (secret) => qWord(secret),
  (secret) => base64Word('ISO-2022-JP', japaneseBytes(`連絡先：${secret}`, 'JIS')),
  (secret) => base64Word('Shift_JIS', japaneseBytes(`${secret} 様`, 'SJIS')),
  (secret) => percentEncode(secret),
  (secret) => secret.replace('@', '%40'),
  (secret) => secret.replace('@', '=40'),
  (secret) => fullWidth(secret),
  (secret) => base64Word('UTF-8', Buffer.from(qWord(secret))),
];
