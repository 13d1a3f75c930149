import type { Notice } from './ports';

/**
 * The mails the menu sends, Japanese first with English below: one text for both, because the
 * recipient's language is not known when the mail goes out.
 */

export function invitationNotice(to: string, storeId: string, temporaryPassword: string, menuUrl: string): Notice {
  return {
    to,
    subject: '【anshin-relay】店舗メニューへのご招待 / Your store menu account',
    text: [
      '店舗メニューのアカウントを用意しました。',
      '',
      `  店舗ID: ${storeId}`,
      `  仮パスワード: ${temporaryPassword}`,
      `  ログイン: ${menuUrl}/login`,
      '',
      '初回ログイン時に新しいパスワードを設定してください。仮パスワードは7日間有効です。',
      'このメールに心当たりがない場合は、破棄してください。',
      '',
      '----',
      '',
      'A store menu account has been set up for you.',
      '',
      `  Store ID: ${storeId}`,
      `  Temporary password: ${temporaryPassword}`,
      `  Log in: ${menuUrl}/login?lang=en`,
      '',
      'You will set a new password at your first login. The temporary password is valid for 7 days.',
      'If you did not expect this mail, please discard it.',
      '',
    ].join('\n'),
  };
}

export function verificationNotice(to: string, storeId: string, link: string): Notice {
  return {
    to,
    subject: '【anshin-relay】送信元アドレスの確認 / Confirm your sender address',
    text: [
      `店舗「${storeId}」がこのアドレスを送信元として登録しました。`,
      'お客様へのメールをこのアドレスから送る場合は、24時間以内に次のリンクを開いてください。',
      '',
      `  ${link}`,
      '',
      '心当たりがない場合は、このメールを破棄してください。アドレスは確認されず、送信に使われません。',
      '',
      '----',
      '',
      `Store "${storeId}" registered this address as a sender.`,
      'To send mail to customers from it, open this link within 24 hours:',
      '',
      `  ${link}&lang=en`,
      '',
      'If you did not expect this, discard this mail: the address stays unconfirmed and is not used.',
      '',
    ].join('\n'),
  };
}
