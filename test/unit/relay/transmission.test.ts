import { describe, expect, it } from 'vitest';
import { connectingIpFromReceived, purgeAtEpochSeconds, transmissionId } from '../../../lambdas/relay/transmission';

describe('connectingIpFromReceived', () => {
  it.each([
    ['from mail.shop.example (mail.shop.example [203.0.113.5]) by inbound-smtp.ap-northeast-1.amazonaws.com with SMTP id abc', '203.0.113.5'],
    ['from mx (mx [IPv6:2001:db8::1]) by inbound-smtp.ap-northeast-1.amazonaws.com with SMTP id abc', '2001:db8::1'],
  ])('reads the client IP from %s', (received, ip) => {
    expect(connectingIpFromReceived(received)).toBe(ip);
  });

  it('ignores address literals after the by clause', () => {
    expect(connectingIpFromReceived('from unknown by inbound-smtp [198.51.100.7] with SMTP')).toBeUndefined();
  });

  it('is undefined without a Received field', () => {
    expect(connectingIpFromReceived(undefined)).toBeUndefined();
  });
});

describe('transmission record keys', () => {
  it('names one delivery per message and recipient', () => {
    expect(transmissionId('abc123', 0)).toBe('abc123/0');
    expect(transmissionId('abc123', 1)).not.toBe(transmissionId('abc123', 0));
  });

  it('purges after the retention period', () => {
    expect(purgeAtEpochSeconds(new Date('2026-01-01T00:00:00Z'), 90)).toBe(Date.parse('2026-04-01T00:00:00Z') / 1000);
  });
});
