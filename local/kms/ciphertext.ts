import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { LocalKey } from './keyring';

/**
 * Ciphertext blob of the local KMS: self-describing like KMS's own, so Decrypt needs no key ID.
 *
 *   version (1 byte) | key ID (16 bytes, the UUID) | IV (12) | GCM tag (16) | ciphertext
 *
 * The version byte and key ID are authenticated together with the encryption context, so changing
 * either makes decryption fail just as a wrong context does.
 */
const VERSION = 1;
const KEY_ID_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES;
const MIN_BLOB_BYTES = HEADER_BYTES + IV_BYTES + TAG_BYTES + 1;

export type EncryptionContext = Readonly<Record<string, string>>;

/** Order-independent serialisation: KMS treats contexts as unordered maps. */
function canonicalContext(context: EncryptionContext): Buffer {
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), 'utf8');
}

function uuidBytes(keyId: string): Buffer {
  return Buffer.from(keyId.replaceAll('-', ''), 'hex');
}

function uuidFromBytes(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function seal(key: LocalKey, plaintext: Buffer, context: EncryptionContext): Buffer {
  const header = Buffer.concat([Buffer.of(VERSION), uuidBytes(key.keyId)]);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.material, iv);
  cipher.setAAD(Buffer.concat([header, canonicalContext(context)]));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
}

/** Reads the key ID a blob was made under, or undefined when the bytes are not a local KMS blob. */
export function blobKeyId(blob: Buffer): string | undefined {
  if (blob.length < MIN_BLOB_BYTES || blob[0] !== VERSION) return undefined;
  return uuidFromBytes(blob.subarray(1, HEADER_BYTES));
}

/** Returns the plaintext, or undefined when the blob, key or context do not match. */
export function open(key: LocalKey, blob: Buffer, context: EncryptionContext): Buffer | undefined {
  if (blobKeyId(blob) !== key.keyId) return undefined;
  const header = blob.subarray(0, HEADER_BYTES);
  const iv = blob.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  const tag = blob.subarray(HEADER_BYTES + IV_BYTES, HEADER_BYTES + IV_BYTES + TAG_BYTES);
  const ciphertext = blob.subarray(HEADER_BYTES + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key.material, iv);
  decipher.setAAD(Buffer.concat([header, canonicalContext(context)]));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}
