import { describe, expect, it } from 'vitest';
import { addressMacInput, domainOf, isPlausibleAddress, normalizeAddress } from '../../../lambdas/aliases/address';

describe('address helpers', () => {
  it('normalizes case and surrounding space', () => {
    expect(normalizeAddress('  News@Shop.Example ')).toBe('news@shop.example');
  });

  it('hashes the same mailbox the same way whatever its case', () => {
    expect(addressMacInput('News@Shop.Example')).toBe(addressMacInput('news@shop.example'));
  });

  it.each(['taro@example.com', 'a.b+c@sub.example.co.jp'])('accepts %s', (address) => {
    expect(isPlausibleAddress(address)).toBe(true);
  });

  it.each(['taro', 'taro@', '@example.com', 'taro@example', 'a b@example.com', 'a@b@example.com', 'x@example.com\r\nBcc: y@example.com'])(
    'refuses %j',
    (address) => {
      expect(isPlausibleAddress(address)).toBe(false);
    },
  );

  it('takes the domain after the last @', () => {
    expect(domainOf('"a@b"@Shop.Example')).toBe('shop.example');
    expect(domainOf('nodomain')).toBe('');
  });
});
