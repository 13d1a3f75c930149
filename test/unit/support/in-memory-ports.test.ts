import { describe, expect, it } from 'vitest';
import type { TransmissionRecord } from '../../../lambdas/relay/transmission';
import { InMemoryKeyService, InMemoryTransmissionLog } from '../../support/in-memory-ports';

// The domain tests above trust these doubles to behave as the adapters do; these pin that down.

describe('InMemoryKeyService', () => {
  it('decrypts under the context it encrypted with, whatever the key order', async () => {
    const keys = new InMemoryKeyService();
    const cipher = await keys.encrypt('hanako@example.ne.jp', { store: 's1', purpose: 'contact' });

    expect(await keys.decrypt(cipher, { purpose: 'contact', store: 's1' })).toBe('hanako@example.ne.jp');
  });

  it.each([
    ['another value', { store: 's2', purpose: 'contact' }],
    ['a missing pair', { store: 's1' }],
    ['an extra pair', { store: 's1', purpose: 'contact', alias: 'c-x' }],
  ])('refuses to decrypt under a context with %s', async (_label, context) => {
    const keys = new InMemoryKeyService();
    const cipher = await keys.encrypt('hanako@example.ne.jp', { store: 's1', purpose: 'contact' });

    await expect(keys.decrypt(cipher, context)).rejects.toThrow();
  });

  it('refuses a ciphertext of another key service', async () => {
    const cipher = await new InMemoryKeyService().encrypt('a@b.example', { alias: 'c-1' });

    await expect(new InMemoryKeyService().decrypt(cipher, { alias: 'c-1' })).rejects.toThrow();
  });

  it('computes a stable HMAC-SHA-256 per instance', async () => {
    const keys = new InMemoryKeyService();

    expect(await keys.mac('x')).toMatch(/^[0-9a-f]{64}$/);
    expect(await keys.mac('x')).toBe(await keys.mac('x'));
    expect(await new InMemoryKeyService().mac('x')).not.toBe(await keys.mac('x'));
  });
});

describe('InMemoryTransmissionLog', () => {
  const t0 = new Date('2024-06-01T00:00:00Z');
  const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
  const claim = (log: InMemoryTransmissionLog, now: Date) => log.claim({ transmissionId: 'm/0', sesMessageId: 'm', now, leaseUntil: at(now.getTime() / 1000 - t0.getTime() / 1000 + 120), purgeAt: 0 });
  const record = { transmissionId: 'm/0', sesMessageId: 'm' } as TransmissionRecord;

  it('claims a new delivery once; a second claim within the lease is in progress', async () => {
    const log = new InMemoryTransmissionLog();

    expect(await claim(log, t0)).toEqual({ status: 'claimed' });
    expect(await claim(log, at(60))).toEqual({ status: 'in_progress' });
  });

  it('lets a claim whose lease ran out be taken over', async () => {
    const log = new InMemoryTransmissionLog();
    await claim(log, t0);

    expect(await claim(log, at(121))).toEqual({ status: 'claimed' });
  });

  it('lets a released delivery be claimed at once', async () => {
    const log = new InMemoryTransmissionLog();
    await claim(log, t0);
    await log.release('m/0');

    expect(await claim(log, at(1))).toEqual({ status: 'claimed' });
  });

  it('reports a completed delivery as completed, also after its lease, and ignores a release of it', async () => {
    const log = new InMemoryTransmissionLog();
    await claim(log, t0);
    await log.complete(record);
    await log.release('m/0');

    expect(await claim(log, at(1000))).toEqual({ status: 'completed' });
    expect(log.records()).toEqual([record]);
  });
});
