import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  aliasAddress,
  aliasNameFromMac,
  customerAliasMacInput,
  parseAliasAddress,
  parseAliasName,
  reverseAliasMacInput,
} from '../../../lambdas/aliases/names';

const mac = (message: string): string => createHmac('sha256', 'test-key').update(message).digest('hex');

describe('aliasNameFromMac', () => {
  it('derives a 12-character Crockford base32 name with the kind prefix', () => {
    const name = aliasNameFromMac('customer', mac('x'));
    expect(name).toMatch(/^c-[0-9a-hjkmnp-tv-z]{12}$/);
    expect(aliasNameFromMac('merchant', mac('x'))).toBe(`m-${name.slice(2)}`);
  });

  it('encodes the leading 60 bits exactly', () => {
    expect(aliasNameFromMac('customer', '0000000000000000')).toBe('c-000000000000');
    expect(aliasNameFromMac('customer', 'fffffffffffffff0')).toBe('c-zzzzzzzzzzzz');
    expect(aliasNameFromMac('customer', '0000000000000010')).toBe('c-000000000001');
  });

  it('is deterministic for the same input and differs between inputs', () => {
    expect(aliasNameFromMac('customer', mac(customerAliasMacInput('s1', 'o1')))).toBe(aliasNameFromMac('customer', mac(customerAliasMacInput('s1', 'o1'))));
    expect(aliasNameFromMac('customer', mac(customerAliasMacInput('s1', 'o1')))).not.toBe(
      aliasNameFromMac('customer', mac(customerAliasMacInput('s1', 'o2'))),
    );
  });

  it('keeps store and order apart even when their concatenation is the same', () => {
    expect(customerAliasMacInput('ab', 'c')).not.toBe(customerAliasMacInput('a', 'bc'));
    expect(reverseAliasMacInput('c-000000000000')).not.toBe(customerAliasMacInput('c-000000000000', ''));
  });

  it('rejects input that is not a long enough hex MAC', () => {
    expect(() => aliasNameFromMac('customer', 'abc')).toThrow('at least 64 bits');
  });
});

describe('parseAliasName', () => {
  it.each([
    ['c-7k2m9q4x0abc', { alias: 'c-7k2m9q4x0abc', kind: 'customer' }],
    ['M-7K2M9Q4X0ABC', { alias: 'm-7k2m9q4x0abc', kind: 'merchant' }],
  ])('parses %s case-insensitively', (input, expected) => {
    expect(parseAliasName(input)).toEqual(expected);
  });

  it.each(['c-7k2m9q4x0ab', 'c-7k2m9q4x0abcd', 'x-7k2m9q4x0abc', 'c-7k2m9q4x0abi', 'c-7k2m9q4x0abu', 'postmaster', ''])(
    'refuses %j',
    (input) => {
      expect(parseAliasName(input)).toBeUndefined();
    },
  );
});

describe('parseAliasAddress', () => {
  it('accepts an alias on the relay domain in any case', () => {
    expect(parseAliasAddress('c-7k2m9q4x0abc@Relay.Example.JP', 'relay.example.jp')).toEqual({ alias: 'c-7k2m9q4x0abc', kind: 'customer' });
  });

  it.each(['c-7k2m9q4x0abc@other.example', 'c-7k2m9q4x0abc@sub.relay.example.jp', 'c-7k2m9q4x0abc+tag@relay.example.jp', '@relay.example.jp'])(
    'refuses %s',
    (address) => {
      expect(parseAliasAddress(address, 'relay.example.jp')).toBeUndefined();
    },
  );

  it('formats an alias address', () => {
    expect(aliasAddress('c-7k2m9q4x0abc', 'relay.example.jp')).toBe('c-7k2m9q4x0abc@relay.example.jp');
  });
});
