import { describe, expect, it } from 'vitest';
import { temporaryPassword } from '../../../lambdas/menu/invitations';
import { historyPage, loginPage, messagesPage, sendersPage } from '../../../lambdas/menu/pages';
import { IDLE_TIMEOUT_MS, isCurrent, parseSessionCookie, sessionCookieValue } from '../../../lambdas/menu/sessions';
import { meetsPasswordPolicy } from '../../../lambdas/menu/sign-in';
import { chooseLang, jst } from '../../../lambdas/menu/texts';

const render = async (markup: ReturnType<typeof loginPage>): Promise<string> => String(await markup);

describe('menu pages', () => {
  it('escape everything they show, so stored text can never become markup', async () => {
    const hostile = '"><script>alert(1)</script>@x.example';
    const senders = await render(sendersPage({ lang: 'en', base: '', storeId: 'shop', csrfToken: 'token' }, [{ senderId: 'snd_1', address: hostile, status: 'pending', createdAt: '2026-12-07T00:00:00Z' }]));
    expect(senders).not.toContain('<script>');
    expect(senders).toContain('&lt;script&gt;');
    const login = await render(loginPage({ lang: 'en', base: '', csrfToken: 'token' }, '"><img src=x>'));
    expect(login).not.toContain('<img');
  });

  it('have no inline script or style for the Content-Security-Policy to allow', async () => {
    const pages = [
      await render(loginPage({ lang: 'ja', base: '', csrfToken: 't' })),
      await render(historyPage({ lang: 'ja', base: '', storeId: 's', csrfToken: 't' }, [{ at: '2026-12-07T00:00:00Z', clientIp: '127.0.0.1', action: 'login', result: 'success' }])),
      await render(messagesPage({ lang: 'en', base: '', storeId: 's', csrfToken: 't' }, [{ at: '2026-12-07T00:00:00Z', direction: 'merchant_to_customer', alias: 'c-abc', outcome: 'refused', reason: 'unregistered_sender', sizeBytes: 10 }])),
    ];
    for (const html of pages) {
      expect(html).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
      expect(html).toContain('<link rel="stylesheet" href="/assets/menu.css">');
    }
  });

  it('serve every link, form and stylesheet under the base path, for the menu under an API stage', async () => {
    const html = await render(sendersPage({ lang: 'en', base: '/v1', storeId: 'shop', csrfToken: 't' }, [{ senderId: 'snd_1', address: 'a@b.example', status: 'verified', createdAt: '' }]));
    const targets = [...html.matchAll(/(?:href|action)="([^"?][^"]*)"/g)].map((match) => match[1]);
    expect(targets.length).toBeGreaterThan(6);
    for (const target of targets) expect(target).toMatch(/^\/v1\//);
  });

  it('put the CSRF token in every form of a signed-in page', async () => {
    const html = await render(sendersPage({ lang: 'en', base: '', storeId: 'shop', csrfToken: 'tok-123' }, [{ senderId: 'snd_1', address: 'a@b.example', status: 'verified', createdAt: '' }]));
    const forms = html.match(/<form[\s\S]*?<\/form>/g) ?? [];
    expect(forms).toHaveLength(2);
    for (const form of forms) expect(form).toContain('name="csrf" value="tok-123"');
  });

  it('show times in Japan time and speak Japanese unless asked for English', async () => {
    expect(jst('2026-12-07T15:30:00Z')).toBe('2026/12/08 00:30:00');
    expect(chooseLang(undefined, undefined, undefined)).toBe('ja');
    expect(chooseLang(undefined, undefined, 'en-US,en;q=0.9')).toBe('en');
    expect(chooseLang(undefined, undefined, 'ja,en;q=0.9')).toBe('ja');
    expect(chooseLang(undefined, 'en', 'ja')).toBe('en');
    expect(chooseLang('ja', 'en', 'en')).toBe('ja');
    expect(await render(loginPage({ lang: 'ja', base: '', csrfToken: 't' }))).toContain('>ログイン</button>');
  });
});

describe('menu sessions and invitations', () => {
  it('read back the cookie they write, for store IDs with dots, and nothing malformed', () => {
    const secret = 'A'.repeat(43);
    expect(parseSessionCookie(sessionCookieValue('shop.jp', secret))).toEqual({ storeId: 'shop.jp', secret });
    for (const bad of [undefined, '', 'shop', 'shop.short', `.${secret}`]) expect(parseSessionCookie(bad)).toBeUndefined();
  });

  it('end a signed-in session after 30 idle minutes', () => {
    const session = { storeId: 's', secretHash: 'h', state: 'signed_in' as const, csrfToken: 't', lastSeenAt: 0 };
    expect(isCurrent(session, new Date(IDLE_TIMEOUT_MS - 1))).toBe(true);
    expect(isCurrent(session, new Date(IDLE_TIMEOUT_MS))).toBe(false);
    expect(isCurrent({ ...session, state: 'new_password' }, new Date(5 * 60_000))).toBe(false);
  });

  it('make temporary passwords that meet the pool policy and never repeat', () => {
    const passwords = Array.from({ length: 500 }, temporaryPassword);
    expect(new Set(passwords).size).toBe(passwords.length);
    for (const password of passwords) expect(meetsPasswordPolicy(password)).toBe(true);
  });
});
