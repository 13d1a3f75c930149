import { describe, expect, it } from 'vitest';
import { CachingKeyService, DEFAULT_KEY_CACHE } from '../../../lambdas/keys/caching-key-service';
import type { EncryptionContext, KeyService } from '../../../lambdas/keys/ports';
import { storeContactContext, customerAddressContext } from '../../../lambdas/aliases/encryption-contexts';

/** Counts what reaches the key service behind the cache. */
class CountingKeys implements KeyService {
  decrypts = 0;
  macs = 0;
  failNext = false;

  async encrypt(plaintext: string): Promise<Uint8Array> {
    return Buffer.from(plaintext);
  }

  async decrypt(ciphertext: Uint8Array, _context: EncryptionContext): Promise<string> {
    this.decrypts += 1;
    return Buffer.from(ciphertext).toString();
  }

  async mac(message: string): Promise<string> {
    this.macs += 1;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('KMSInternalException');
    }
    return `mac:${message}`;
  }
}

describe('CachingKeyService', () => {
  const contact = storeContactContext('shop');

  function cache(options: Partial<typeof DEFAULT_KEY_CACHE> = {}) {
    const inner = new CountingKeys();
    let now = 0;
    const keys = new CachingKeyService(inner, { ...DEFAULT_KEY_CACHE, clock: () => now, ...options });
    return { inner, keys, advance: (ms: number) => (now += ms) };
  }

  it("asks once for a store's address and a MAC while they are fresh", async () => {
    const { inner, keys } = cache();
    for (let i = 0; i < 3; i += 1) {
      expect(await keys.decrypt(Buffer.from('owner@shop.example'), contact)).toBe('owner@shop.example');
      expect(await keys.mac('address:v1:news@shop.example')).toBe('mac:address:v1:news@shop.example');
    }
    expect([inner.decrypts, inner.macs]).toEqual([1, 1]);
  });

  it("never keeps a customer's address", async () => {
    const { inner, keys } = cache();
    await keys.decrypt(Buffer.from('taro@example.com'), customerAddressContext('c-7k2m9q4x0abc'));
    await keys.decrypt(Buffer.from('taro@example.com'), customerAddressContext('c-7k2m9q4x0abc'));
    expect(inner.decrypts).toBe(2);
  });

  it('asks again once an entry is older than its time limit', async () => {
    const { inner, keys, advance } = cache();
    await keys.mac('m');
    advance(DEFAULT_KEY_CACHE.ttlMs + 1);
    await keys.mac('m');
    expect(inner.macs).toBe(2);
  });

  it('keeps at most the configured number of entries, dropping the least recently used', async () => {
    const { inner, keys } = cache({ maxEntries: 2 });
    await keys.mac('a');
    await keys.mac('b');
    await keys.mac('a');
    await keys.mac('c');
    await keys.mac('a');
    expect(inner.macs).toBe(3);
    await keys.mac('b');
    expect(inner.macs).toBe(4);
  });

  it('does not remember a failure', async () => {
    const { inner, keys } = cache();
    inner.failNext = true;
    await expect(keys.mac('m')).rejects.toThrow('KMSInternalException');
    expect(await keys.mac('m')).toBe('mac:m');
  });

  it('keeps a ciphertext apart from the same bytes under another context', async () => {
    const { inner, keys } = cache();
    await keys.decrypt(Buffer.from('x'), storeContactContext('one'));
    await keys.decrypt(Buffer.from('x'), storeContactContext('two'));
    expect(inner.decrypts).toBe(2);
  });
});
