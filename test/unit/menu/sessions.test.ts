import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { IdentityProvider, MenuSession, Notice } from '../../../lambdas/menu/ports';
import { inviteStore, temporaryPassword } from '../../../lambdas/menu/invitations';
import { hashSecret, IDLE_TIMEOUT_MS, isCurrent, newSecret, parseSessionCookie, sessionCookieValue, tokensMatch } from '../../../lambdas/menu/sessions';

/** The menu's own rules for secrets, cookies, sessions and temporary passwords. */

describe('menu sessions', () => {
  it('makes 256-bit URL-safe secrets and keeps only their SHA-256', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^[\w-]{43}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(newSecret()).not.toBe(secret);
    expect(hashSecret(secret)).toBe(createHash('sha256').update(secret, 'utf8').digest('hex'));
    expect(hashSecret('秘密')).toBe(createHash('sha256').update(Buffer.from('秘密', 'utf8')).digest('hex'));
  });

  it('reads back the cookie it writes, and nothing with a malformed secret or no store', () => {
    const secret = newSecret();
    expect(parseSessionCookie(sessionCookieValue('shop.1', secret))).toEqual({ storeId: 'shop.1', secret });
    for (const value of [undefined, '', secret, `.${secret}`, `shop-1.${secret}x`, `shop-1.x${secret}`, `shop-1.${secret.slice(1)}`, `shop-1.${secret.slice(0, 42)}!`]) {
      expect(parseSessionCookie(value)).toBeUndefined();
    }
  });

  it('keeps a signed-in session for thirty idle minutes and a sign-in challenge for three', () => {
    const seen = Date.parse('2025-05-01T00:00:00Z');
    const session = (state: MenuSession['state']): MenuSession => ({ storeId: 'shop-1', secretHash: 'h', state, lastSeenAt: seen }) as MenuSession;
    const after = (ms: number) => new Date(seen + ms);
    expect(IDLE_TIMEOUT_MS).toBe(30 * 60_000);
    expect(isCurrent(session('signed_in'), after(30 * 60_000 - 1))).toBe(true);
    expect(isCurrent(session('signed_in'), after(30 * 60_000))).toBe(false);
    for (const state of ['new_password', 'mfa'] as const) {
      expect(isCurrent(session(state), after(3 * 60_000 - 1))).toBe(true);
      expect(isCurrent(session(state), after(3 * 60_000))).toBe(false);
    }
  });

  it('matches a CSRF token only when it is the same string', () => {
    const token = newSecret();
    expect(tokensMatch(token, token)).toBe(true);
    expect(tokensMatch(token, `${token.slice(0, 42)}${token.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(tokensMatch(token, token.slice(1))).toBe(false);
    expect(tokensMatch(token, `${token}x`)).toBe(false);
    expect(tokensMatch(token, undefined)).toBe(false);
    expect(tokensMatch(token, [token])).toBe(false);
  });
});

describe('invitations', () => {
  it('make 20-character temporary passwords with every class the pool requires and none of the look-alikes', () => {
    const seen = new Set<string>();
    const positions = new Set<number>();
    for (let run = 0; run < 300; run += 1) {
      const password = temporaryPassword();
      expect(password).toHaveLength(20);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[2-9]/);
      expect(password).toMatch(/[!#$%&*+\-=?@^_]/);
      expect(password).toMatch(/^[A-HJ-NP-Za-km-z2-9!#$%&*+\-=?@^_]+$/);
      seen.add(password);
      positions.add(password.search(/[A-Z]/));
    }
    expect(seen.size).toBe(300);
    // Shuffled: the guaranteed upper-case letter is not always first.
    expect(positions.size).toBeGreaterThan(1);
  });

  it('give the store a temporary password, mail it with the store ID to the contact, and answer it once', async () => {
    const invited: [string, string][] = [];
    const sent: Notice[] = [];
    const identity = { invite: async (storeId: string, password: string) => (invited.push([storeId, password]), { created: invited.length === 1 }) } as unknown as IdentityProvider;
    const deps = { identity, mailer: { send: async (notice: Notice) => void sent.push(notice) }, menuUrl: 'https://menu.example.jp' };

    const first = await inviteStore('shop-1', 'owner@shop.example.jp', deps);
    const again = await inviteStore('shop-1', 'owner@shop.example.jp', deps);

    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(invited).toEqual([
      ['shop-1', first.temporaryPassword],
      ['shop-1', again.temporaryPassword],
    ]);
    expect(sent[0]?.to).toBe('owner@shop.example.jp');
    expect(sent[0]?.text).toContain(first.temporaryPassword);
    expect(sent[0]?.text).toContain('shop-1');
    expect(sent[0]?.text).toContain('https://menu.example.jp');
  });
});
