import { describe, expect, it } from 'vitest';
import { aliasOfUnsubscribeToken, unsubscribeToken, unsubscribeUrl } from '../../../lambdas/aliases/unsubscribe';
import { aliasNameFromMac, reverseAliasMacInput } from '../../../lambdas/aliases/names';
import { InMemoryKeyService } from '../../support/in-memory-ports';

describe('one-click unsubscribe tokens', () => {
  const keys = new InMemoryKeyService();

  it('name the customer alias, carry 128 bits of its keyed hash, and hold no address', async () => {
    const token = await unsubscribeToken('c-7k2m9p4q8r3s', keys);
    expect(token).toMatch(/^c-7k2m9p4q8r3s\.[0-9a-f]{32}$/);
    expect(await aliasOfUnsubscribeToken(token, keys)).toBe('c-7k2m9p4q8r3s');
    expect(unsubscribeUrl('https://menu.example.jp/v1/', token)).toBe(`https://menu.example.jp/v1/unsubscribe/${token}`);
  });

  it('share no bits with the reverse alias name the store sees', async () => {
    const mac = await keys.mac(reverseAliasMacInput('c-7k2m9p4q8r3s'));
    expect(aliasNameFromMac('merchant', mac)).toBe(aliasNameFromMac('merchant', `${mac.slice(0, 16)}${'0'.repeat(48)}`));
    expect((await unsubscribeToken('c-7k2m9p4q8r3s', keys)).split('.')[1]).toBe(mac.slice(32, 64));
  });

  it('are refused when changed, made for another alias, made with another key, or for a reverse alias', async () => {
    const token = await unsubscribeToken('c-7k2m9p4q8r3s', keys);
    const mac = token.split('.')[1]!;
    const flipped = `${mac.slice(0, -1)}${mac.endsWith('0') ? '1' : '0'}`;
    expect(await aliasOfUnsubscribeToken(`c-7k2m9p4q8r3s.${flipped}`, keys)).toBeUndefined();
    expect(await aliasOfUnsubscribeToken(`c-0000000000aa.${mac}`, keys)).toBeUndefined();
    expect(await aliasOfUnsubscribeToken(token, new InMemoryKeyService())).toBeUndefined();
    const reverse = await unsubscribeToken('m-7k2m9p4q8r3s', keys);
    expect(await aliasOfUnsubscribeToken(reverse, keys)).toBeUndefined();
    for (const junk of ['', 'c-7k2m9p4q8r3s', `${token}x`, `C-7K2M9P4Q8R3S.${mac}`, '../../etc/passwd']) expect(await aliasOfUnsubscribeToken(junk, keys)).toBeUndefined();
  });
});
