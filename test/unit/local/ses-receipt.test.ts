import { describe, expect, it } from 'vitest';
import { decodeEncodedWords, headerBlockLength, parseHeaderFields } from '../../../local/ingress/message-headers';
import { buildReceiptNotification, newSesMessageId, sesAddedHeaders, toSqsEvent } from '../../../local/ingress/ses-receipt';
import type { SmtpDelivery } from '../../../local/ingress/ses-receipt';
import { simulatedVerdicts } from '../../../local/ingress/simulated-verdicts';
import { parseSesNotification } from '../../../lambdas/relay/ses-notification';

const crlf = (...lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

const delivery: SmtpDelivery = {
  messageId: 'o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1',
  receivedAt: new Date('2026-11-24T05:32:33.936Z'),
  mailFrom: 'news@shop.example',
  recipients: ['c-7k2m9q4x0abc@relay.example.jp'],
  heloName: 'mail.shop.example',
  clientHostname: 'localhost',
  remoteAddress: '127.0.0.1',
  region: 'ap-northeast-1',
};

const submitted = crlf(
  'From: =?ISO-2022-JP?B?GyRCJUclYj4mRTkbKEI=?= <news@shop.example>',
  'To: c-7k2m9q4x0abc@relay.example.jp',
  'Subject: =?UTF-8?B?5rOo5paH44Gu44GU56K66KqN?=',
  'Message-ID: <1@shop.example>',
  'Date: Tue, 24 Nov 2026 14:32:30 +0900',
  'X-Long: first part',
  '\tsecond part',
  '',
  'body',
);

describe('parseHeaderFields', () => {
  it('unfolds continuation lines and stops at the blank line', () => {
    const fields = parseHeaderFields(submitted);

    expect(fields.map((f) => f.name)).toEqual(['From', 'To', 'Subject', 'Message-ID', 'Date', 'X-Long']);
    expect(fields.at(-1)?.value).toBe('first part\tsecond part');
  });

  it('measures the header block including the blank line', () => {
    expect(headerBlockLength(crlf('A: 1', '', 'body'))).toBe('A: 1\r\n\r\n'.length);
  });
});

describe('decodeEncodedWords', () => {
  it.each([
    ['=?ISO-2022-JP?B?GyRCJUclYj4mRTkbKEI=?=', 'デモ商店'],
    ['=?UTF-8?Q?caf=C3=A9_au_lait?=', 'café au lait'],
    ['=?UTF-8?B?5rOo5paH?= =?UTF-8?B?44Gu44GU56K66KqN?=', '注文のご確認'],
    ['plain text', 'plain text'],
  ])('decodes %s', (encoded, decoded) => {
    expect(decodeEncodedWords(encoded)).toBe(decoded);
  });
});

describe('simulatedVerdicts', () => {
  const fromStore = { envelopeSender: 'news@shop.example', fromAddress: 'news@shop.example' };

  it('passes SPF and DMARC for an unsigned mail whose envelope aligns with From, DKIM GRAY', () => {
    expect(simulatedVerdicts(parseHeaderFields(submitted), fromStore)).toEqual({ spf: 'PASS', dkim: 'GRAY', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' });
  });

  it('fails DMARC, policy none, when neither SPF nor DKIM passed for a domain aligned with From', () => {
    const observed = { envelopeSender: 'x@attacker.example', fromAddress: 'news@shop.example', dkimDomains: ['attacker.example'] };
    expect(simulatedVerdicts(parseHeaderFields(submitted), observed)).toEqual({ spf: 'PASS', dkim: 'PASS', dmarc: 'FAIL', dmarcPolicy: 'none', spam: 'PASS', virus: 'PASS' });
  });

  it('passes DMARC for a signature aligned with From, whatever the envelope', () => {
    const observed = { envelopeSender: 'bounce@esp.example', fromAddress: 'news@shop.example', dkimDomains: ['mail.shop.example'] };
    expect(simulatedVerdicts(parseHeaderFields(submitted), observed)).toMatchObject({ dkim: 'PASS', dmarc: 'PASS' });
  });

  it('fails DKIM when the mail is signed but no signature verified', () => {
    expect(simulatedVerdicts(parseHeaderFields(submitted), { ...fromStore, dkimDomains: [] })).toMatchObject({ dkim: 'FAIL', dmarc: 'PASS' });
  });

  it('fails what the X-Local-Verdict header names, with a DMARC policy only when DMARC fails', () => {
    const fields = parseHeaderFields(crlf('X-Local-Verdict: spf=FAIL; dkim=gray, dmarc=FAIL, dmarcPolicy=reject', '', ''));

    expect(simulatedVerdicts(fields, fromStore)).toEqual({ spf: 'FAIL', dkim: 'GRAY', dmarc: 'FAIL', spam: 'PASS', virus: 'PASS', dmarcPolicy: 'reject' });
  });

  it('lets DMARC follow SPF and DKIM given in the header unless it is given too', () => {
    const failed = parseHeaderFields(crlf('X-Local-Verdict: spf=FAIL, dkim=FAIL', '', ''));
    const passed = parseHeaderFields(crlf('X-Local-Verdict: spf=FAIL, dkim=FAIL, dmarc=PASS', '', ''));

    expect(simulatedVerdicts(failed, fromStore)).toMatchObject({ spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL', dmarcPolicy: 'none' });
    expect(simulatedVerdicts(passed, fromStore)).toMatchObject({ dmarc: 'PASS' });
  });

  it.each(['spf=MAYBE', 'spoof=FAIL', 'dmarcPolicy=drop'])('rejects the malformed entry %s', (entry) => {
    expect(() => simulatedVerdicts(parseHeaderFields(crlf(`X-Local-Verdict: ${entry}`, '', '')))).toThrow('X-Local-Verdict');
  });
});

describe('newSesMessageId', () => {
  it('has the form of SES receiving message IDs', () => {
    expect(newSesMessageId()).toMatch(/^[a-z0-9]{40}$/);
  });
});

describe('sesAddedHeaders', () => {
  it('writes Return-Path, SES’s Received field and the verdict headers', () => {
    const added = sesAddedHeaders(delivery, { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'FAIL', virus: 'PASS' });

    expect(added.split('\r\n').slice(0, 4)).toEqual([
      'Return-Path: <news@shop.example>',
      'Received: from mail.shop.example (localhost [127.0.0.1]) by inbound-smtp.ap-northeast-1.amazonaws.com with SMTP id o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1 for c-7k2m9q4x0abc@relay.example.jp; Tue, 24 Nov 2026 05:32:33 +0000 (UTC)',
      'X-SES-Spam-Verdict: FAIL',
      'X-SES-Virus-Verdict: PASS',
    ]);
    expect(added.endsWith('\r\n')).toBe(true);
  });
});

describe('buildReceiptNotification', () => {
  const verdicts = { spf: 'PASS', dkim: 'FAIL', dmarc: 'FAIL', spam: 'PASS', virus: 'PASS', dmarcPolicy: 'quarantine' } as const;
  const storedMail = Buffer.concat([Buffer.from(sesAddedHeaders(delivery, verdicts)), submitted]);
  const notification = buildReceiptNotification({
    delivery,
    verdicts,
    storedMail,
    target: { topicArn: 'arn:aws:sns:ap-northeast-1:000000000000:anshin-inbound', bucketName: 'anshin-inbound', objectKeyPrefix: 'inbound/' },
    actionAt: new Date('2026-11-24T05:32:34.158Z'),
  });

  it('has SES’s shape for an S3 action', () => {
    expect(notification).toMatchObject({
      notificationType: 'Received',
      mail: {
        timestamp: '2026-11-24T05:32:33.936Z',
        source: 'news@shop.example',
        messageId: delivery.messageId,
        destination: delivery.recipients,
        headersTruncated: false,
        commonHeaders: {
          returnPath: 'news@shop.example',
          from: ['デモ商店 <news@shop.example>'],
          to: ['c-7k2m9q4x0abc@relay.example.jp'],
          subject: '注文のご確認',
          messageId: '<1@shop.example>',
          date: 'Tue, 24 Nov 2026 14:32:30 +0900',
        },
      },
      receipt: {
        timestamp: '2026-11-24T05:32:33.936Z',
        processingTimeMillis: 222,
        recipients: delivery.recipients,
        spamVerdict: { status: 'PASS' },
        virusVerdict: { status: 'PASS' },
        spfVerdict: { status: 'PASS' },
        dkimVerdict: { status: 'FAIL' },
        dmarcVerdict: { status: 'FAIL' },
        dmarcPolicy: 'quarantine',
        action: {
          type: 'S3',
          topicArn: 'arn:aws:sns:ap-northeast-1:000000000000:anshin-inbound',
          bucketName: 'anshin-inbound',
          objectKeyPrefix: 'inbound/',
          objectKey: `inbound/${delivery.messageId}`,
        },
      },
    });
    expect(notification.mail.headers.slice(0, 2).map((h) => h.name)).toEqual(['Return-Path', 'Received']);
  });

  it('reads back through the relay’s own parser from an SQS record body', () => {
    const event = toSqsEvent(notification, 'arn:aws:sqs:ap-northeast-1:000000000000:anshin-inbound', 'ap-northeast-1');

    const parsed = parseSesNotification(event.Records[0]?.body ?? '');

    expect(parsed).toMatchObject({
      sesMessageId: delivery.messageId,
      envelopeSender: 'news@shop.example',
      recipients: delivery.recipients,
      verdicts: { spf: 'PASS', dkim: 'FAIL', dmarc: 'FAIL', dmarcPolicy: 'quarantine' },
      location: { bucket: 'anshin-inbound', key: `inbound/${delivery.messageId}` },
    });
    expect(parsed.sesReceivedHeader).toContain(`with SMTP id ${delivery.messageId}`);
  });
});
