import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { RelayHarness } from '../integration/support/relay-harness';
import { launchChromium, screenshot, visible } from './support/chromium';
import type { HeadlessChromium } from './support/chromium';

/**
 * The local SES web inbox as a person reads it in Chromium: a relayed mail shows the rewritten To
 * header and, under it, where SES actually delivered it (the envelope).
 */

const STORE = { storeId: 'inbox-shop', contact: 'owner@inbox-shop.example', sender: 'news@inbox-shop.example' };
const CUSTOMER = 'hanako.inbox@example.com';

let relay: RelayHarness;
let chrome: HeadlessChromium;
let alias: IssueAliasResult;

beforeAll(async () => {
  relay = await RelayHarness.start();
  chrome = await launchChromium();
  await relay.cli(['store', 'create', '--store-id', STORE.storeId, '--contact', STORE.contact, '--sender', STORE.sender]);
  alias = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', STORE.storeId, '--order-id', 'I-1', '--customer', CUSTOMER]);
});

afterAll(async () => {
  await chrome?.close();
  await relay?.stop();
});

describe('the local web inbox', () => {
  it("shows a store's relayed mail with the customer's real address as its envelope destination", async () => {
    await relay.send({ envelope: { from: STORE.sender, to: [alias.address] }, from: STORE.sender, to: alias.address, subject: '発送のお知らせ', text: '本日発送しました。' });
    const context = await chrome.newContext();
    const page = await context.newPage();
    await page.goto(relay.stack.endpoints.outbox);
    const mail = page.locator('.email').filter({ hasText: '発送のお知らせ' });
    await visible(mail);
    const text = await mail.innerText();
    expect(text).toContain(`配送先 / Delivered to (envelope): ${CUSTOMER}`);
    expect(text).toMatch(/To: .*c-[0-9a-z]{12}@/);
    await screenshot(page, 'inbox-01-envelope');
    await context.close();
  });
});
