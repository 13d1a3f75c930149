import { html } from 'hono/html';
import type { AliasSummary, MessageSummary } from './activity';
import type { AccessLogEntry } from './ports';
import type { SenderView } from '../aliases/stores';
import { jst, resultText, t } from './texts';
import type { Lang, TextKey } from './texts';

/**
 * The menu's pages, server-rendered. Every interpolated value is escaped by `html`; nothing here
 * runs script, so the Content-Security-Policy allows none.
 */

type Markup = ReturnType<typeof html>;

export interface Frame {
  readonly lang: Lang;
  /** Path the menu is served under (`/v1` on API Gateway's own endpoint), prefixed to every link and form. */
  readonly base: string;
  /** Present once signed in: the navigation is shown and forms carry the token. */
  readonly storeId?: string;
  readonly csrfToken?: string;
  readonly notice?: TextKey;
  readonly error?: TextKey;
}

const NAV: readonly (readonly [string, TextKey])[] = [
  ['/senders', 'senders'],
  ['/aliases', 'aliases'],
  ['/messages', 'messages'],
  ['/history', 'loginHistory'],
  ['/security', 'security'],
  ['/logout', 'logOut'],
];

function page(frame: Frame, title: TextKey, body: Markup): Markup {
  const { lang } = frame;
  const other = lang === 'ja' ? 'en' : 'ja';
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t(lang, title)} | anshin-relay ${t(lang, 'menuTitle')}</title>
<link rel="stylesheet" href="${frame.base}/assets/menu.css">
</head>
<body>
<header>
<p class="brand">anshin-relay ${t(lang, 'menuTitle')}${frame.storeId ? html` <span class="store">${frame.storeId}</span>` : ''}</p>
${frame.storeId ? html`<nav aria-label="${t(lang, 'navigation')}"><ul>${NAV.map(([href, key]) => html`<li><a href="${frame.base}${href}">${t(lang, key)}</a></li>`)}</ul></nav>` : ''}
<p class="lang"><a href="?lang=${other}" lang="${other}">${t(lang, 'language')}</a></p>
</header>
<main>
<h1>${t(lang, title)}</h1>
${frame.notice ? html`<p class="notice" role="status">${t(lang, frame.notice)}</p>` : ''}
${frame.error ? html`<p class="error" role="alert">${t(lang, frame.error)}</p>` : ''}
${body}
</main>
</body>
</html>`;
}

const csrfField = (frame: Frame): Markup => html`<input type="hidden" name="csrf" value="${frame.csrfToken ?? ''}">`;

export function loginPage(frame: Frame, storeId = '', lockedUntil?: Date): Markup {
  const { lang } = frame;
  return page(
    frame,
    'logIn',
    html`${lockedUntil ? html`<p class="error" role="alert">${t(lang, 'locked')} (${t(lang, 'lockedUntil')}: ${jst(lockedUntil)})</p>` : ''}
<form method="post" action="${frame.base}/login">
${csrfField(frame)}
<p><label for="storeId">${t(lang, 'storeId')}</label><input id="storeId" name="storeId" autocomplete="username" required maxlength="64" value="${storeId}"></p>
<p><label for="password">${t(lang, 'password')}</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"></p>
<p><button type="submit">${t(lang, 'logIn')}</button></p>
</form>`,
  );
}

export function newPasswordPage(frame: Frame): Markup {
  const { lang } = frame;
  return page(
    frame,
    'newPasswordTitle',
    html`<p>${t(lang, 'newPasswordLead')}</p>
<form method="post" action="${frame.base}/password">
${csrfField(frame)}
<p><label for="newPassword">${t(lang, 'newPassword')}</label><input id="newPassword" name="newPassword" type="password" autocomplete="new-password" required minlength="12" maxlength="256"></p>
<p><label for="confirmPassword">${t(lang, 'confirmNewPassword')}</label><input id="confirmPassword" name="confirmPassword" type="password" autocomplete="new-password" required minlength="12" maxlength="256"></p>
<p><button type="submit">${t(lang, 'setPassword')}</button></p>
</form>`,
  );
}

export function mfaPage(frame: Frame): Markup {
  const { lang } = frame;
  return page(
    frame,
    'mfaTitle',
    html`<p>${t(lang, 'mfaLead')}</p>
<form method="post" action="${frame.base}/mfa">
${csrfField(frame)}
<p><label for="code">${t(lang, 'mfaCode')}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required maxlength="6"></p>
<p><button type="submit">${t(lang, 'verify')}</button></p>
</form>`,
  );
}

export function sendersPage(frame: Frame, senders: readonly SenderView[]): Markup {
  const { lang } = frame;
  return page(
    frame,
    'senders',
    html`<p>${t(lang, 'sendersLead')}</p>
<table>
<thead><tr><th scope="col">${t(lang, 'address')}</th><th scope="col">${t(lang, 'status')}</th><th scope="col"><span class="visually-hidden">${t(lang, 'remove')}</span></th></tr></thead>
<tbody>
${senders.map(
  (sender) => html`<tr>
<td>${sender.address}</td>
<td><span class="status ${sender.status}">${t(lang, sender.status)}</span></td>
<td><form method="post" action="${frame.base}/senders/${sender.senderId}/remove">${csrfField(frame)}<button type="submit" aria-label="${t(lang, 'remove')} ${sender.address}">${t(lang, 'remove')}</button></form></td>
</tr>`,
)}
</tbody>
</table>
<form method="post" action="${frame.base}/senders">
${csrfField(frame)}
<p><label for="address">${t(lang, 'senderAddress')}</label><input id="address" name="address" type="email" autocomplete="email" required maxlength="254"></p>
<p><button type="submit">${t(lang, 'addSender')}</button></p>
</form>`,
  );
}

/**
 * Two-step verification: on or off, and while setting it up, the key to add to an authenticator app
 * (also as an `otpauth:` link, which a phone opens in its app) and the form for its first code.
 */
export function securityPage(frame: Frame, state: { readonly enabled: boolean; readonly secret?: string }): Markup {
  const { lang } = frame;
  if (state.enabled) return page(frame, 'security', html`<p>${t(lang, 'totpOn')}</p>`);
  if (state.secret === undefined) {
    return page(
      frame,
      'security',
      html`<p>${t(lang, 'totpOff')}</p>
<form method="post" action="${frame.base}/security/totp">${csrfField(frame)}<p><button type="submit">${t(lang, 'setUpTotp')}</button></p></form>`,
    );
  }
  const label = encodeURIComponent(`anshin-relay:${frame.storeId ?? ''}`);
  const uri = `otpauth://totp/${label}?secret=${state.secret}&issuer=anshin-relay`;
  return page(
    frame,
    'security',
    html`<p>${t(lang, 'totpSecretLead')}</p>
<p>${t(lang, 'secretKey')}: <code class="secret">${state.secret.replace(/(.{4})/g, '$1 ').trim()}</code> (<a href="${uri}">otpauth</a>)</p>
<form method="post" action="${frame.base}/security/totp/verify">
${csrfField(frame)}
<p><label for="code">${t(lang, 'mfaCode')}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required maxlength="6"></p>
<p><button type="submit">${t(lang, 'turnOn')}</button></p>
</form>`,
  );
}

export function verificationPage(frame: Frame, verified: boolean): Markup {
  const { lang } = frame;
  return page(frame, verified ? 'verifiedTitle' : 'verifyFailedTitle', html`<p>${t(lang, verified ? 'verifiedLead' : 'verifyFailedLead')}</p>`);
}

/** Where a customer's one-click block stands: asked, done, undone, or not possible with this link. */
export type UnsubscribeState = 'ask' | 'blocked' | 'unblocked' | 'invalid';

/** The customer's page behind List-Unsubscribe: no session; the token in the path is the authorisation. */
export function unsubscribePage(frame: Frame, state: UnsubscribeState, token: string): Markup {
  const { lang } = frame;
  const action = `${frame.base}/unsubscribe/${token}`;
  switch (state) {
    case 'ask':
      return page(frame, 'unsubscribeTitle', html`<p>${t(lang, 'unsubscribeLead')}</p><form method="post" action="${action}"><button type="submit">${t(lang, 'unsubscribe')}</button></form>`);
    case 'blocked':
      return page(frame, 'unsubscribedTitle', html`<p>${t(lang, 'unsubscribedLead')}</p><form method="post" action="${action}/undo"><button type="submit">${t(lang, 'undoUnsubscribe')}</button></form>`);
    case 'unblocked':
      return page(frame, 'resubscribedTitle', html`<p>${t(lang, 'resubscribedLead')}</p>`);
    default:
      return page(frame, 'unsubscribeInvalidTitle', html`<p>${t(lang, 'unsubscribeInvalidLead')}</p>`);
  }
}

export function aliasesPage(frame: Frame, aliases: readonly AliasSummary[]): Markup {
  const { lang } = frame;
  if (aliases.length === 0) return page(frame, 'aliases', html`<p>${t(lang, 'noAliases')}</p>`);
  return page(
    frame,
    'aliases',
    html`<table>
<thead><tr><th scope="col">${t(lang, 'alias')}</th><th scope="col">${t(lang, 'orderId')}</th><th scope="col">${t(lang, 'status')}</th><th scope="col">${t(lang, 'expiresAt')}</th><th scope="col">${t(lang, 'toCustomer')}</th><th scope="col">${t(lang, 'fromCustomer')}</th><th scope="col"><span class="visually-hidden">${t(lang, 'disable')}</span></th></tr></thead>
<tbody>
${aliases.map(
  (alias) => html`<tr>
<td>${alias.alias}</td><td>${alias.orderId}</td><td>${t(lang, alias.status)}</td><td>${jst(alias.expiresAt)}</td><td>${alias.toCustomer}</td><td>${alias.fromCustomer}</td>
<td>${alias.status === 'active' || alias.status === 'paused' ? html`<form method="post" action="${frame.base}/aliases/${alias.alias}/disable">${csrfField(frame)}<button type="submit" aria-label="${t(lang, 'disable')} ${alias.alias}">${t(lang, 'disable')}</button></form>` : ''}</td>
</tr>`,
)}
</tbody>
</table>`,
  );
}

export function messagesPage(frame: Frame, messages: readonly MessageSummary[]): Markup {
  const { lang } = frame;
  if (messages.length === 0) return page(frame, 'messages', html`<p>${t(lang, 'noMessages')}</p>`);
  return page(
    frame,
    'messages',
    html`<table>
<thead><tr><th scope="col">${t(lang, 'time')}</th><th scope="col">${t(lang, 'direction')}</th><th scope="col">${t(lang, 'alias')}</th><th scope="col">${t(lang, 'outcome')}</th><th scope="col">${t(lang, 'reason')}</th><th scope="col">${t(lang, 'size')}</th></tr></thead>
<tbody>
${messages.map(
  (message) => html`<tr>
<td>${jst(message.at)}</td>
<td>${message.direction === 'merchant_to_customer' ? t(lang, 'merchantToCustomer') : message.direction === 'customer_to_merchant' ? t(lang, 'customerToMerchant') : '-'}</td>
<td>${message.alias}</td><td>${t(lang, message.outcome)}</td><td>${message.reason ?? ''}</td><td>${message.sizeBytes}</td>
</tr>`,
)}
</tbody>
</table>`,
  );
}

export function historyPage(frame: Frame, logins: readonly AccessLogEntry[]): Markup {
  const { lang } = frame;
  if (logins.length === 0) return page(frame, 'loginHistory', html`<p>${t(lang, 'noLogins')}</p>`);
  return page(
    frame,
    'loginHistory',
    html`<table>
<thead><tr><th scope="col">${t(lang, 'time')}</th><th scope="col">${t(lang, 'ipAddress')}</th><th scope="col">${t(lang, 'result')}</th></tr></thead>
<tbody>
${logins.map((login) => html`<tr><td>${jst(login.at)}</td><td>${login.clientIp}</td><td>${resultText(lang, login.result)}</td></tr>`)}
</tbody>
</table>`,
  );
}

export function messagePage(frame: Frame, title: TextKey, message: TextKey): Markup {
  return page(frame, title, html`<p>${t(frame.lang, message)}</p>`);
}

/** The one stylesheet, served from the menu itself so the policy can be `style-src 'self'`. */
export const STYLESHEET = `
:root { color-scheme: light; font-family: "Hiragino Sans", "Noto Sans JP", "Yu Gothic", system-ui, sans-serif; }
body { margin: 0; background: #f6f7f9; color: #1b1f24; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: .75rem 1.5rem; background: #17406d; color: #fff; }
header a { color: #fff; }
.brand { font-weight: 700; margin: 0; }
.store { font-weight: 400; opacity: .85; margin-left: .5rem; }
nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
.lang { margin: 0 0 0 auto; }
main { max-width: 64rem; margin: 1.5rem auto; padding: 0 1.5rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input { font: inherit; padding: .4rem .5rem; width: min(24rem, 100%); border: 1px solid #8a939e; border-radius: 4px; }
button { font: inherit; padding: .4rem 1rem; border: 0; border-radius: 4px; background: #17406d; color: #fff; cursor: pointer; }
table { border-collapse: collapse; width: 100%; background: #fff; margin-bottom: 1.5rem; }
th, td { text-align: left; padding: .5rem; border-bottom: 1px solid #dde1e6; font-size: .95rem; }
td form { margin: 0; }
.notice { background: #e6f4ea; border-left: 4px solid #1e7e34; padding: .5rem 1rem; }
.error { background: #fdecea; border-left: 4px solid #b3261e; padding: .5rem 1rem; }
.status.verified { color: #1e7e34; font-weight: 600; }
.status.pending { color: #8a5a00; font-weight: 600; }
.secret { font-size: 1.1rem; letter-spacing: .05em; background: #fff; padding: .2rem .4rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
