import { describe, expect, it } from 'vitest';
import { LOCKOUT } from '../../../lambdas/menu/lockout';
import type { IdentityProvider, LoginThrottle, SignInOutcome } from '../../../lambdas/menu/ports';
import { answerMfa, meetsPasswordPolicy, setFirstPassword, signIn } from '../../../lambdas/menu/sign-in';

/** The throttle's contract as the DynamoDB adapter keeps it: a count per window, a lock at the limit. */
class MemoryThrottle implements LoginThrottle {
  readonly counters = new Map<string, { windowStart: number; failures: number; lockedUntil?: number }>();

  async lockedUntil(key: string, now: Date): Promise<number | undefined> {
    const until = this.counters.get(key)?.lockedUntil;
    return until !== undefined && until > now.getTime() ? until : undefined;
  }

  async recordFailure(key: string, now: Date, window: { startsAfter: Date; limit: number; lockUntil: Date }): Promise<void> {
    const counter = this.counters.get(key);
    const current = counter && counter.windowStart > window.startsAfter.getTime() ? { ...counter, failures: counter.failures + 1 } : { windowStart: now.getTime(), failures: 1 };
    this.counters.set(key, current.failures >= window.limit ? { ...current, lockedUntil: window.lockUntil.getTime() } : current);
  }

  async clear(key: string): Promise<void> {
    this.counters.delete(key);
  }
}

/** One account per store ID with its password; counts how often it was asked. */
class Accounts implements IdentityProvider {
  calls = 0;
  constructor(private readonly passwords: Record<string, string>) {}

  async signIn(storeId: string, password: string): Promise<SignInOutcome> {
    this.calls += 1;
    return this.passwords[storeId] === password ? { kind: 'signed_in', accessToken: 'token' } : { kind: 'rejected' };
  }
  async completeNewPassword(): Promise<SignInOutcome> {
    this.calls += 1;
    return { kind: 'signed_in', accessToken: 'token' };
  }
  async answerMfa(_storeId: string, _challenge: string, code: string): Promise<SignInOutcome> {
    this.calls += 1;
    return code === '123456' ? { kind: 'signed_in', accessToken: 'token' } : { kind: 'mfa_rejected' };
  }
  async totpEnabled(): Promise<boolean> {
    return false;
  }
  async startTotpSetup(): Promise<string> {
    return 'SECRET';
  }
  async finishTotpSetup(): Promise<boolean> {
    return true;
  }
  async invite(): Promise<{ created: boolean }> {
    return { created: true };
  }
  async deleteAccount(): Promise<boolean> {
    return true;
  }
  async hasAccount(): Promise<boolean> {
    return true;
  }
}

const T0 = new Date('2026-12-07T03:00:00Z');
const minutes = (n: number): Date => new Date(T0.getTime() + n * 60_000);

describe('signIn', () => {
  it('locks a store ID after five failures within 15 minutes, without asking the identity service again', async () => {
    const identity = new Accounts({ shop: 'Right-password-1!' });
    const throttle = new MemoryThrottle();
    for (let i = 0; i < LOCKOUT.failuresPerStore; i += 1) {
      expect((await signIn('shop', 'wrong', `198.51.100.${i}`, { identity, throttle, now: minutes(i) })).result).toBe('wrong_password');
    }
    const asked = identity.calls;
    const locked = await signIn('shop', 'Right-password-1!', '198.51.100.9', { identity, throttle, now: minutes(5) });
    expect(locked.result).toBe('locked');
    expect(locked.outcome).toEqual({ kind: 'locked', until: minutes(4 + 15) });
    expect(identity.calls).toBe(asked);

    expect((await signIn('shop', 'Right-password-1!', '198.51.100.9', { identity, throttle, now: minutes(4 + 15) })).result).toBe('success');
  });

  it('does not lock for five failures spread beyond the window', async () => {
    const identity = new Accounts({ shop: 'Right-password-1!' });
    const throttle = new MemoryThrottle();
    for (let i = 0; i < 5; i += 1) await signIn('shop', 'wrong', '198.51.100.1', { identity, throttle, now: minutes(i * 4) });
    expect((await signIn('shop', 'Right-password-1!', '198.51.100.1', { identity, throttle, now: minutes(17) })).result).toBe('success');
  });

  it('locks an IP address after twenty failures over any store IDs', async () => {
    const identity = new Accounts({ target: 'Right-password-1!' });
    const throttle = new MemoryThrottle();
    for (let i = 0; i < LOCKOUT.failuresPerIp; i += 1) await signIn(`shop-${i}`, 'wrong', '203.0.113.66', { identity, throttle, now: minutes(0) });
    expect((await signIn('target', 'Right-password-1!', '203.0.113.66', { identity, throttle, now: minutes(1) })).result).toBe('locked');
    expect((await signIn('target', 'Right-password-1!', '203.0.113.67', { identity, throttle, now: minutes(1) })).result).toBe('success');
  });

  it('clears the store count on success', async () => {
    const identity = new Accounts({ shop: 'Right-password-1!' });
    const throttle = new MemoryThrottle();
    for (let i = 0; i < 4; i += 1) await signIn('shop', 'wrong', '198.51.100.1', { identity, throttle, now: minutes(0) });
    await signIn('shop', 'Right-password-1!', '198.51.100.1', { identity, throttle, now: minutes(1) });
    expect((await signIn('shop', 'wrong', '198.51.100.1', { identity, throttle, now: minutes(2) })).result).toBe('wrong_password');
    expect((await signIn('shop', 'Right-password-1!', '198.51.100.1', { identity, throttle, now: minutes(3) })).result).toBe('success');
  });

  it('answers a malformed store ID or an empty password as a wrong password, without asking', async () => {
    const identity = new Accounts({});
    const throttle = new MemoryThrottle();
    for (const [storeId, password] of [['../admin', 'x'], ['', 'x'], ['shop', '']] as const) {
      expect((await signIn(storeId, password, '198.51.100.1', { identity, throttle, now: T0 })).outcome).toEqual({ kind: 'rejected' });
    }
    expect(identity.calls).toBe(0);
  });

  it('counts wrong one-time codes as failures', async () => {
    const identity = new Accounts({});
    const throttle = new MemoryThrottle();
    for (let i = 0; i < 5; i += 1) expect((await answerMfa('shop', 'challenge', '000000', '198.51.100.1', { identity, throttle, now: T0 })).result).toBe('mfa_failed');
    expect((await answerMfa('shop', 'challenge', '123456', '198.51.100.1', { identity, throttle, now: minutes(1) })).result).toBe('locked');
    expect((await answerMfa('other', 'challenge', 'abc', '198.51.100.2', { identity, throttle, now: T0 })).result).toBe('mfa_failed');
  });
});

describe('setFirstPassword', () => {
  it.each(['short-1A!', 'alllowercase-123!', 'ALLUPPERCASE-123!', 'NoDigitsHere-abc!', 'NoSymbols12345abc'])('refuses %s without asking the identity service', async (password) => {
    const identity = new Accounts({});
    const step = await setFirstPassword('shop', 'challenge', password, '198.51.100.1', { identity, throttle: new MemoryThrottle(), now: T0 });
    expect(step).toEqual({ outcome: { kind: 'password_too_weak' }, result: 'refused' });
    expect(identity.calls).toBe(0);
  });

  it('passes a password that meets the policy on', async () => {
    expect(meetsPasswordPolicy('Sakura-Menu-2026!')).toBe(true);
    const identity = new Accounts({});
    expect((await setFirstPassword('shop', 'challenge', 'Sakura-Menu-2026!', '198.51.100.1', { identity, throttle: new MemoryThrottle(), now: T0 })).result).toBe('success');
  });
});
