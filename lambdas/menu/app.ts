import { randomBytes } from 'node:crypto';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { Logger } from '@aws-lambda-powertools/logger';
import { NO_METRICS, statusClass } from '../aws/metrics';
import type { FunctionMetrics } from '../aws/metrics';
import { DIMENSION, METRIC, SERVICES } from '../metric-names';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context as LambdaContext } from 'aws-lambda';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { handle } from 'hono/aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import { AliasNotFoundError, disableAlias } from '../aliases/administration';
import { DynamoAliasStore } from '../aliases/aws/dynamo-alias-store';
import { DynamoStoreDirectory } from '../aliases/aws/dynamo-store-directory';
import { STORE_ID_PATTERN } from '../aliases/identifiers';
import { InvalidRequestError, listSenders, removeSender, StoreNotFoundError, StoreTerminatedError } from '../aliases/stores';
import { KmsKeyService } from '../keys/aws/kms-key-service';
import { CachingKeyService } from '../keys/caching-key-service';
import { SesMailer } from '../relay/aws/ses-mailer';
import type { Mailer } from '../relay/ports';
import { summarize } from './activity';
import { CognitoIdentityProvider } from './aws/cognito-identity-provider';
import { DynamoAccessLog } from './aws/dynamo-access-log';
import { DynamoLoginThrottle } from './aws/dynamo-login-throttle';
import { DynamoSessions } from './aws/dynamo-sessions';
import { DynamoStoreActivity } from './aws/dynamo-store-activity';
import { DynamoVerificationTokens } from './aws/dynamo-verification-tokens';
import { ComposedNoticeMailer } from './notice-mailer';
import { aliasesPage, historyPage, loginPage, messagePage, messagesPage, mfaPage, newPasswordPage, securityPage, sendersPage, STYLESHEET, unsubscribePage, verificationPage } from './pages';
import { aliasOfUnsubscribeToken } from '../aliases/unsubscribe';
import type { Frame } from './pages';
import type { AccessResult, IdentityProvider, MenuSession } from './ports';
import { addSenderFromMenu, confirmSender } from './sender-verification';
import { hashSecret, isCurrent, LOGIN_CSRF_COOKIE, newSecret, parseSessionCookie, SESSION_COOKIE, sessionCookieValue, timeoutOf, tokensMatch } from './sessions';
import { answerMfa, setFirstPassword, signIn } from './sign-in';
import type { SignInStep } from './sign-in';
import { chooseLang } from './texts';
import type { Lang, TextKey } from './texts';

interface MenuSettings {
  readonly aliasesTable: string;
  readonly storesTable: string;
  readonly transmissionsTable: string;
  readonly accessTable: string;
  readonly dataKeyId: string;
  readonly hmacKeyId: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  /** The menu's public base URL, for links in mails (`https://menu.example.jp`). */
  readonly menuUrl: string;
  /** From address of the menu's notices (a no-reply address on the relay's domain). */
  readonly noticeSender: string;
  readonly accessRetentionDays: number;
  /** `Secure` on cookies: always behind API Gateway; off only for the local stack's plain HTTP. */
  readonly secureCookies: boolean;
}

export interface MenuDependencies {
  readonly clients: {
    readonly dynamodb: DynamoDBClient;
    readonly kms: KMSClient;
    readonly cognito: CognitoIdentityProviderClient;
    readonly ses: SESv2Client;
  };
  readonly settings: MenuSettings;
  /** Replaces the SES mailer (the local stack keeps a copy of what is sent). */
  readonly mailer?: Mailer;
  readonly clock?: () => Date;
  readonly logger?: Logger;
  readonly metrics?: FunctionMetrics;
}

/** What one request leaves in the access log; handlers fill in what they know. */
interface AccessNote {
  storeId?: string;
  action?: string;
  result?: AccessResult;
}

type MenuEnv = {
  Bindings: { event?: LambdaEvent; requestContext?: { identity?: { sourceIp?: string } } };
  Variables: { lang: Lang; session?: MenuSession; access: AccessNote };
};

type MenuContext = Context<MenuEnv>;

/** How many rows a list page shows. */
const PAGE_ROWS = 100;

/** `?done=` and `?error=` values a redirect may carry, and the text each shows: nothing else is echoed. */
const NOTICES: Record<string, TextKey> = { totp_enabled: 'totpEnabled', sender_added: 'senderAdded', sender_verified: 'senderAlreadyVerified', sender_removed: 'senderRemoved', alias_disabled: 'aliasDisabled' };
const ERRORS: Record<string, TextKey> = { last_sender: 'lastSender', wrong_code: 'mfaFailed' };

/**
 * The merchant menu: a store signs in with its store ID and password (held by Cognito), sees its
 * login history, senders, aliases and messages, and adds senders it then verifies by mail. Pages are
 * server-rendered HTML without script; every request is one access record.
 */
function createMenuApp(deps: MenuDependencies): Hono<MenuEnv> {
  const { clients, settings } = deps;
  const clock = deps.clock ?? (() => new Date());
  const logger = deps.logger ?? new Logger({ serviceName: SERVICES.menu });
  const metrics = deps.metrics ?? NO_METRICS;
  const identity: IdentityProvider = new CognitoIdentityProvider(clients.cognito, { userPoolId: settings.userPoolId, clientId: settings.userPoolClientId });
  const sessions = new DynamoSessions(clients.dynamodb, settings.accessTable);
  const throttle = new DynamoLoginThrottle(clients.dynamodb, settings.accessTable);
  const access = new DynamoAccessLog(clients.dynamodb, settings.accessTable, settings.accessRetentionDays);
  const stores = new DynamoStoreDirectory(clients.dynamodb, settings.storesTable);
  const aliases = new DynamoAliasStore(clients.dynamodb, settings.aliasesTable);
  const tokens = new DynamoVerificationTokens(clients.dynamodb, settings.storesTable);
  const activity = new DynamoStoreActivity(clients.dynamodb, { aliases: settings.aliasesTable, transmissions: settings.transmissionsTable });
  const keys = new CachingKeyService(new KmsKeyService(clients.kms, { dataKeyId: settings.dataKeyId, hmacKeyId: settings.hmacKeyId }));
  const mailer = new ComposedNoticeMailer(deps.mailer ?? new SesMailer(clients.ses), settings.noticeSender);
  // On API Gateway's own endpoint the menu lives under its stage (`/v1`); behind a custom domain or locally, at the root.
  const base = new URL(settings.menuUrl).pathname.replace(/\/+$/, '');
  const cookieOptions = { httpOnly: true, secure: settings.secureCookies, sameSite: 'Strict', path: `${base}/` } as const;

  const clientIp = (c: MenuContext): string => c.env?.requestContext?.identity?.sourceIp ?? 'unknown';
  const note = (c: MenuContext, entry: AccessNote): void => {
    Object.assign(c.get('access'), entry);
  };
  const frameOf = (c: MenuContext, extra: Partial<Frame> = {}): Frame => {
    const session = c.get('session');
    const signedIn = session?.state === 'signed_in' ? { storeId: session.storeId, csrfToken: session.csrfToken } : {};
    const notice = NOTICES[c.req.query('done') ?? ''];
    const error = ERRORS[c.req.query('error') ?? ''];
    return { lang: c.get('lang'), base, ...signedIn, ...(notice ? { notice } : {}), ...(error ? { error } : {}), ...extra };
  };

  const startSession = async (c: MenuContext, storeId: string, state: MenuSession['state'], held: { challenge?: string; accessToken?: string } = {}): Promise<void> => {
    const previous = c.get('session');
    if (previous) await sessions.remove(previous.storeId, previous.secretHash);
    const now = clock();
    const secret = newSecret();
    const session: MenuSession = {
      storeId,
      secretHash: hashSecret(secret),
      state,
      ...(held.challenge ? { challenge: held.challenge } : {}),
      ...(held.accessToken ? { accessToken: held.accessToken } : {}),
      csrfToken: newSecret(),
      lastSeenAt: now.getTime(),
    };
    await sessions.put(session, new Date(now.getTime() + timeoutOf(state)));
    setCookie(c, SESSION_COOKIE, sessionCookieValue(storeId, secret), cookieOptions);
    c.set('session', session);
  };

  const endSession = async (c: MenuContext): Promise<void> => {
    const session = c.get('session');
    if (session) await sessions.remove(session.storeId, session.secretHash);
    deleteCookie(c, SESSION_COOKIE, cookieOptions);
    c.set('session', undefined);
  };

  /** Where a sign-in step leads: a session of the right state and its page, or the login page again. */
  const afterSignInStep = async (c: MenuContext, storeId: string, step: SignInStep, retry: () => Response | Promise<Response>): Promise<Response> => {
    note(c, { result: step.result });
    const { outcome } = step;
    switch (outcome.kind) {
      case 'signed_in':
        await startSession(c, storeId, 'signed_in', { accessToken: outcome.accessToken });
        return c.redirect(`${base}/senders`, 303);
      case 'new_password_required':
        await startSession(c, storeId, 'new_password', { challenge: outcome.challenge });
        return c.redirect(`${base}/password`, 303);
      case 'mfa_required':
        await startSession(c, storeId, 'mfa', { challenge: outcome.challenge });
        return c.redirect(`${base}/mfa`, 303);
      case 'locked':
        await endSession(c);
        return loginForm(c, 429, storeId, outcome.until);
      case 'rejected':
        await endSession(c);
        return loginForm(c, 401, storeId, undefined, c.get('session') ? 'sessionExpired' : 'loginFailed');
      default:
        return retry();
    }
  };

  const loginForm = async (c: MenuContext, status: 200 | 401 | 403 | 429, storeId = '', lockedUntil?: Date, error?: TextKey): Promise<Response> => {
    // One token per browser, kept while it is there, so two open login tabs both work.
    const existing = getCookie(c, LOGIN_CSRF_COOKIE);
    const csrfToken = existing && /^[\w-]{43}$/.test(existing) ? existing : newSecret();
    setCookie(c, LOGIN_CSRF_COOKIE, csrfToken, cookieOptions);
    return c.html(loginPage(frameOf(c, { csrfToken, ...(error ? { error } : {}) }), STORE_ID_PATTERN.test(storeId) ? storeId : '', lockedUntil), status);
  };

  const formOf = async (c: MenuContext): Promise<Record<string, string>> => {
    const body = await c.req.parseBody();
    return Object.fromEntries(Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  };

  const refuse = async (c: MenuContext, status: 400 | 403 | 404, title: TextKey, message: TextKey): Promise<Response> => {
    note(c, { result: 'refused' });
    return c.html(await messagePage(frameOf(c), title, message), status);
  };

  const app = new Hono<MenuEnv>();

  // Every request is one access record, written once its result is known, whatever happened.
  app.use(async (c, next) => {
    const at = clock();
    c.set('access', {});
    c.set('lang', chooseLang(c.req.query('lang'), getCookie(c, 'anshin_lang'), c.req.header('accept-language')));
    await next();
    const noted = c.get('access');
    const storeId = noted.storeId ?? c.get('session')?.storeId;
    const result: AccessResult = noted.result ?? (c.error || c.res.status >= 500 ? 'error' : c.res.status >= 400 ? 'refused' : 'ok');
    const action = noted.action ?? `${c.req.method} ${c.req.routePath === '/*' ? '(unknown)' : c.req.routePath}`;
    try {
      await access.record({ ...(storeId ? { storeId } : {}), at, clientIp: clientIp(c), action, result });
    } catch (error) {
      logger.error('access_record_failed', { errorName: error instanceof Error ? error.name : 'unknown' });
    }
    metrics.countBy(METRIC.requests, DIMENSION.result, statusClass(c.res.status));
    if (action === 'login') metrics.countBy(METRIC.logins, DIMENSION.result, result);
    metrics.publish();
  });

  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      strictTransportSecurity: settings.secureCookies ? 'max-age=63072000; includeSubDomains' : false,
      referrerPolicy: 'no-referrer',
    }),
  );

  app.use(async (c, next) => {
    const lang = c.req.query('lang');
    if (lang === 'en' || lang === 'ja') setCookie(c, 'anshin_lang', lang, { ...cookieOptions, maxAge: 365 * 86_400 });
    const cookie = parseSessionCookie(getCookie(c, SESSION_COOKIE));
    if (cookie && STORE_ID_PATTERN.test(cookie.storeId)) {
      const now = clock();
      const session = await sessions.get(cookie.storeId, hashSecret(cookie.secret));
      if (session && isCurrent(session, now)) {
        c.set('session', session);
        if (session.state === 'signed_in') await sessions.touch(session.storeId, session.secretHash, now, new Date(now.getTime() + timeoutOf(session.state)));
      } else if (session) {
        await sessions.remove(session.storeId, session.secretHash);
      }
    }
    await next();
    c.header('Cache-Control', 'no-store');
  });

  app.get('/assets/menu.css', (c) => c.body(STYLESHEET, 200, { 'content-type': 'text/css; charset=utf-8' }));

  // Browsers ask for it on every page; there is none.
  app.get('/favicon.ico', (c) => c.body(null, 204));

  app.get('/', (c) => c.redirect(`${base}${c.get('session')?.state === 'signed_in' ? '/senders' : '/login'}`, 303));

  app.get('/login', (c) => (c.get('session')?.state === 'signed_in' ? c.redirect(`${base}/senders`, 303) : loginForm(c, 200)));

  app.post('/login', async (c) => {
    const form = await formOf(c);
    const storeId = (form.storeId ?? '').trim();
    note(c, { action: 'login', ...(STORE_ID_PATTERN.test(storeId) ? { storeId } : {}) });
    if (!tokensMatch(getCookie(c, LOGIN_CSRF_COOKIE) ?? '', form.csrf)) return refuse(c, 403, 'logIn', 'forbidden');
    const step = await signIn(storeId, form.password ?? '', clientIp(c), { identity, throttle, now: clock() });
    return afterSignInStep(c, storeId, step, () => loginForm(c, 401, storeId, undefined, 'loginFailed'));
  });

  /** A page of a sign-in challenge: shown, and answered, only within a session in that state. */
  const challengeStep = (state: 'new_password' | 'mfa') => {
    const render = (c: MenuContext, error?: TextKey, status: 200 | 400 | 401 = 200): Promise<Response> => {
      const session = c.get('session');
      const frame: Frame = { lang: c.get('lang'), base, csrfToken: session?.csrfToken ?? '', ...(error ? { error } : {}) };
      return Promise.resolve(c.html(state === 'new_password' ? newPasswordPage(frame) : mfaPage(frame), status));
    };
    return {
      show: (c: MenuContext) => (c.get('session')?.state === state ? render(c) : c.redirect(`${base}/login`, 303)),
      answer: async (c: MenuContext) => {
        const session = c.get('session');
        note(c, { action: state === 'new_password' ? 'login_new_password' : 'login_mfa' });
        if (session?.state !== state || !session.challenge) return loginForm(c, 401, '', undefined, 'sessionExpired');
        const form = await formOf(c);
        if (!tokensMatch(session.csrfToken, form.csrf)) return refuse(c, 403, 'logIn', 'forbidden');
        const deps = { identity, throttle, now: clock() };
        if (state === 'new_password') {
          if ((form.newPassword ?? '') !== (form.confirmPassword ?? '')) {
            note(c, { result: 'refused' });
            return render(c, 'passwordsDiffer', 400);
          }
          const step = await setFirstPassword(session.storeId, session.challenge, form.newPassword ?? '', clientIp(c), deps);
          return afterSignInStep(c, session.storeId, step, () => render(c, 'passwordTooWeak', 400));
        }
        const step = await answerMfa(session.storeId, session.challenge, (form.code ?? '').trim(), clientIp(c), deps);
        return afterSignInStep(c, session.storeId, step, () => render(c, 'mfaFailed', 401));
      },
    };
  };
  const newPassword = challengeStep('new_password');
  const mfa = challengeStep('mfa');
  app.get('/password', newPassword.show);
  app.post('/password', newPassword.answer);
  app.get('/mfa', mfa.show);
  app.post('/mfa', mfa.answer);

  app.get('/logout', async (c) => {
    note(c, { action: 'logout' });
    await endSession(c);
    return c.redirect(`${base}/login`, 303);
  });

  app.get('/verify', async (c) => {
    const storeId = c.req.query('store') ?? '';
    if (!STORE_ID_PATTERN.test(storeId)) return c.html(verificationPage(frameOf(c), false), 404);
    note(c, { storeId, action: 'verify_sender' });
    const verified = await confirmSender(storeId, c.req.query('token') ?? '', { stores, tokens, now: clock() });
    note(c, { result: verified ? 'ok' : 'refused' });
    return c.html(verificationPage(frameOf(c), verified), verified ? 200 : 404);
  });

  // A customer's one-click block of the store's mail (RFC 8058), from the List-Unsubscribe of a
  // relayed mail: no session and no CSRF token, the token in the path is the authorisation. GET only
  // shows the page, since mail scanners follow links; POST blocks (a mail client's one-click POST
  // included), and the page it answers with can undo it.
  const unsubscribe = (block: boolean | undefined) => async (c: MenuContext) => {
    const token = c.req.param('token') ?? '';
    const alias = await aliasOfUnsubscribeToken(token, keys);
    const record = alias === undefined ? undefined : await aliases.getAlias(alias);
    note(c, { action: block === undefined ? 'unsubscribe_page' : block ? 'unsubscribe' : 'unsubscribe_undo', ...(record ? { storeId: record.storeId } : {}) });
    if (!alias || !record) return c.html(unsubscribePage(frameOf(c), 'invalid', ''), 404);
    if (block !== undefined) await aliases.setBlocked(alias, block ? clock().toISOString() : undefined);
    const state = block === undefined ? (record.blockedAt === undefined ? 'ask' : 'blocked') : block ? 'blocked' : 'unblocked';
    return c.html(unsubscribePage(frameOf(c), state, token), 200);
  };
  app.get('/unsubscribe/:token', unsubscribe(undefined));
  app.post('/unsubscribe/:token', unsubscribe(true));
  app.post('/unsubscribe/:token/undo', unsubscribe(false));

  // The store's own pages need a signed-in session, and each of their forms a matching CSRF token.
  const member = new Hono<MenuEnv>();
  const signedInOnly = async (c: MenuContext, next: () => Promise<void>): Promise<Response | undefined> => {
    const session = c.get('session');
    if (session?.state !== 'signed_in') {
      note(c, { result: 'refused' });
      return c.redirect(`${base}/login`, 303);
    }
    if (c.req.method === 'POST') {
      const form = await formOf(c);
      if (!tokensMatch(session.csrfToken, form.csrf)) return refuse(c, 403, 'senders', 'forbidden');
    }
    await next();
    return undefined;
  };
  for (const path of ['/senders', '/senders/*', '/aliases', '/aliases/*', '/messages', '/history', '/security', '/security/*']) member.use(path, signedInOnly);
  const storeOf = (c: MenuContext): string => c.get('session')?.storeId ?? '';

  member.get('/senders', async (c) => c.html(sendersPage(frameOf(c), await listSenders(storeOf(c), { stores, keys, now: clock() }))));

  member.post('/senders', async (c) => {
    const form = await formOf(c);
    note(c, { action: 'add_sender' });
    try {
      const added = await addSenderFromMenu(storeOf(c), form.address ?? '', { stores, keys, tokens, mailer, menuUrl: settings.menuUrl, now: clock(), random: () => randomBytes(8).toString('hex') });
      return c.redirect(`${base}/senders?done=${added.mailed ? 'sender_added' : 'sender_verified'}`, 303);
    } catch (error) {
      if (!(error instanceof InvalidRequestError)) throw error;
      note(c, { result: 'refused' });
      return c.html(sendersPage(frameOf(c, { error: 'senderInvalid' }), await listSenders(storeOf(c), { stores, keys, now: clock() })), 400);
    }
  });

  member.post('/senders/:senderId/remove', async (c) => {
    note(c, { action: 'remove_sender' });
    try {
      await removeSender(storeOf(c), c.req.param('senderId'), { stores, now: clock() });
      return c.redirect(`${base}/senders?done=sender_removed`, 303);
    } catch (error) {
      if (error instanceof InvalidRequestError) return c.redirect(`${base}/senders?error=last_sender`, 303);
      if (error instanceof StoreNotFoundError) return refuse(c, 404, 'senders', 'notFound');
      throw error;
    }
  });

  member.get('/aliases', async (c) => {
    const now = clock();
    const counted = await activity.customerAliases(storeOf(c), PAGE_ROWS);
    return c.html(aliasesPage(frameOf(c), counted.map((alias) => summarize(alias, now))));
  });

  member.post('/aliases/:alias/disable', async (c) => {
    note(c, { action: 'disable_alias' });
    const name = c.req.param('alias');
    const record = await aliases.getAlias(name);
    // Another store's alias is answered as no alias at all.
    if (!record || record.storeId !== storeOf(c)) return refuse(c, 404, 'aliases', 'notFound');
    try {
      await disableAlias(name, { aliases, administration: aliases, keys, now: clock() });
    } catch (error) {
      if (error instanceof AliasNotFoundError) return refuse(c, 404, 'aliases', 'notFound');
      throw error;
    }
    return c.redirect(`${base}/aliases?done=alias_disabled`, 303);
  });

  member.get('/messages', async (c) => c.html(messagesPage(frameOf(c), await activity.messages(storeOf(c), PAGE_ROWS))));

  const accessTokenOf = (c: MenuContext): string => c.get('session')?.accessToken ?? '';

  member.get('/security', async (c) => c.html(securityPage(frameOf(c), { enabled: await identity.totpEnabled(accessTokenOf(c)) })));

  member.post('/security/totp', async (c) => {
    note(c, { action: 'totp_setup' });
    return c.html(securityPage(frameOf(c), { enabled: false, secret: await identity.startTotpSetup(accessTokenOf(c)) }));
  });

  member.post('/security/totp/verify', async (c) => {
    const form = await formOf(c);
    note(c, { action: 'totp_enable' });
    const code = (form.code ?? '').trim();
    if (/^\d{6}$/.test(code) && (await identity.finishTotpSetup(accessTokenOf(c), code))) return c.redirect(`${base}/security?done=totp_enabled`, 303);
    note(c, { result: 'refused' });
    return c.redirect(`${base}/security?error=wrong_code`, 303);
  });

  member.get('/history', async (c) => c.html(historyPage(frameOf(c), await access.logins(storeOf(c), PAGE_ROWS))));

  app.route('/', member);

  app.notFound((c) => refuse(c, 404, 'notFound', 'notFound'));

  app.onError((error, c) => {
    if (error instanceof StoreTerminatedError || error instanceof StoreNotFoundError) {
      // A store erased or terminated while signed in: its session ends with it.
      return refuse(c, 404, 'notFound', 'notFound');
    }
    // Names only: a message from a dependency could quote what it was given.
    logger.error('menu_failed', { errorName: error.name });
    note(c, { result: 'error' });
    return c.html(messagePage(frameOf(c), 'failed', 'failed'), 500);
  });

  return app;
}

export type MenuHandler = (event: APIGatewayProxyEvent, context: LambdaContext) => Promise<APIGatewayProxyResult>;

/** The menu as the Lambda function behind API Gateway (REST, proxy integration). */
export function createMenuHandler(deps: MenuDependencies): MenuHandler {
  const handler = handle(createMenuApp(deps));
  // Hono declares its own event shapes, which type API Gateway's null query strings more narrowly
  // than @types/aws-lambda; the adapter reads both.
  return async (event, context) => (await handler(event as unknown as LambdaEvent, context)) as APIGatewayProxyResult;
}
