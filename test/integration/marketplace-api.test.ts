import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProblemError, MarketplaceApi } from '../../cli/api-client';
import { LOCAL_CREDENTIALS } from '../../local/stack';
import { RelayHarness } from './support/relay-harness';

/**
 * The marketplace API on the local stack, used only with signed HTTP requests, as a marketplace
 * would: every operation, idempotency, refusals as RFC 9457 problems, and an alias disabled
 * through the API refusing mail that comes in over SMTP.
 */

const CONTACT = 'owner@api-shop.example';
const SENDER = 'news@api-shop.example';
const OTHER_SENDER = 'sales@api-shop.example';
const CUSTOMER = 'taro@example.com';

let relay: RelayHarness;
let api: MarketplaceApi;

beforeAll(async () => {
  relay = await RelayHarness.start();
  api = new MarketplaceApi(relay.stack.endpoints.api, relay.stack.endpoints.region, async () => ({ ...LOCAL_CREDENTIALS }));
});

afterAll(async () => {
  await relay?.stop();
});

async function problem(call: Promise<unknown>): Promise<{ status: number; problem: ApiProblemError['problem'] }> {
  const error: unknown = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ApiProblemError);
  return error as ApiProblemError;
}

/** Every answer and problem of a test, to search for the addresses it was given. */
const seen: unknown[] = [];
const call = async (...args: Parameters<MarketplaceApi['request']>) => {
  const answer = await api.request(...args);
  seen.push(answer.body);
  return answer;
};

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('the marketplace API, signed with SigV4', () => {
    it('creates a store, answers it by counts only, and replaces its senders idempotently', async () => {
      const body = { displayName: '安心商店', contact: CONTACT, senders: [SENDER, OTHER_SENDER] };
      const created = await call('PUT', '/stores/api-shop', body);
      expect(created).toEqual({ status: 201, body: { storeId: 'api-shop', displayName: '安心商店', status: 'active', senderCount: 2 } });
      expect((await call('PUT', '/stores/api-shop', body)).status).toBe(200);

      await call('PUT', '/stores/api-shop', { ...body, senders: [SENDER] });
      expect((await call('GET', '/stores/api-shop')).body).toEqual({ storeId: 'api-shop', displayName: '安心商店', status: 'active', senderCount: 1, liveAliasCount: 0 });
    });

    it('adds and removes a sender by ID, never echoing its address', async () => {
      const added = await call('POST', '/stores/api-shop/senders', { address: OTHER_SENDER });
      expect(added.status).toBe(201);
      const { senderId } = added.body as { senderId: string };
      expect(senderId).toMatch(/^snd_[0-9a-f]{16}$/);
      expect((await call('POST', '/stores/api-shop/senders', { address: OTHER_SENDER.toUpperCase() })).body).toEqual({ senderId });

      expect((await call('DELETE', `/stores/api-shop/senders/${senderId}`)).status).toBe(204);
      expect((await call('GET', '/stores/api-shop')).body).toMatchObject({ senderCount: 1 });
      expect((await problem(api.request('DELETE', `/stores/api-shop/senders/${senderId}`))).status).toBe(404);
    });

    it('issues the same alias for the same order, honours Idempotency-Key, and refuses another body under it with 422', async () => {
      const body = { storeId: 'api-shop', orderId: 'A-1', customerEmail: CUSTOMER };
      const first = await call('POST', '/aliases', body, { 'Idempotency-Key': 'order-A-1' });
      expect(first.status).toBe(201);
      expect(first.body).toEqual({ alias: expect.stringMatching(/^c-[0-9a-z]{12}@relay\.example\.jp$/), expiresAt: expect.any(String) });
      expect(await call('POST', '/aliases', body, { 'Idempotency-Key': 'order-A-1' })).toEqual(first);
      expect((await call('POST', '/aliases', body)).status).toBe(200);

      const reused = await problem(api.request('POST', '/aliases', { ...body, orderId: 'A-2' }, { 'Idempotency-Key': 'order-A-1' }));
      expect(reused.status).toBe(422);
      expect((await call('GET', '/stores/api-shop')).body).toMatchObject({ liveAliasCount: 1 });
    });

    it('answers a bad address with 400 naming customerEmail, an unknown store with 404, another customer on the order with 409', async () => {
      const bad = await problem(api.request('POST', '/aliases', { storeId: 'api-shop', orderId: 'A-9', customerEmail: 'not an address' }));
      expect(bad.status).toBe(400);
      expect(bad.problem['invalid-params']?.map((param) => param.name)).toEqual(['customerEmail']);
      expect(JSON.stringify(bad.problem)).not.toContain('not an address');

      expect((await problem(api.request('POST', '/aliases', { storeId: 'no-such-shop', orderId: 'A-1', customerEmail: CUSTOMER }))).status).toBe(404);
      expect((await problem(api.request('GET', '/stores/no-such-shop'))).status).toBe(404);
      expect((await problem(api.request('POST', '/aliases', { storeId: 'api-shop', orderId: 'A-1', customerEmail: 'hanako@example.com' }))).status).toBe(409);
    });

    it('shows an alias without its address, and disables it so mail to it is refused as alias_disabled', async () => {
      const { body } = await call('POST', '/aliases', { storeId: 'api-shop', orderId: 'A-3', customerEmail: 'jiro@example.com' });
      const { alias } = body as { alias: string };
      expect((await call('GET', `/aliases/${alias}`)).body).toMatchObject({ kind: 'customer', storeId: 'api-shop', orderId: 'A-3', status: 'active' });

      expect((await call('POST', `/aliases/${alias}/disable`)).body).toMatchObject({ status: 'disabled' });
      const sent = await relay.send({ from: SENDER, to: alias, subject: 'お知らせ', text: 'x\r\n' });
      expect(await relay.transmission(sent.sesMessageId)).toMatchObject({ outcome: 'refused', reason: 'alias_disabled' });
      expect((await problem(api.request('GET', '/aliases/c-000000000000'))).status).toBe(404);
    });

    it('lists stores in store-ID order and a store’s customer aliases newest first, a page at a time, by limit and cursor', async () => {
      for (const id of ['api-list-b', 'api-list-a', 'api-list-c']) await call('PUT', `/stores/${id}`, { contact: CONTACT, senders: [SENDER] });
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const { body } = await call('GET', `/stores?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        const page = body as { stores: { storeId: string; status: string }[]; nextCursor?: string };
        expect(page.stores.length).toBeLessThanOrEqual(2);
        pages.push(page.stores.map((store) => store.storeId));
        cursor = page.nextCursor;
      } while (cursor);
      const listed = pages.flat();
      expect(listed).toEqual([...listed].sort());
      expect(listed).toEqual(expect.arrayContaining(['api-list-a', 'api-list-b', 'api-list-c', 'api-shop']));
      expect(new Set(listed).size).toBe(listed.length);
      expect(pages.slice(0, -1).every((page) => page.length === 2)).toBe(true);

      // Issued a minute apart (as of those times, not waiting for them): the latest expires last.
      const minutes = [3, 2, 1];
      for (const [index, order] of ['L-1', 'L-2', 'L-3'].entries()) {
        await relay.issueAliasAt({ storeId: 'api-list-a', orderId: order, customer: `${order.toLowerCase()}@example.com` }, new Date(Date.now() - (minutes[index] ?? 0) * 60_000));
      }
      const first = (await call('GET', '/stores/api-list-a/aliases?limit=2')).body as { aliases: { alias: string; orderId: string; kind: string }[]; nextCursor?: string };
      expect(first.aliases.map((alias) => alias.orderId)).toEqual(['L-3', 'L-2']);
      expect(first.aliases.every((alias) => alias.kind === 'customer')).toBe(true);
      const second = (await call('GET', `/stores/api-list-a/aliases?limit=2&cursor=${encodeURIComponent(first.nextCursor ?? '')}`)).body as { aliases: { orderId: string }[]; nextCursor?: string };
      expect(second.aliases.map((alias) => alias.orderId)).toEqual(['L-1']);
      expect(second.nextCursor).toBeUndefined();
      expect(JSON.stringify([first, second])).not.toContain('example.com');
    });

    it('refuses a listing limit out of range, a forged cursor, and the aliases of an unknown store', async () => {
      for (const limit of ['0', '101', 'abc', '-5']) {
        const refused = await problem(api.request('GET', `/stores?limit=${limit}`));
        expect(refused.status).toBe(400);
        expect(refused.problem['invalid-params']?.map((param) => param.name)).toEqual(['limit']);
      }
      const forged = Buffer.from(JSON.stringify({ storeId: 'api-shop', item: 'sender#x', extra: 1 })).toString('base64url');
      expect((await problem(api.request('GET', `/stores?cursor=${forged}`))).problem['invalid-params']?.map((param) => param.name)).toEqual(['cursor']);
      const otherStore = Buffer.from(JSON.stringify({ alias: 'c-000000000000', storeId: 'api-shop', expiresAt: '2030-01-01T00:00:00.000Z' })).toString('base64url');
      expect((await problem(api.request('GET', `/stores/api-list-a/aliases?cursor=${otherStore}`))).status).toBe(400);
      expect((await problem(api.request('GET', '/stores/no-such-shop/aliases'))).status).toBe(404);
    });

    it('accepts a deletion request with 202 and answers its receipt once done', async () => {
      const accepted = await call('POST', '/deletion-requests', { customerEmail: 'jiro@example.com' });
      expect(accepted.status).toBe(202);
      const { requestId } = accepted.body as { requestId: string };
      const done = await call('GET', `/deletion-requests/${requestId}`);
      expect(done.body).toMatchObject({ requestId, status: 'done', receipt: { kind: 'destruction', requestedBy: 'api:arn:aws:iam::000000000000:user/local', verified: true } });
      expect((await problem(api.request('GET', '/deletion-requests/req_00000000000000000000000000000000'))).status).toBe(404);

      // The customer's alias for that order is retired with the customer: it is never issued again.
      const retired = await problem(api.request('POST', '/aliases', { storeId: 'api-shop', orderId: 'A-3', customerEmail: 'jiro@example.com' }));
      expect(retired.status).toBe(409);
      expect(retired.problem.title).toMatch(/retired/);
    });

    it('accepts a deletion request naming the customer by alias alone, and refuses an alias that leads nowhere with 404', async () => {
      const issued = await call('POST', '/aliases', { storeId: 'api-shop', orderId: 'A-4', customerEmail: 'shiro@example.com' });
      const { alias } = issued.body as { alias: string };
      const accepted = await call('POST', '/deletion-requests', { customerAlias: alias });
      expect(accepted.status).toBe(202);
      const { requestId } = accepted.body as { requestId: string };
      // The customer alias and the store's reverse alias, made with it.
      expect((await call('GET', `/deletion-requests/${requestId}`)).body).toMatchObject({ status: 'done', receipt: { kind: 'destruction', verified: true, counts: { address: 2 } } });
      expect((await problem(api.request('GET', `/aliases/${alias}`))).status).toBe(404);
      expect((await problem(api.request('POST', '/deletion-requests', { customerAlias: alias }))).status).toBe(404);
    });

    it('terminates a store and answers the termination receipt', async () => {
      await call('PUT', '/stores/ending-shop', { contact: CONTACT, senders: [SENDER] });
      expect((await call('POST', '/stores/ending-shop/termination')).body).toMatchObject({ kind: 'termination' });
      expect((await call('GET', '/stores/ending-shop')).body).toMatchObject({ status: 'terminated' });
      expect((await problem(api.request('PUT', '/stores/ending-shop', { contact: CONTACT, senders: [SENDER] }))).status).toBe(409);
    });

    it('never answers with a real address', () => {
      const text = JSON.stringify(seen).toLowerCase();
      for (const address of [CONTACT, SENDER, OTHER_SENDER, CUSTOMER, 'jiro@example.com', 'shiro@example.com']) expect(text).not.toContain(address);
    });
  });

  describe('the marketplace API without a valid signature', () => {
    it('refuses an unsigned request with 403, as API Gateway does', async () => {
      const response = await fetch(`${relay.stack.endpoints.api}/stores/api-shop`);
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
    });

    it('refuses a request signed with other credentials or changed after signing', async () => {
      const stranger = new MarketplaceApi(relay.stack.endpoints.api, 'ap-northeast-1', async () => ({ accessKeyId: 'local', secretAccessKey: 'wrong' }));
      expect((await problem(stranger.request('GET', '/stores/api-shop'))).status).toBe(403);
      const elsewhere = new MarketplaceApi(relay.stack.endpoints.api, 'us-east-1', async () => ({ ...LOCAL_CREDENTIALS }));
      expect((await problem(elsewhere.request('GET', '/stores/api-shop'))).status).toBe(403);
    });
  });

  describe('the marketplace API with a signature made elsewhere', () => {
    /** SigV4 over only `host` and `x-amz-date`, as `curl --aws-sigv4` signs, computed here without any SDK. */
    function curlStyle(method: string, url: URL, body: string, secret: string): Record<string, string> {
      const hash = (data: string) => createHash('sha256').update(data).digest('hex');
      const hmac = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest();
      const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
      const date = amzDate.slice(0, 8);
      const canonical = [method, url.pathname, '', `host:${url.host}\nx-amz-date:${amzDate}\n`, 'host;x-amz-date', hash(body)].join('\n');
      const scope = `${date}/ap-northeast-1/execute-api/aws4_request`;
      const key = [date, 'ap-northeast-1', 'execute-api', 'aws4_request'].reduce(hmac, Buffer.from(`AWS4${secret}`));
      const signature = hmac(key, ['AWS4-HMAC-SHA256', amzDate, scope, hash(canonical)].join('\n')).toString('hex');
      return { 'x-amz-date': amzDate, authorization: `AWS4-HMAC-SHA256 Credential=local/${scope}, SignedHeaders=host;x-amz-date, Signature=${signature}` };
    }

    it('accepts a request signed over fewer headers, and refuses it when the body was changed', async () => {
      const url = new URL(`${relay.stack.endpoints.api}/aliases`);
      const body = JSON.stringify({ storeId: 'api-shop', orderId: 'C-1', customerEmail: CUSTOMER });
      const headers = { ...curlStyle('POST', url, body, 'local'), 'content-type': 'application/json' };
      expect((await fetch(url, { method: 'POST', headers, body })).status).toBe(201);
      expect((await fetch(url, { method: 'POST', headers, body: body.replace('C-1', 'C-2') })).status).toBe(403);
      expect((await fetch(url, { method: 'POST', headers: { ...curlStyle('POST', url, body, 'not-local'), 'content-type': 'application/json' }, body })).status).toBe(403);
    });
  });
});
