import { STORE_ID_PATTERN } from '../aliases/identifiers';
import { clearStoreFailures, countFailure, lockedUntil } from './lockout';
import type { AccessResult, IdentityProvider, LoginThrottle, SignInOutcome } from './ports';

export interface SignInDeps {
  readonly identity: IdentityProvider;
  readonly throttle: LoginThrottle;
  readonly now: Date;
}

/** One step of signing in, and the login-history result it is recorded with. */
export interface SignInStep {
  readonly outcome: SignInOutcome | { readonly kind: 'locked'; readonly until: Date };
  readonly result: AccessResult;
}

const RESULT_OF: Record<SignInOutcome['kind'], AccessResult> = {
  signed_in: 'success',
  new_password_required: 'challenged',
  mfa_required: 'challenged',
  rejected: 'wrong_password',
  mfa_rejected: 'mfa_failed',
  password_too_weak: 'refused',
};

async function settle(storeId: string, clientIp: string, outcome: SignInOutcome, deps: SignInDeps): Promise<SignInStep> {
  if (outcome.kind === 'rejected' || outcome.kind === 'mfa_rejected') await countFailure(deps.throttle, storeId, clientIp, deps.now);
  if (outcome.kind === 'signed_in') await clearStoreFailures(deps.throttle, storeId);
  return { outcome, result: RESULT_OF[outcome.kind] };
}

async function unlessLocked(storeId: string, clientIp: string, deps: SignInDeps, attempt: () => Promise<SignInOutcome>): Promise<SignInStep> {
  const until = await lockedUntil(deps.throttle, storeId, clientIp, deps.now);
  if (until) return { outcome: { kind: 'locked', until }, result: 'locked' };
  return settle(storeId, clientIp, await attempt(), deps);
}

/**
 * Store ID and password. A locked store ID or IP address is refused before the identity service is
 * asked; a malformed store ID is answered as a wrong password, so the answer never tells which
 * part was wrong.
 */
export async function signIn(storeId: string, password: string, clientIp: string, deps: SignInDeps): Promise<SignInStep> {
  return unlessLocked(storeId, clientIp, deps, async () =>
    STORE_ID_PATTERN.test(storeId) && password.length > 0 ? deps.identity.signIn(storeId, password, clientIp) : { kind: 'rejected' },
  );
}

/**
 * The user pool's password policy: at least 12 characters, upper and lower case, a digit and a
 * symbol. Checked here as well, so the answer is the same whichever identity service is behind.
 */
export function meetsPasswordPolicy(password: string): boolean {
  return password.length >= 12 && password.length <= 256 && /[A-Z]/.test(password) && /[a-z]/.test(password) && /\d/.test(password) && /[^A-Za-z0-9]/.test(password);
}

export async function setFirstPassword(storeId: string, challenge: string, newPassword: string, clientIp: string, deps: SignInDeps): Promise<SignInStep> {
  if (!meetsPasswordPolicy(newPassword)) return { outcome: { kind: 'password_too_weak' }, result: 'refused' };
  return unlessLocked(storeId, clientIp, deps, () => deps.identity.completeNewPassword(storeId, challenge, newPassword));
}

export async function answerMfa(storeId: string, challenge: string, code: string, clientIp: string, deps: SignInDeps): Promise<SignInStep> {
  return unlessLocked(storeId, clientIp, deps, async () => (/^\d{6}$/.test(code) ? deps.identity.answerMfa(storeId, challenge, code) : { kind: 'mfa_rejected' }));
}
