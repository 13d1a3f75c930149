/** What the merchant menu needs from the outside world; adapters live in `aws/`. */

/** How one sign-in step ended, as the identity service answered it. */
export type SignInOutcome =
  /** `accessToken` lets the signed-in store change its own account (its authenticator app). */
  | { readonly kind: 'signed_in'; readonly accessToken: string }
  /** First login: the temporary password worked and a new one must be set; `challenge` continues it. */
  | { readonly kind: 'new_password_required'; readonly challenge: string }
  | { readonly kind: 'mfa_required'; readonly challenge: string }
  /** Wrong store ID or password; never says which. */
  | { readonly kind: 'rejected' }
  /** A wrong one-time code. */
  | { readonly kind: 'mfa_rejected' }
  /** The new password does not meet the pool's policy. */
  | { readonly kind: 'password_too_weak' };

/** The stores' menu accounts, held by a managed identity service: the project never stores a password. */
export interface IdentityProvider {
  /** `clientIp` is the browser's address, for the identity service's own risk checks. */
  signIn(storeId: string, password: string, clientIp: string): Promise<SignInOutcome>;
  completeNewPassword(storeId: string, challenge: string, newPassword: string): Promise<SignInOutcome>;
  answerMfa(storeId: string, challenge: string, code: string): Promise<SignInOutcome>;
  /** Whether the signed-in store has an authenticator app (TOTP) turned on. */
  totpEnabled(accessToken: string): Promise<boolean>;
  /** Starts setting up an authenticator app: the shared secret (Base32) to enter into it. */
  startTotpSetup(accessToken: string): Promise<string>;
  /** Finishes it with a code from the app; false when the code is wrong. */
  finishTotpSetup(accessToken: string, code: string): Promise<boolean>;
  /** Creates the account with a temporary password, or gives an existing one a new temporary password. */
  invite(storeId: string, temporaryPassword: string): Promise<{ readonly created: boolean }>;
  /** True when an account was there to delete. */
  deleteAccount(storeId: string): Promise<boolean>;
  hasAccount(storeId: string): Promise<boolean>;
}

/** A signed-in browser, or one half-way through a sign-in challenge. */
export interface MenuSession {
  readonly storeId: string;
  /** SHA-256 of the cookie's secret: the secret itself is never stored. */
  readonly secretHash: string;
  readonly state: 'signed_in' | 'new_password' | 'mfa';
  /** The identity service's continuation of a challenge (`new_password`, `mfa` only). */
  readonly challenge?: string;
  /** The identity service's access token of a signed-in session, for changes to the store's own account. */
  readonly accessToken?: string;
  readonly csrfToken: string;
  /** Epoch milliseconds of the last request. */
  readonly lastSeenAt: number;
}

export interface SessionStore {
  put(session: MenuSession, expiresAt: Date): Promise<void>;
  get(storeId: string, secretHash: string): Promise<MenuSession | undefined>;
  touch(storeId: string, secretHash: string, at: Date, expiresAt: Date): Promise<void>;
  remove(storeId: string, secretHash: string): Promise<void>;
}

/** Failed sign-ins per key (a store ID or an IP address) in a window, and the lock they lead to. */
export interface LoginThrottle {
  /** Epoch milliseconds until which the key is locked, if it is. */
  lockedUntil(key: string, now: Date): Promise<number | undefined>;
  /** Counts one failure; locks the key until `lockUntil` once `limit` failures fall in the window. */
  recordFailure(key: string, now: Date, window: { readonly startsAfter: Date; readonly limit: number; readonly lockUntil: Date }): Promise<void>;
  clear(key: string): Promise<void>;
}

/** Result of one menu request as the access log keeps it. */
export type AccessResult =
  /** Sign-in results, shown in the login history. */
  | 'success'
  | 'wrong_password'
  | 'locked'
  | 'mfa_failed'
  /** The password was right and the identity service asks for a new password or a one-time code. */
  | 'challenged'
  /** Any other request: answered, refused (no session, a bad CSRF token, invalid input), or failed. */
  | 'ok'
  | 'refused'
  | 'error';

export interface AccessEntry {
  /** Absent when the request named no store and carried no session. */
  readonly storeId?: string;
  readonly at: Date;
  readonly clientIp: string;
  /** The page or action (`GET /senders`, `login`), never its parameters. */
  readonly action: string;
  readonly result: AccessResult;
}

export interface AccessLogEntry {
  readonly at: string;
  readonly clientIp: string;
  readonly action: string;
  readonly result: AccessResult;
}

export interface AccessLog {
  record(entry: AccessEntry): Promise<void>;
  /** The store's login attempts, newest first. */
  logins(storeId: string, limit: number): Promise<AccessLogEntry[]>;
}

/** Single-use sender verification links, kept as a hash of their token. */
export interface VerificationTokens {
  put(token: { readonly storeId: string; readonly tokenHash: string; readonly addressHash: string; readonly expiresAt: Date }): Promise<void>;
  /** The address hash the token was issued for, consuming it; undefined when unknown, used or expired. */
  take(storeId: string, tokenHash: string, now: Date): Promise<string | undefined>;
}

/** A plain-text notice from the service (invitation, verification link) to one address. */
export interface Notice {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface NoticeMailer {
  send(notice: Notice): Promise<void>;
}
