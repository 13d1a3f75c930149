import type { EncryptionContext, KeyService } from './ports';

export interface KeyCacheOptions {
  /** Which decryptions are kept; the others are asked of the key service every time. */
  readonly cacheDecrypt: (context: EncryptionContext) => boolean;
  /** Most results kept; the least recently used goes first. */
  readonly maxEntries: number;
  /** How long a result is kept, so a destroyed address does not outlive its erasure in memory for long. */
  readonly ttlMs: number;
  readonly clock?: () => number;
}

/**
 * A warm Lambda environment relays many messages of the same stores: their contact and sender
 * addresses and the senders' keyed hashes repeat. A customer's address is read once per message
 * and is not kept.
 */
export const DEFAULT_KEY_CACHE: KeyCacheOptions = {
  cacheDecrypt: (context) => context.purpose === 'contact' || context.purpose === 'sender',
  maxEntries: 1_000,
  ttlMs: 5 * 60_000,
};

/**
 * Remembers decryptions and MACs for a short while within one process. Both are pure functions of
 * their input under a given key (a ciphertext decrypts to one plaintext under its context; a MAC of
 * a message is always the same), so a cached answer is never stale while the key exists; the time
 * limit bounds how long an address stays in memory after its record is erased. Encryption is never
 * cached: every ciphertext is fresh.
 *
 * Kept per function instance and per key service, so it cannot outlive the keys it was filled with.
 */
export class CachingKeyService implements KeyService {
  readonly #entries = new Map<string, { readonly value: Promise<string>; readonly expiresAt: number }>();
  readonly #clock: () => number;

  constructor(
    private readonly inner: KeyService,
    private readonly options: KeyCacheOptions = DEFAULT_KEY_CACHE,
  ) {
    this.#clock = options.clock ?? Date.now;
  }

  encrypt(plaintext: string, context: EncryptionContext): Promise<Uint8Array> {
    return this.inner.encrypt(plaintext, context);
  }

  decrypt(ciphertext: Uint8Array, context: EncryptionContext): Promise<string> {
    if (!this.options.cacheDecrypt(context)) return this.inner.decrypt(ciphertext, context);
    const key = `d:${Buffer.from(ciphertext).toString('base64')}:${JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b)))}`;
    return this.#remember(key, () => this.inner.decrypt(ciphertext, context));
  }

  mac(message: string): Promise<string> {
    return this.#remember(`m:${message}`, () => this.inner.mac(message));
  }

  #remember(key: string, compute: () => Promise<string>): Promise<string> {
    const now = this.#clock();
    const cached = this.#entries.get(key);
    if (cached && cached.expiresAt > now) {
      // Re-inserted, so the map's order is least recently used first.
      this.#entries.delete(key);
      this.#entries.set(key, cached);
      return cached.value;
    }
    const value = compute();
    this.#entries.set(key, { value, expiresAt: now + this.options.ttlMs });
    // A failure is not remembered: the next call asks again.
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    while (this.#entries.size > this.options.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    return value;
  }
}
