/**
 * KMS encryption contexts. Each ciphertext is bound to the record it belongs to, so a ciphertext
 * copied into another record does not decrypt (KMS checks the context on Decrypt).
 */

/** Encryption context of a store's contact address: the ciphertext only decrypts as that store's contact. */
export function storeContactContext(storeId: string): Readonly<Record<string, string>> {
  return { store: storeId, purpose: 'contact' };
}

/** Encryption context of a registered sender address. */
export function storeSenderContext(storeId: string): Readonly<Record<string, string>> {
  return { store: storeId, purpose: 'sender' };
}

/** Encryption context of a customer's address: bound to the alias it belongs to. */
export function customerAddressContext(alias: string): Readonly<Record<string, string>> {
  return { alias };
}

