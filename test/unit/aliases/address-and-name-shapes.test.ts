import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { domainOf, isPlausibleAddress } from '../../../lambdas/aliases/address';
import { aliasNameFromMac, parseAliasAddress, parseAliasName, retiredAliasHash } from '../../../lambdas/aliases/names';

/** The exact shapes addresses and alias names are accepted in: anchored at both ends, each part at least one character. */

const MAC = '0123456789abcdef0123456789abcdef';

describe('plausible addresses', () => {
  it('take one local part, one @, and a dotted domain, nothing before or after, up to 254 characters', () => {
    for (const address of ['a@b.c', ' taro@example.com ', 'hanako.suzuki+order@mail.example.co.jp', `${'x'.repeat(243)}@example.jp`]) expect(isPlausibleAddress(address)).toBe(true);
    for (const address of [
      '',
      '@example.com',
      'taro@',
      'taro@example',
      'taro@.',
      'taro@example.',
      'taro@@example.com',
      'Taro <taro@example.com>',
      'taro@example.com>',
      '<taro@example.com',
      'ta ro@example.com',
      'taro@exa mple.com',
      'taro@example.c m',
      'taro@example.com,jiro@example.com',
      '"taro"@example.com',
      `${'x'.repeat(244)}@example.jp`,
    ]) {
      expect(isPlausibleAddress(address), address).toBe(false);
    }
  });

  it('name the domain after the last @, lower-cased, and nothing for no @', () => {
    expect(domainOf('Taro@Example.COM')).toBe('example.com');
    expect(domainOf('"a@b"@Shop.example')).toBe('shop.example');
    expect(domainOf('@Example.com')).toBe('example.com');
    expect(domainOf('no-at-sign')).toBe('');
  });
});

describe('alias names', () => {
  it('are made from at least 64 bits of lower-case hex, and nothing else', () => {
    expect(aliasNameFromMac('customer', MAC.slice(0, 16))).toMatch(/^c-[0-9a-hjkmnp-tv-z]{12}$/);
    expect(aliasNameFromMac('merchant', MAC)).toMatch(/^m-[0-9a-hjkmnp-tv-z]{12}$/);
    for (const bad of [MAC.slice(0, 15), MAC.toUpperCase(), ` ${MAC}`, `${MAC} `, `x${MAC}`, `${MAC}x`, '']) {
      expect(() => aliasNameFromMac('customer', bad), bad).toThrow('aliasNameFromMac needs at least 64 bits of lower-case hex');
    }
  });

  it('are read only whole: a prefix, a dash and twelve Crockford characters, in any case', () => {
    const name = aliasNameFromMac('customer', MAC);
    expect(parseAliasName(name)).toEqual({ alias: name, kind: 'customer' });
    expect(parseAliasName(name.toUpperCase())).toEqual({ alias: name, kind: 'customer' });
    const reverse = aliasNameFromMac('merchant', MAC);
    expect(parseAliasName(reverse)).toEqual({ alias: reverse, kind: 'merchant' });
    for (const bad of [`x${name}`, `${name}x`, `${name.slice(0, -1)}`, `x-${name.slice(2)}`, `${name.slice(0, -1)}u`, `${name.slice(0, -1)}i`, `c-${'0'.repeat(11)}`, 'c-']) {
      expect(parseAliasName(bad), bad).toBeUndefined();
    }
  });

  it('are read from an address only on the relay domain, with a local part', () => {
    const name = aliasNameFromMac('customer', MAC);
    expect(parseAliasAddress(`${name}@Relay.Example.jp`, 'relay.example.jp')).toEqual({ alias: name, kind: 'customer' });
    expect(parseAliasAddress(`${name}@relay.example.jp.evil.example`, 'relay.example.jp')).toBeUndefined();
    expect(parseAliasAddress(`${name}@other.example.jp`, 'relay.example.jp')).toBeUndefined();
    expect(parseAliasAddress('@relay.example.jp', 'relay.example.jp')).toBeUndefined();
    expect(parseAliasAddress(name, 'relay.example.jp')).toBeUndefined();
  });

  it('once retired, are kept as a hash of a fixed, versioned input, so a name retired before a deployment stays retired after it', () => {
    const name = aliasNameFromMac('customer', MAC);
    expect(retiredAliasHash(name)).toBe(createHash('sha256').update(`retired-alias:v1:${name}`).digest('hex'));
    expect(retiredAliasHash(name)).not.toBe(retiredAliasHash(aliasNameFromMac('merchant', MAC)));
  });
});
