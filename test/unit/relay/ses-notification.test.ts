import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidNotificationError, parseSesNotification } from '../../../lambdas/relay/ses-notification';

const sample = readFileSync(new URL('../../fixtures/ses/received-s3-notification.json', import.meta.url), 'utf8');
interface MutableNotification {
  notificationType: unknown;
  mail: Record<string, unknown>;
  receipt: Record<string, unknown>;
}
const mutate = (change: (n: MutableNotification) => void): string => {
  const notification = JSON.parse(sample) as MutableNotification;
  change(notification);
  return JSON.stringify(notification);
};

describe('parseSesNotification', () => {
  it('reads routing facts, verdicts and the S3 location from an SES receipt notification', () => {
    const mail = parseSesNotification(sample);
    expect(mail).toEqual({
      sesMessageId: 'o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1',
      receivedAt: new Date('2026-11-24T05:32:33.936Z'),
      envelopeSender: 'news@shop.example',
      recipients: ['c-7k2m9q4x0abc@relay.example.jp'],
      verdicts: { spf: 'PASS', dkim: 'GRAY', dmarc: 'FAIL', spam: 'PASS', virus: 'PASS', dmarcPolicy: 'quarantine' },
      location: { bucket: 'anshin-inbound-123456789012', key: 'inbound/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1' },
      sesReceivedHeader: expect.stringContaining('[203.0.113.5]'),
    });
  });

  it('treats a missing source as a null sender', () => {
    expect(parseSesNotification(mutate((n) => delete n.mail.source)).envelopeSender).toBe('');
  });

  it('reads an unknown verdict status as GRAY', () => {
    expect(parseSesNotification(mutate((n) => (n.receipt.spfVerdict = { status: 'NEUTRAL' }))).verdicts.spf).toBe('GRAY');
  });

  it.each<[string, string]>([
    ['not JSON', '{'],
    ['another notification type', mutate((n) => (n.notificationType = 'Bounce'))],
    ['a Lambda action', mutate((n) => (n.receipt.action = { type: 'Lambda' }))],
    ['no recipients', mutate((n) => (n.receipt.recipients = []))],
    ['a bad timestamp', mutate((n) => (n.mail.timestamp = 'yesterday'))],
    ['no message ID', mutate((n) => delete n.mail.messageId)],
  ])('rejects %s with InvalidNotificationError', (_label, body) => {
    expect(() => parseSesNotification(body)).toThrow(InvalidNotificationError);
  });
});
