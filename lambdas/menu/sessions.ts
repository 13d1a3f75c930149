import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MenuSession } from './ports';

/** A signed-in session ends after thirty minutes without a request. */
export const IDLE_TIMEOUT_MS = 30 * 60_000;
/** A sign-in challenge lasts as long as the identity service keeps its continuation (three minutes). */
const CHALLENGE_TIMEOUT_MS = 3 * 60_000;

export const SESSION_COOKIE = 'anshin_session';
/** Double-submit CSRF cookie for the forms shown before a session exists (the login form). */
export const LOGIN_CSRF_COOKIE = 'anshin_login_csrf';

/** 256 random bits, URL-safe. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The cookie names the store, so the session is found in the store's partition and erased with it. */
export function sessionCookieValue(storeId: string, secret: string): string {
  return `${storeId}.${secret}`;
}

export function parseSessionCookie(value: string | undefined): { readonly storeId: string; readonly secret: string } | undefined {
  if (!value) return undefined;
  const dot = value.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const secret = value.slice(dot + 1);
  return /^[\w-]{43}$/.test(secret) ? { storeId: value.slice(0, dot), secret } : undefined;
}

/** How long a session in this state may go unused. */
export function timeoutOf(state: MenuSession['state']): number {
  return state === 'signed_in' ? IDLE_TIMEOUT_MS : CHALLENGE_TIMEOUT_MS;
}

export function isCurrent(session: MenuSession, now: Date): boolean {
  return now.getTime() - session.lastSeenAt < timeoutOf(session.state);
}

/** Constant-time comparison of a submitted CSRF token with the expected one. */
export function tokensMatch(expected: string, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(submitted));
}
