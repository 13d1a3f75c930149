/** The key service: encryption with a context, and keyed hashes whose key never leaves it. */

/** Encryption context binds a ciphertext to the record it belongs to; decrypting elsewhere fails. */
export type EncryptionContext = Readonly<Record<string, string>>;

/** Keyed hashes only: what a function that never sees an address in clear is given. */
export interface MacService {
  /** Keyed hash (HMAC-SHA-256, hex) computed inside the key service; the key never reaches us. */
  mac(message: string): Promise<string>;
}

export interface KeyService extends MacService {
  encrypt(plaintext: string, context: EncryptionContext): Promise<Uint8Array>;
  decrypt(ciphertext: Uint8Array, context: EncryptionContext): Promise<string>;
}
