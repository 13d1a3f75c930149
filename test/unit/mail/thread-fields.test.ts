import { describe, expect, it } from 'vitest';
import { inspectHeaders, keepableMessageId, LOOP_HEADER, rewriteHeaders, sesMessageIdOf } from '../../../lambdas/mail';
import type { RewriteOptions } from '../../../lambdas/mail';
import { MAX_THREAD_IDS } from '../../../lambdas/mail/thread-fields';

const CUSTOMER = 'hanako@example.ne.jp';
const options: RewriteOptions = {
  fromAlias: 'c-3f8h2k5n9pqr@relay.example.jp',
  toAlias: 'm-7k2m9q4x0abc@relay.example.jp',
  fallbackDisplayName: 'お客さま',
  // The store's contact is the recipient; the customer is the sender.
  secrets: [CUSTOMER, 'owner@shop.example'],
  loopHeader: { name: LOOP_HEADER, value: 'relay.example.jp' },
  now: new Date('2026-12-01T00:00:00Z'),
};

const header = (lines: readonly string[]): Buffer => Buffer.from(`${['From: hanako@example.ne.jp', 'To: m-7k2m9q4x0abc@relay.example.jp', 'Subject: Re', ...lines].join('\r\n')}\r\n\r\n`, 'latin1');
const fieldOf = (output: Buffer, name: string): string | undefined =>
  output
    .toString('latin1')
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n')
    .find((line) => line.startsWith(`${name}: `))
    ?.slice(name.length + 2);

describe('SES message IDs', () => {
  it.each([
    ['<0106018c-1a2b-3c4d@ap-northeast-1.amazonses.com>', '0106018c-1a2b-3c4d'],
    ['<abc@email.amazonses.com>', 'abc'],
    ['<abc@amazonses.com.evil.example>', undefined],
    ['<abc@shop.example>', undefined],
  ])('%s is the copy of SendEmail ID %s', (id, outboundId) => {
    expect(sesMessageIdOf(id)).toBe(outboundId);
  });
});

describe('a message ID kept for its author', () => {
  it.each([
    ['<order-1@shop.example>', '<order-1@shop.example>'],
    [`<${CUSTOMER}.1@mailer.example>`, undefined],
    ['<a b@shop.example>', undefined],
    ['no-brackets@shop.example', undefined],
    [`<${'x'.repeat(300)}@shop.example>`, undefined],
    [undefined, undefined],
  ])('%s is kept as %s', (id, kept) => {
    expect(keepableMessageId(id, [CUSTOMER])).toBe(kept);
  });
});

describe('In-Reply-To and References on the way back to an author', () => {
  const copy = '<0106018c@ap-northeast-1.amazonses.com>';
  const original = '<order-1@shop.example>';

  it("give the author its own ID for the copy's, though it is on its own domain", () => {
    const output = rewriteHeaders(header([`In-Reply-To: ${copy}`, `References: <other@example.ne.jp> ${copy}`]), { ...options, threadTranslations: new Map([[copy, original]]) });
    expect(fieldOf(output, 'In-Reply-To')).toBe(original);
    // The sender's own domain is still never shown to the store.
    expect(fieldOf(output, 'References')).toBe(original);
  });

  it('leave the copy ID as it is without a translation, and drop party IDs as before', () => {
    const output = rewriteHeaders(header([`In-Reply-To: ${copy}`, `References: <x@shop.example> ${copy}`]), options);
    expect(fieldOf(output, 'In-Reply-To')).toBe(copy);
    expect(fieldOf(output, 'References')).toBe(copy);
  });

  it('are read by inspectHeaders, In-Reply-To first, at most MAX_THREAD_IDS', () => {
    const many = Array.from({ length: MAX_THREAD_IDS + 20 }, (_, i) => `<r${i}@x.example>`);
    const facts = inspectHeaders(header([`In-Reply-To: ${copy}`, `References: ${many.join(' ')}`]));
    expect(facts.threadIds[0]).toBe(copy);
    expect(facts.threadIds).toHaveLength(MAX_THREAD_IDS);
    expect(facts.threadIds.at(-1)).toBe(many.at(-1));
  });
});
