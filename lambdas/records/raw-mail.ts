/**
 * Where SES stores raw inbound mail: the receipt rule, the relay's read grant, the lifecycle rules,
 * the retention sweep and the local SMTP ingress all derive their keys from here.
 */
export const RAW_MAIL_PREFIX = 'inbound/';

/** The key SES gives a received message's raw mail. */
export function rawMailKey(sesMessageId: string): string {
  // An empty ID would name the prefix itself, which a prefix listing would widen to every message.
  if (sesMessageId === '') throw new Error('An SES message ID must not be empty');
  return `${RAW_MAIL_PREFIX}${sesMessageId}`;
}
