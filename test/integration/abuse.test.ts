import { writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SesMailer } from '../../lambdas/relay/aws/ses-mailer';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { OutboxMailer } from '../../local/outbox-mailer';
import { LOCAL_CREDENTIALS } from '../../local/stack';
import { RelayHarness } from './support/relay-harness';
import { dkimKey } from '../support/dkim';

/**
 * The abuse and loss cases through the local stack: real SMTP in, the relay's own code, the local
 * SES behind the SDK, `.local/outbox/` out. A stranger cannot borrow a store's name with their own
 * DKIM domain, cannot aim DSNs at a victim, and one recipient SES refuses does not cost the others.
 */

const STORE_CONTACT = 'owner@shop-office.example';
const STORE_SENDER = 'news@shop.example';
const CUSTOMER = 'hanako@example.com';
/** SES's local stand-in refuses destinations on `.invalid`, as SES refuses an address it will not send to. */
const REFUSED_CUSTOMER = 'jiro@unreachable.invalid';

describe('the relay against abuse, through the local stack', () => {
  let relay: RelayHarness;
  let alias: IssueAliasResult;
  let refusedAlias: IssueAliasResult;
  const attackerKey = dkimKey();
  const storeKey = dkimKey();

  beforeAll(async () => {
    relay = await RelayHarness.start();
    await writeFile(
      join(relay.dir, 'dns.json'),
      JSON.stringify({ 's1._domainkey.attacker.example': { TXT: [attackerKey.record] }, 's1._domainkey.shop.example': { TXT: [storeKey.record] } }),
    );
    await relay.cli(['store', 'create', '--store-id', 'abuse-shop', '--name', '安心商店', '--contact', STORE_CONTACT, '--sender', STORE_SENDER]);
    alias = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'abuse-shop', '--order-id', '1', '--customer', CUSTOMER]);
    refusedAlias = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'abuse-shop', '--order-id', '2', '--customer', REFUSED_CUSTOMER]);
  });

  afterAll(async () => {
    await relay?.stop();
  });

  it("refuses a store's sender address signed with a stranger's own DKIM domain as unauthenticated_sender", async () => {
    const before = await relay.outboxCount();
    const sent = await relay.send({
      envelope: { from: 'x@attacker.example', to: [alias.address] },
      from: STORE_SENDER,
      to: alias.address,
      subject: 'お支払い情報の確認',
      text: 'こちらから\r\n',
      dkim: { domainName: 'attacker.example', keySelector: 's1', privateKey: attackerKey.privateKey },
    });

    expect(await relay.transmission(sent.sesMessageId)).toMatchObject({ outcome: 'refused', reason: 'unauthenticated_sender', verdicts: { dkim: 'PASS', dmarc: 'FAIL' } });
    expect(await relay.outboxCount()).toBe(before);
  });

  it("relays the store's own aligned signature, verified by the relay itself when DMARC did not pass", async () => {
    const sent = await relay.send({
      envelope: { from: 'bounce@esp.example', to: [alias.address] },
      from: STORE_SENDER,
      to: alias.address,
      subject: '発送のお知らせ',
      text: '発送しました。\r\n',
      headers: { 'X-Local-Verdict': 'dmarc=FAIL' },
      dkim: { domainName: 'shop.example', keySelector: 's1', privateKey: storeKey.privateKey },
    });

    const record = await relay.transmission(sent.sesMessageId);
    expect(record).toMatchObject({ outcome: 'relayed', verdicts: { dkim: 'PASS', dmarc: 'FAIL' } });
    expect((await relay.outbound(record.outboundMessageId!)).envelope.destinations).toEqual([CUSTOMER]);
  });

  it('sends no DSN for mail to five unknown aliases when the envelope sender is forged', async () => {
    const before = await relay.outboxCount();
    const unknown = Array.from({ length: 5 }, (_, i) => `c-00000000000${i}@${relay.stack.settings.relayDomain}`);
    const sent = await relay.send({
      envelope: { from: 'victim@victim.example', to: unknown },
      from: STORE_SENDER,
      to: unknown,
      subject: 'spray',
      text: 'x\r\n',
      headers: { 'X-Local-Verdict': 'spf=FAIL, dmarc=PASS' },
    });

    for (const index of unknown.keys()) {
      const record = await relay.transmission(sent.sesMessageId, index);
      expect(record).toMatchObject({ outcome: 'refused', reason: 'unknown_alias' });
      expect(record.bounced).toBeUndefined();
    }
    expect(await relay.outboxCount()).toBe(before);
  });

  it('sends a DSN to a proven envelope sender, as before', async () => {
    const before = await relay.outboxIds();
    await relay.send({ envelope: { from: STORE_SENDER, to: [`c-000000000009@${relay.stack.settings.relayDomain}`] }, from: STORE_SENDER, to: 'x@y.example', subject: 'typo', text: 'x\r\n' });

    const added = (await relay.outboxIds()).filter((id) => !before.includes(id));
    expect(added).toHaveLength(1);
    expect((await relay.outbound(added[0]!)).envelope.destinations).toEqual([STORE_SENDER]);
  });

  it('delivers to the other recipient when SES refuses one for good, and dead-letters only that one', async () => {
    const before = await relay.outboxIds();
    const sent = await relay.send({
      envelope: { from: STORE_SENDER, to: [refusedAlias.address, alias.address] },
      from: STORE_SENDER,
      to: [refusedAlias.address, alias.address],
      subject: 'お二人へ',
      text: 'こんにちは\r\n',
    });

    expect(sent.response.batchItemFailures).toEqual([]);
    const added = (await relay.outboxIds()).filter((id) => !before.includes(id));
    expect(await Promise.all(added.map(async (id) => (await relay.outbound(id)).envelope.destinations))).toEqual([[CUSTOMER]]);
    expect(await relay.transmission(sent.sesMessageId, 0)).toMatchObject({ state: 'dead_lettered', failureReason: 'message_rejected' });
    expect(await relay.transmission(sent.sesMessageId, 1)).toMatchObject({ state: 'done', outcome: 'relayed' });
    expect((await relay.deadLetter(sent.sesMessageId))?.attributes).toMatchObject({ reason: 'message_rejected', deliveries: `${sent.sesMessageId}/0` });

    // A replay tries the refused delivery again and leaves the delivered one alone.
    await expect(relay.cli(['dlq', 'replay'])).rejects.toThrow(/1 replay\(s\) failed/);
    expect((await relay.deadLetter(sent.sesMessageId))?.attributes).toMatchObject({ reason: 'message_rejected' });
    expect((await relay.outboxIds()).filter((id) => !before.includes(id))).toHaveLength(1);
  });
});

type ProxyMode = 'pass' | 'lose_answer' | 'server_error';

/**
 * Sits between the relay's SDK client and the local SES: forwards every request, and after SES has
 * accepted it, answers as the mode says: passes the answer on, cuts the connection (the answer is
 * lost), or answers 500. Counts what SES accepted, so copies can be counted behind the SDK.
 */
class LossyProxy {
  mode: ProxyMode = 'pass';
  accepted = 0;
  upstream = '';
  private constructor(private readonly server: Server) {}

  static async start(): Promise<LossyProxy> {
    const proxy = new LossyProxy(createServer((req, res) => proxy.forward(req, res)));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const target = new URL(req.url ?? '/', this.upstream);
    const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        if (answer.statusCode === 200) this.accepted += 1;
        if (this.mode === 'lose_answer') req.socket.destroy();
        else if (this.mode === 'server_error') res.writeHead(500, { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalFailure' }).end('{"message":"oops"}');
        else res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks));
      });
    });
    req.pipe(upstream);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe.each<[string, ProxyMode]>([
  ['the answer to an accepted SendEmail is lost', 'lose_answer'],
  ['SES answers 500 after accepting SendEmail', 'server_error'],
])('when %s', (_label, mode) => {
  let relay: RelayHarness;
  let proxy: LossyProxy;
  let alias: IssueAliasResult;
  let ses: SESv2Client;

  beforeAll(async () => {
    proxy = await LossyProxy.start();
    // The SDK's own retries are on (as in Lambda): it is the mailer that must not use them here.
    ses = new SESv2Client({ region: 'ap-northeast-1', endpoint: proxy.url, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 3 });
    relay = await RelayHarness.start({ mailer: (outboxDir) => new OutboxMailer(new SesMailer(ses), outboxDir) });
    proxy.upstream = relay.stack.endpoints.outbox;
    await relay.cli(['store', 'create', '--store-id', 'lossy-shop', '--contact', STORE_CONTACT, '--sender', STORE_SENDER]);
    alias = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'lossy-shop', '--order-id', '1', '--customer', CUSTOMER]);
  });

  afterAll(async () => {
    ses?.destroy();
    await relay?.stop();
    await proxy?.close();
  });

  it('hands the message to SES once, keeps the delivery claimed, and a redelivery within the lease sends nothing', async () => {
    proxy.mode = mode;
    const sent = await relay.send({ envelope: { from: STORE_SENDER, to: [alias.address] }, from: STORE_SENDER, to: alias.address, subject: '一度だけ', text: 'x\r\n' });

    expect(proxy.accepted).toBe(1);
    expect(sent.response.batchItemFailures).toHaveLength(1);
    expect(await relay.transmission(sent.sesMessageId)).toMatchObject({ state: 'processing' });

    proxy.mode = 'pass';
    const again = await relay.stack.relay(sent.event);
    expect(again.batchItemFailures).toHaveLength(1);
    expect(proxy.accepted).toBe(1);
  });
});
