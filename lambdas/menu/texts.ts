import type { AccessResult } from './ports';

/** The menu speaks Japanese unless asked for English (`?lang=en`, or English first in Accept-Language). */
export type Lang = 'ja' | 'en';

const TEXTS = {
  menuTitle: ['店舗メニュー', 'Store menu'],
  storeId: ['店舗ID', 'Store ID'],
  password: ['パスワード', 'Password'],
  logIn: ['ログイン', 'Log in'],
  loginFailed: ['店舗IDまたはパスワードが正しくありません', 'Store ID or password is incorrect'],
  locked: ['ログインに続けて失敗したため、15分間ロックしています。しばらくしてからお試しください', 'Too many failed logins: further attempts are locked for 15 minutes. Please try again later'],
  lockedUntil: ['ロック解除', 'Locked until'],
  newPasswordTitle: ['新しいパスワードの設定', 'Set a new password'],
  newPasswordLead: ['初回ログインです。新しいパスワードを設定してください（12文字以上、英大文字・英小文字・数字・記号を含む）。', 'This is your first login. Set a new password (at least 12 characters, with upper and lower case letters, a digit and a symbol).'],
  newPassword: ['新しいパスワード', 'New password'],
  confirmNewPassword: ['新しいパスワード（確認）', 'Confirm new password'],
  setPassword: ['パスワードを設定', 'Set password'],
  passwordsDiffer: ['確認用のパスワードが一致しません', 'The two passwords do not match'],
  passwordTooWeak: ['パスワードが条件を満たしていません', 'The password does not meet the requirements'],
  mfaTitle: ['ワンタイムコード', 'One-time code'],
  mfaLead: ['認証アプリに表示される6桁のコードを入力してください。', 'Enter the 6-digit code shown in your authenticator app.'],
  mfaCode: ['ワンタイムコード', 'One-time code'],
  verify: ['確認', 'Verify'],
  mfaFailed: ['コードが正しくありません', 'The code is incorrect'],
  sessionExpired: ['操作の有効期限が切れました。もう一度ログインしてください', 'This step expired. Please log in again'],
  senders: ['送信元', 'Senders'],
  security: ['2段階認証', 'Two-step verification'],
  totpOn: ['認証アプリによる2段階認証は有効です。ログインのたびに6桁のコードを求めます。', 'Two-step verification with an authenticator app is on: every login asks for its 6-digit code.'],
  totpOff: ['2段階認証は無効です。認証アプリ（Google Authenticator、Microsoft Authenticator など）を設定すると、パスワードに加えて6桁のコードでログインします。', 'Two-step verification is off. With an authenticator app (Google Authenticator, Microsoft Authenticator, …) set up, every login also asks for its 6-digit code.'],
  setUpTotp: ['認証アプリを設定', 'Set up authenticator app'],
  totpSecretLead: ['認証アプリに次のキーを登録し、表示された6桁のコードを入力してください。', 'Add this key to your authenticator app, then enter the 6-digit code it shows.'],
  secretKey: ['キー', 'Key'],
  turnOn: ['有効にする', 'Turn on'],
  totpEnabled: ['2段階認証を有効にしました', 'Two-step verification is on'],
  aliases: ['エイリアス', 'Aliases'],
  messages: ['メッセージ', 'Messages'],
  loginHistory: ['ログイン履歴', 'Login history'],
  logOut: ['ログアウト', 'Log out'],
  navigation: ['メニュー', 'Menu'],
  language: ['English', '日本語'],
  sendersLead: ['お客様へのメールは、確認済みの送信元からのみ中継されます。', 'Mail to customers is relayed only from verified senders.'],
  senderAddress: ['送信元アドレス', 'Sender address'],
  addSender: ['送信元を追加', 'Add sender'],
  remove: ['削除', 'Remove'],
  address: ['アドレス', 'Address'],
  status: ['状態', 'Status'],
  verified: ['verified（確認済み）', 'verified'],
  pending: ['pending（確認待ち）', 'pending'],
  senderAdded: ['確認メールを送信しました。メール内のリンクを24時間以内に開くと、送信元が確認済みになります', 'A verification mail was sent. Opening its link within 24 hours makes the sender verified'],
  senderAlreadyVerified: ['この送信元は確認済みです', 'This sender is already verified'],
  senderRemoved: ['送信元を削除しました', 'The sender was removed'],
  senderInvalid: ['メールアドレスの形式が正しくありません', 'That is not a valid e-mail address'],
  lastSender: ['送信元は1件以上必要です。先に別の送信元を追加してください', 'A store needs at least one sender: add another before removing this one'],
  unsubscribeTitle: ['このストアからのメールの停止', "Stop this store's mail"],
  unsubscribeLead: ['このストアから、このアドレス宛てのメールが今後届かないようにします。', "This store's mail to this address will no longer reach you."],
  unsubscribe: ['配信を停止する', 'Stop the mail'],
  unsubscribedTitle: ['配信を停止しました', 'Mail stopped'],
  unsubscribedLead: ['このストアからのメールは今後届きません。間違えた場合は元に戻せます。', "This store's mail will no longer reach you. If this was a mistake, you can undo it."],
  undoUnsubscribe: ['元に戻す', 'Undo'],
  resubscribedTitle: ['配信を再開しました', 'Mail resumed'],
  resubscribedLead: ['このストアからのメールが再び届くようになりました。', "This store's mail reaches you again."],
  unsubscribeInvalidTitle: ['リンクが無効です', 'This link is not valid'],
  unsubscribeInvalidLead: ['このリンクは使えません。メールに記載されたリンクをお確かめください。', 'This link cannot be used. Please check the link in the mail.'],
  verifiedTitle: ['送信元を確認しました', 'Sender verified'],
  verifiedLead: ['このアドレスからのメールがお客様に中継されるようになりました。', 'Mail from this address is now relayed to customers.'],
  verifyFailedTitle: ['リンクが無効です', 'This link is not valid'],
  verifyFailedLead: ['リンクの有効期限が切れたか、すでに使われています。店舗メニューから送信元を追加し直してください。', 'The link has expired or was already used. Add the sender again in the store menu.'],
  alias: ['エイリアス', 'Alias'],
  orderId: ['注文ID', 'Order ID'],
  expiresAt: ['有効期限', 'Expires'],
  toCustomer: ['お客様へ', 'To customer'],
  fromCustomer: ['お客様から', 'From customer'],
  disable: ['無効化', 'Disable'],
  aliasDisabled: ['エイリアスを無効にしました', 'The alias was disabled'],
  active: ['有効', 'active'],
  expired: ['期限切れ', 'expired'],
  disabled: ['無効', 'disabled'],
  paused: ['一時停止', 'paused'],
  noAliases: ['エイリアスはまだありません', 'No aliases yet'],
  time: ['日時（JST）', 'Time (JST)'],
  direction: ['方向', 'Direction'],
  outcome: ['結果', 'Outcome'],
  reason: ['理由', 'Reason'],
  size: ['サイズ（バイト）', 'Size (bytes)'],
  merchantToCustomer: ['店舗→お客様', 'store → customer'],
  customerToMerchant: ['お客様→店舗', 'customer → store'],
  relayed: ['中継', 'relayed'],
  refused: ['拒否', 'refused'],
  noMessages: ['メッセージはまだありません', 'No messages yet'],
  ipAddress: ['IPアドレス', 'IP address'],
  result: ['結果', 'Result'],
  noLogins: ['ログイン履歴はありません', 'No logins yet'],
  forbidden: ['フォームの有効期限が切れました。ページを開き直してください', 'This form has expired. Please reload the page'],
  notFound: ['ページが見つかりません', 'Page not found'],
  failed: ['処理できませんでした。しばらくしてからお試しください', 'Something went wrong. Please try again later'],
} as const satisfies Record<string, readonly [string, string]>;

export type TextKey = keyof typeof TEXTS;

export function t(lang: Lang, key: TextKey): string {
  return TEXTS[key][lang === 'ja' ? 0 : 1];
}

const RESULTS: Record<AccessResult, readonly [string, string]> = {
  success: ['成功', 'success'],
  wrong_password: ['パスワード誤り', 'wrong password'],
  locked: ['ロック中', 'locked'],
  mfa_failed: ['MFA失敗', 'MFA failed'],
  challenged: ['追加の確認へ', 'further step required'],
  ok: ['成功', 'ok'],
  refused: ['拒否', 'refused'],
  error: ['エラー', 'error'],
};

export function resultText(lang: Lang, result: AccessResult): string {
  return RESULTS[result][lang === 'ja' ? 0 : 1];
}

/** `?lang=` wins, then a language cookie, then the first language of Accept-Language; Japanese by default. */
export function chooseLang(query: string | undefined, cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  for (const value of [query, cookie]) if (value === 'en' || value === 'ja') return value;
  const first = (acceptLanguage ?? '').split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('en') ? 'en' : 'ja';
}

const JST = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** `2026/12/08 03:04:05` in Japan time, whatever the server's zone. */
export function jst(at: string | Date): string {
  return JST.format(typeof at === 'string' ? new Date(at) : at);
}
