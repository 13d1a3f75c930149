import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { RelayHarness } from './support/relay-harness';
import type { Outbound } from './support/relay-harness';

const STORE_CONTACT = 'owner@shop.example';
const STORE_SENDER = 'news@shop.example';
const CUSTOMER = 'taro@example.com';
const STRANGER = 'mallory@evil.example';
const UNKNOWN_ALIAS = 'c-000000000000@relay.example.jp';
const FAILED_AUTH = 'spf=FAIL, dkim=FAIL, dmarc=FAIL';

let relay: RelayHarness;
let customerAlias: IssueAliasResult;

beforeAll(async () => {
  relay = await RelayHarness.start();
  await relay.cli(['store', 'create', '--store-id', 'demo-shop', '--name', 'デモ商店', '--contact', STORE_CONTACT, '--sender', STORE_SENDER]);
  customerAlias = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'demo-shop', '--order-id', '1001', '--customer', CUSTOMER]);
});

afterAll(async () => {
  await relay?.stop();
});

/** Sends one message and returns its transmission record and what it added to the outbox. */
async function send(options: { from: string; to: string; headers?: Record<string, string> }) {
  const before = await relay.outboxIds();
  const sent = await relay.send({
    envelope: { from: options.from, to: [options.to] },
    from: options.from,
    to: options.to,
    subject: 'お問い合わせ',
    text: '在庫はありますか。\r\n',
    headers: options.headers ?? {},
  });
  const added = await Promise.all((await relay.outboxIds()).filter((id) => !before.includes(id)).map((id) => relay.outbound(id)));
  return { record: await relay.transmission(sent.sesMessageId), added };
}

/** The DSN as text: header block and the decoded human-readable part. */
function dsnText(out: Outbound): string {
  const raw = out.raw.toString('latin1');
  const part = /Content-Transfer-Encoding: base64\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n\r\n--/.exec(raw)?.[1] ?? '';
  return `${raw}\n${Buffer.from(part.replace(/\r\n/g, ''), 'base64').toString('utf8')}`;
}

function expectGenericDsn(out: Outbound | undefined, to: string, finalRecipient: string): string {
  expect(out?.envelope).toMatchObject({ from: 'MAILER-DAEMON@relay.example.jp', destinations: [to] });
  const text = dsnText(out!);
  expect(text).toMatch(/^Content-Type: multipart\/report; report-type=delivery-status;/m);
  expect(text).toMatch(/^Auto-Submitted: auto-replied$/m);
  expect(text).toContain(`Final-Recipient: rfc822; ${finalRecipient}`);
  expect(text).toContain('Status: 5.1.1');
  expect(text).toContain('受け付けていません');
  expect(text).toContain('does not accept your message');
  for (const secret of [CUSTOMER, STORE_CONTACT, 'demo-shop', 'デモ商店', '在庫']) expect(text.toLowerCase()).not.toContain(secret);
  return text;
}

describe('a refusal the sender is told about', () => {
  it('answers mail to an unknown alias from an authenticated sender with exactly one DSN to the envelope sender', async () => {
    const { record, added } = await send({ from: STORE_SENDER, to: UNKNOWN_ALIAS });

    expect(record).toMatchObject({ outcome: 'refused', reason: 'unknown_alias', bounced: true, state: 'done' });
    expect(added).toHaveLength(1);
    expectGenericDsn(added[0], STORE_SENDER, UNKNOWN_ALIAS);
  });

  it('answers an authenticated but unregistered sender with the same generic DSN, naming no store', async () => {
    const { record, added } = await send({ from: STRANGER, to: customerAlias.address });

    expect(record).toMatchObject({ outcome: 'refused', reason: 'unregistered_sender', bounced: true, storeId: 'demo-shop' });
    expect(added).toHaveLength(1);
    expectGenericDsn(added[0], STRANGER, customerAlias.address);
  });

  it('reads the same for a live alias as for one that does not exist, so aliases cannot be probed', async () => {
    const live = await send({ from: STRANGER, to: customerAlias.address });
    const missing = await send({ from: STRANGER, to: UNKNOWN_ALIAS });
    // Everything but the alias written to, the dates and the per-delivery Message-ID must match.
    const human = (out: Outbound | undefined, alias: string) =>
      dsnText(out!)
        .replaceAll(alias, '<alias>')
        .replace(/[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000/g, '<date>')
        .replace(/^Message-ID: .*$/m, '')
        .replace(/=_anshin-dsn_[A-Za-z0-9.-]+/g, '<boundary>')
        .replace(/Content-Transfer-Encoding: base64\r\n\r\n[A-Za-z0-9+/=\r\n]+?\r\n\r\n--/, '<base64>');
    expect(human(live.added[0], customerAlias.address)).toBe(human(missing.added[0], UNKNOWN_ALIAS));
  });
});

describe('a refusal nobody is told about', () => {
  it('sends nothing for mail to an unknown alias from a sender that failed SPF, DKIM and DMARC', async () => {
    const { record, added } = await send({ from: STORE_SENDER, to: UNKNOWN_ALIAS, headers: { 'X-Local-Verdict': FAILED_AUTH } });

    expect(record).toMatchObject({ outcome: 'refused', reason: 'unknown_alias', state: 'done' });
    expect(record.bounced).toBeUndefined();
    expect(added).toEqual([]);
  });

  it('sends nothing for an unregistered sender that failed authentication', async () => {
    const { record, added } = await send({ from: STRANGER, to: customerAlias.address, headers: { 'X-Local-Verdict': FAILED_AUTH } });

    expect(record).toMatchObject({ outcome: 'refused', reason: 'unauthenticated_sender' });
    expect(record.bounced).toBeUndefined();
    expect(added).toEqual([]);
  });

  it('sends nothing to a sender on the relay domain', async () => {
    const { record, added } = await send({ from: 'someone@relay.example.jp', to: UNKNOWN_ALIAS });

    expect(record).toMatchObject({ outcome: 'refused', reason: 'unknown_alias' });
    expect(record.bounced).toBeUndefined();
    expect(added).toEqual([]);
  });
});
