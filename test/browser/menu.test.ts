import { generate } from 'otplib';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { DynamoAccessLog } from '../../lambdas/menu/aws/dynamo-access-log';
import { DEFAULT_CONFIG } from '../../lib/config';
import { RelayHarness } from '../integration/support/relay-harness';
import { follow, launchChromium, screenshot, textOf, visible } from './support/chromium';
import type { HeadlessChromium } from './support/chromium';

/**
 * The merchant menu as a store uses it, in headless Chromium: by the accessible names of its
 * controls, against the whole local stack (cognito-local holding the accounts, the relay behind).
 */

const SHOP = { storeId: 'sakura-menu', contact: 'owner@sakura-menu.example', sender: 'news@sakura-menu.example' };
const NEW_SENDER = 'support@sakura-menu.example';
const PENDING_SENDER = 'sales@sakura-menu.example';
const CUSTOMER = 'hanako.customer@example.com';
const NEW_PASSWORD = 'Sakura-Menu-2026!';

let relay: RelayHarness;
let chrome: HeadlessChromium;
let alias: IssueAliasResult;

const menuUrl = (path: string): string => `${relay.stack.endpoints.menu}${path}`;

async function createStore(storeId: string, contact: string, sender: string): Promise<void> {
  await relay.cli(['store', 'create', '--store-id', storeId, '--name', 'さくら雑貨店', '--contact', contact, '--sender', sender]);
}

/** The temporary password from the newest invitation mailed to `contact`. */
async function temporaryPassword(contact: string): Promise<string> {
  const invitation = (await relay.notices(contact)).filter((notice) => notice.subject.includes('Your store menu account')).at(-1);
  const password = /Temporary password: (\S+)/.exec(invitation?.text ?? '')?.[1];
  if (!password) throw new Error(`no invitation for ${contact}`);
  return password;
}

async function logIn(page: Page, storeId: string, password: string): Promise<void> {
  await page.goto(menuUrl('/login'));
  await page.getByLabel('Store ID').fill(storeId);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await follow(page, page.getByRole('button', { name: 'Log in' }));
}

/** A signed-in context for SHOP, its password already set by the first test. */
async function signedIn(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chrome.newContext();
  const page = await context.newPage();
  await logIn(page, SHOP.storeId, NEW_PASSWORD);
  await visible(page.getByRole('heading', { name: 'Senders' }));
  return { context, page };
}

beforeAll(async () => {
  relay = await RelayHarness.start();
  chrome = await launchChromium();
  await createStore(SHOP.storeId, SHOP.contact, SHOP.sender);
  alias = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', SHOP.storeId, '--order-id', 'A-1001', '--customer', CUSTOMER]);
});

afterAll(async () => {
  await chrome?.close();
  await relay?.stop();
});

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('the merchant menu in a browser', () => {
    it('takes a first login through setting a new password, and shows it in the login history from 127.0.0.1', async () => {
      const context = await chrome.newContext();
      const page = await context.newPage();
      await page.goto(menuUrl('/login'));
      await screenshot(page, '01-login');

      await logIn(page, SHOP.storeId, await temporaryPassword(SHOP.contact));
      await visible(page.getByRole('heading', { name: 'Set a new password' }));
      await screenshot(page, '02-new-password');
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
      await follow(page, page.getByRole('button', { name: 'Set password' }));

      await visible(page.getByRole('heading', { name: 'Senders' }));
      const nav = page.getByRole('navigation');
      for (const name of ['Senders', 'Aliases', 'Messages', 'Login history', 'Log out']) await visible(nav.getByRole('link', { name }));

      await follow(page, nav.getByRole('link', { name: 'Login history' }));
      const rows = page.getByRole('row');
      expect(await rows.filter({ hasText: '127.0.0.1' }).filter({ hasText: 'success' }).count()).toBe(1);
      await screenshot(page, '03-login-history');

      await context.close();

      // The temporary password is spent.
      const again = await chrome.newContext();
      const other = await again.newPage();
      await logIn(other, SHOP.storeId, await temporaryPassword(SHOP.contact));
      expect(await textOf(other.getByRole('alert'))).toBe('Store ID or password is incorrect');
      await again.close();
    });

    it('relays mail only from a sender verified by the link mailed to it', async () => {
      const { context, page } = await signedIn();
      await page.getByLabel('Sender address').fill(NEW_SENDER);
      await follow(page, page.getByRole('button', { name: 'Add sender' }));
      expect(await textOf(page.getByRole('status'))).toContain('verification mail was sent');
      expect(await textOf(page.getByRole('row').filter({ hasText: NEW_SENDER }))).toContain('pending');
      await page.getByLabel('Sender address').fill(PENDING_SENDER);
      await follow(page, page.getByRole('button', { name: 'Add sender' }));
      await screenshot(page, '04-senders-pending');

      const pendingMail = await relay.send({ from: NEW_SENDER, to: alias.address, subject: 'before verification', text: 'x' });
      expect((await relay.transmission(pendingMail.sesMessageId)).reason).toBe('unregistered_sender');

      const [verification] = await relay.notices(NEW_SENDER);
      const link = /(http:\/\/\S+\/verify\?\S+)/.exec(verification?.text ?? '')?.[1];
      expect(link).toBeDefined();
      const opened = await context.newPage();
      await opened.goto(link!);
      await visible(opened.getByRole('heading', { name: 'Sender verified' }));
      await screenshot(opened, '05-sender-verified');
      // Single use.
      await opened.goto(link!);
      await visible(opened.getByRole('heading', { name: 'This link is not valid' }));

      await page.reload();
      expect(await textOf(page.getByRole('row').filter({ hasText: NEW_SENDER }))).toContain('verified');
      expect(await textOf(page.getByRole('row').filter({ hasText: PENDING_SENDER }))).toContain('pending');
      await screenshot(page, '06-senders');

      const verifiedMail = await relay.send({ from: NEW_SENDER, to: alias.address, subject: 'after verification', text: 'x' });
      expect((await relay.transmission(verifiedMail.sesMessageId)).outcome).toBe('relayed');
      const stillPending = await relay.send({ from: PENDING_SENDER, to: alias.address, subject: 'never verified', text: 'x' });
      expect((await relay.transmission(stillPending.sesMessageId)).reason).toBe('unregistered_sender');
      await context.close();
    });

    it('shows aliases and messages, refusals with their reason, and no real address anywhere', async () => {
      await relay.send({ from: SHOP.sender, to: alias.address, subject: 'ご注文ありがとうございます', text: 'y' });
      const { context, page } = await signedIn();
      const secrets = [SHOP.contact, SHOP.sender, NEW_SENDER, PENDING_SENDER, CUSTOMER];

      await follow(page, page.getByRole('navigation').getByRole('link', { name: 'Aliases' }));
      const aliasRow = page.getByRole('row').filter({ hasText: alias.alias });
      expect(await textOf(aliasRow)).toContain('A-1001');
      expect(await textOf(aliasRow)).toContain('active');
      await screenshot(page, '07-aliases');
      for (const secret of secrets) expect((await page.content()).toLowerCase()).not.toContain(secret);

      await follow(page, page.getByRole('navigation').getByRole('link', { name: 'Messages' }));
      expect(await page.getByRole('row').filter({ hasText: 'unregistered_sender' }).count()).toBeGreaterThan(0);
      expect(await page.getByRole('row').filter({ hasText: 'relayed' }).count()).toBeGreaterThan(0);
      await screenshot(page, '08-messages');
      const html = (await page.content()).toLowerCase();
      for (const secret of [...secrets, 'ご注文ありがとうございます']) expect(html).not.toContain(secret.toLowerCase());

      await follow(page, page.getByRole('navigation').getByRole('link', { name: 'Aliases' }));
      await follow(page, page.getByRole('button', { name: `Disable ${alias.alias}` }));
      expect(await textOf(page.getByRole('status'))).toBe('The alias was disabled');
      expect(await textOf(page.getByRole('row').filter({ hasText: alias.alias }))).toContain('disabled');
      await context.close();
    });

    it('refuses a form posted without its CSRF token', async () => {
      const { context, page } = await signedIn();
      const response = await page.request.post(menuUrl('/senders'), { form: { address: 'forged@sakura-menu.example' }, maxRedirects: 0 });
      expect(response.status()).toBe(403);
      const wrongToken = await page.request.post(menuUrl('/senders'), { form: { address: 'forged@sakura-menu.example', csrf: 'x'.repeat(43) }, maxRedirects: 0 });
      expect(wrongToken.status()).toBe(403);
      await page.reload();
      expect(await page.getByRole('row').filter({ hasText: 'forged@' }).count()).toBe(0);
      await context.close();
    });

    it('ends the session on log out', async () => {
      const { context, page } = await signedIn();
      await follow(page, page.getByRole('navigation').getByRole('link', { name: 'Log out' }));
      await visible(page.getByRole('heading', { name: 'Log in' }));
      await page.goto(menuUrl('/senders'));
      await visible(page.getByRole('heading', { name: 'Log in' }));
      await context.close();
    });

    it('locks a store ID after five wrong passwords, says so, and records each attempt', async () => {
      const locked = { storeId: 'lock-test', contact: 'owner@lock-test.example', sender: 'news@lock-test.example' };
      await createStore(locked.storeId, locked.contact, locked.sender);
      const context = await chrome.newContext();
      const page = await context.newPage();
      for (let attempt = 0; attempt < 5; attempt += 1) {
        await logIn(page, locked.storeId, `Wrong-password-${attempt}!`);
        expect(await textOf(page.getByRole('alert'))).toBe('Store ID or password is incorrect');
      }
      await logIn(page, locked.storeId, await temporaryPassword(locked.contact));
      expect(await textOf(page.getByRole('alert'))).toContain('locked for 15 minutes');
      await screenshot(page, '09-locked');
      await context.close();

      const log = new DynamoAccessLog(relay.stack.clients.dynamodb, relay.stack.endpoints.tables.access, DEFAULT_CONFIG.retention.classes.access.retentionDays);
      const results = (await log.logins(locked.storeId, 10)).map((login) => [login.result, login.clientIp]);
      expect(results).toEqual([['locked', '127.0.0.1'], ...Array.from({ length: 5 }, () => ['wrong_password', '127.0.0.1'])]);
    });

    it('lets an operator hand over a new temporary password, mailed too, with which the store sets its own', async () => {
      const invited = { storeId: 'invite-test', contact: 'owner@invite-test.example', sender: 'news@invite-test.example' };
      await createStore(invited.storeId, invited.contact, invited.sender);
      const first = await temporaryPassword(invited.contact);
      const invitation = await relay.cli<{ storeId: string; temporaryPassword: string; created: boolean }>(['store', 'invite', '--store-id', invited.storeId]);
      expect(invitation).toMatchObject({ storeId: invited.storeId, created: false });
      expect(invitation.temporaryPassword).not.toBe(first);
      expect(await temporaryPassword(invited.contact)).toBe(invitation.temporaryPassword);

      const context = await chrome.newContext();
      const page = await context.newPage();
      await logIn(page, invited.storeId, first);
      expect(await textOf(page.getByRole('alert'))).toBe('Store ID or password is incorrect');
      await logIn(page, invited.storeId, invitation.temporaryPassword);
      await visible(page.getByRole('heading', { name: 'Set a new password' }));
      await page.getByLabel('New password', { exact: true }).fill('short');
      await page.getByLabel('Confirm new password').fill('short');
      // The browser's own check (minlength) would stop this form; the server's is what is tested.
      await page.locator('form').evaluate((form) => form.setAttribute('novalidate', ''));
      await follow(page, page.getByRole('button', { name: 'Set password' }));
      expect(await textOf(page.getByRole('alert'))).toBe('The password does not meet the requirements');
      await context.close();
    });

    it('turns on two-step verification with an authenticator app, then asks every login for its code', async () => {
      const secure = { storeId: 'totp-test', contact: 'owner@totp-test.example', sender: 'news@totp-test.example' };
      await createStore(secure.storeId, secure.contact, secure.sender);
      const context = await chrome.newContext();
      const page = await context.newPage();
      await logIn(page, secure.storeId, await temporaryPassword(secure.contact));
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
      await follow(page, page.getByRole('button', { name: 'Set password' }));

      await follow(page, page.getByRole('navigation').getByRole('link', { name: 'Two-step verification' }));
      expect(await textOf(page.getByRole('main'))).toContain('Two-step verification is off');
      await follow(page, page.getByRole('button', { name: 'Set up authenticator app' }));
      const secret = (await textOf(page.locator('code.secret'))).replace(/\s/g, '');
      await screenshot(page, '11-two-step-setup');
      await page.getByLabel('One-time code').fill(await generate({ secret }));
      await follow(page, page.getByRole('button', { name: 'Turn on' }));
      expect(await textOf(page.getByRole('status'))).toBe('Two-step verification is on');
      await follow(page, page.getByRole('navigation').getByRole('link', { name: 'Log out' }));

      await logIn(page, secure.storeId, NEW_PASSWORD);
      await visible(page.getByRole('heading', { name: 'One-time code' }));
      await page.getByLabel('One-time code').fill('000000');
      await follow(page, page.getByRole('button', { name: 'Verify' }));
      expect(await textOf(page.getByRole('alert'))).toBe('The code is incorrect');
      await page.getByLabel('One-time code').fill(await generate({ secret }));
      await follow(page, page.getByRole('button', { name: 'Verify' }));
      await visible(page.getByRole('heading', { name: 'Senders' }));

      await follow(page, page.getByRole('navigation').getByRole('link', { name: 'Login history' }));
      const results = await page.getByRole('row').allInnerTexts();
      expect(results.slice(1, 4).map((row) => row.split('\t').at(-1)?.trim())).toEqual(['success', 'MFA failed', 'further step required']);
      await context.close();
    });

    it("lets a customer stop a store's mail from the link in it, in one click, and undo it", async () => {
      const customer = 'jiro.customer@example.com';
      const jiros = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', SHOP.storeId, '--order-id', 'A-2001', '--customer', customer]);
      const storeMail = async () => relay.send({ from: SHOP.sender, to: jiros.address, subject: '新商品のお知らせ', text: 'z' });
      const first = await relay.transmission((await storeMail()).sesMessageId);
      const { headerText } = await relay.outbound(first.outboundMessageId ?? '');
      const url = /^List-Unsubscribe: <([^>]+)>$/m.exec(headerText)?.[1] ?? '';
      expect(url.startsWith(menuUrl('/unsubscribe/'))).toBe(true);
      expect(headerText).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

      const context = await chrome.newContext();
      const page = await context.newPage();
      await page.goto(url);
      await visible(page.getByRole('heading', { name: "Stop this store's mail" }));
      await screenshot(page, '13-unsubscribe');
      // Opening the link alone blocks nothing: mail scanners follow links.
      expect(await relay.transmission((await storeMail()).sesMessageId)).toMatchObject({ outcome: 'relayed' });

      await follow(page, page.getByRole('button', { name: 'Stop the mail' }));
      await visible(page.getByRole('heading', { name: 'Mail stopped' }));
      await screenshot(page, '14-unsubscribed');
      expect(await relay.transmission((await storeMail()).sesMessageId)).toMatchObject({ outcome: 'refused', reason: 'customer_blocked', storeId: SHOP.storeId });

      await follow(page, page.getByRole('button', { name: 'Undo' }));
      await visible(page.getByRole('heading', { name: 'Mail resumed' }));
      expect(await relay.transmission((await storeMail()).sesMessageId)).toMatchObject({ outcome: 'relayed' });

      // A mail client's one-click unsubscribe (RFC 8058): a POST with no session, no cookie, no page.
      const oneClick = await page.request.post(url, { form: { 'List-Unsubscribe': 'One-Click' }, maxRedirects: 0 });
      expect(oneClick.status()).toBe(200);
      expect(await relay.transmission((await storeMail()).sesMessageId)).toMatchObject({ outcome: 'refused', reason: 'customer_blocked' });
      expect((await page.request.get(`${url.slice(0, -4)}0000`)).status()).toBe(404);
      for (const secret of [customer, SHOP.sender, SHOP.contact]) expect((await page.content()).toLowerCase()).not.toContain(secret);
      await context.close();
    });

    it('speaks Japanese by default', async () => {
      const context = await chrome.browser.newContext({ locale: 'ja-JP' });
      const page = await context.newPage();
      await page.goto(menuUrl('/login'));
      await visible(page.getByRole('button', { name: 'ログイン' }));
      await visible(page.getByLabel('店舗ID'));
      await screenshot(page, '10-login-ja');
      await context.close();
    });

    it('loses the menu account, its sessions, access log and login history when the store is destroyed', async () => {
      const { context, page } = await signedIn();
      const receipt = await relay.cli<{ counts: Record<string, number>; verified: boolean }>(['destroy', '--store-id', SHOP.storeId, '--yes']);
      expect(receipt.verified).toBe(true);
      expect(receipt.counts.access).toBeGreaterThan(1);

      const log = new DynamoAccessLog(relay.stack.clients.dynamodb, relay.stack.endpoints.tables.access, DEFAULT_CONFIG.retention.classes.access.retentionDays);
      expect(await log.logins(SHOP.storeId, 10)).toEqual([]);
      // The open session went with the store.
      await page.goto(menuUrl('/senders'));
      await visible(page.getByRole('heading', { name: 'Log in' }));
      await logIn(page, SHOP.storeId, NEW_PASSWORD);
      expect(await textOf(page.getByRole('alert'))).toBe('Store ID or password is incorrect');
      await context.close();
    });
  });
});
