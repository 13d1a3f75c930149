import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SesMailer } from '../../lambdas/relay/aws/ses-mailer';
import { BASE64_CHUNK_INPUT_BYTES } from '../../lambdas/mail/base64-chunks';
import { startSesOutboxServer } from '../../local/ses-outbox-server';
import type { SesOutboxServer } from '../../local/ses-outbox-server';

interface StoredEmail {
  readonly messageId: string;
  readonly from: string;
  readonly subject: string;
  readonly body: { readonly text?: string };
  readonly attachments: readonly { readonly filename?: string; readonly content: string }[];
}

let outbox: SesOutboxServer;
let ses: SESv2Client;

beforeAll(async () => {
  outbox = await startSesOutboxServer(0);
  ses = new SESv2Client({ region: 'ap-northeast-1', endpoint: outbox.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  ses?.destroy();
  await outbox?.close();
});

async function stored(messageId: string): Promise<StoredEmail | undefined> {
  const response = await fetch(`${outbox.url}/store`);
  const { emails } = (await response.json()) as { emails: StoredEmail[] };
  return emails.find((email) => email.messageId === messageId);
}

/** Deterministic bytes of every value, so a byte lost or changed anywhere shows. */
function attachmentBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let x = 0x9e3779b9;
  for (let i = 0; i < length; i += 1) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

describe('SesMailer against the local SES (aws-ses-v2-local)', () => {
  it('delivers a Japanese message with a binary attachment exactly as written', async () => {
    const text = '商品を発送いたしました。お届けまで今しばらくお待ちください。\r\n'.repeat(2000);
    const attachment = attachmentBytes(BASE64_CHUNK_INPUT_BYTES * 40 + 2);
    const raw = Buffer.concat([
      Buffer.from(
        [
          'From: =?UTF-8?B?44OH44Oi5ZWG5bqX?= <m-4n8p2r6t1vwx@relay.example.jp>',
          'To: c-7k2m9q4x0abc@relay.example.jp',
          'Subject: =?UTF-8?B?44GU5rOo5paH44Gu55m66YCB44Gr44Gk44GE44Gm?=',
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="b"',
          '',
          '--b',
          'Content-Type: text/plain; charset=UTF-8',
          'Content-Transfer-Encoding: 8bit',
          '',
          '',
        ].join('\r\n'),
        'utf8',
      ),
      Buffer.from(text, 'utf8'),
      Buffer.from('\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="catalog.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n', 'ascii'),
      Buffer.from((attachment.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n'), 'ascii'),
      Buffer.from('\r\n--b--\r\n', 'ascii'),
    ]);

    const { messageId } = await new SesMailer(ses).send({ from: 'm-4n8p2r6t1vwx@relay.example.jp', to: ['taro@example.com'], parts: [raw] });

    const email = await stored(messageId);
    expect(email).toBeDefined();
    expect(email!.subject).toBe('ご注文の発送について');
    expect(email!.body.text?.replace(/\r?\n/g, '\n').trimEnd()).toBe(text.replace(/\r\n/g, '\n').trimEnd());
    expect(email!.attachments).toHaveLength(1);
    expect(email!.attachments[0]!.filename).toBe('catalog.bin');
    expect(Buffer.from(email!.attachments[0]!.content, 'base64').equals(attachment)).toBe(true);
  });
});
