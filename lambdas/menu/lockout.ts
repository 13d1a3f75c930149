import type { LoginThrottle } from './ports';

/**
 * The menu's own lockout, in front of the identity service's: five failed sign-ins for one store ID,
 * or twenty from one IP address, within fifteen minutes lock further attempts for fifteen minutes.
 * A locked attempt never reaches the identity service, so it cannot be used to guess on.
 */
export const LOCKOUT = {
  failuresPerStore: 5,
  failuresPerIp: 20,
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
} as const;

const storeKey = (storeId: string): string => `store#${storeId}`;
const ipKey = (clientIp: string): string => `ip#${clientIp}`;

/** When the store ID or the IP address is locked, until when (the later of the two). */
export async function lockedUntil(throttle: LoginThrottle, storeId: string, clientIp: string, now: Date): Promise<Date | undefined> {
  const [store, ip] = await Promise.all([throttle.lockedUntil(storeKey(storeId), now), throttle.lockedUntil(ipKey(clientIp), now)]);
  const until = Math.max(store ?? 0, ip ?? 0);
  return until > now.getTime() ? new Date(until) : undefined;
}

export async function countFailure(throttle: LoginThrottle, storeId: string, clientIp: string, now: Date): Promise<void> {
  const startsAfter = new Date(now.getTime() - LOCKOUT.windowMs);
  const lockUntil = new Date(now.getTime() + LOCKOUT.lockMs);
  await Promise.all([
    throttle.recordFailure(storeKey(storeId), now, { startsAfter, limit: LOCKOUT.failuresPerStore, lockUntil }),
    throttle.recordFailure(ipKey(clientIp), now, { startsAfter, limit: LOCKOUT.failuresPerIp, lockUntil }),
  ]);
}

/** A successful sign-in clears the store's count; the IP's stays, as one IP may try many stores. */
export async function clearStoreFailures(throttle: LoginThrottle, storeId: string): Promise<void> {
  await throttle.clear(storeKey(storeId));
}
