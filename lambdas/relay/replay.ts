import { parseSesNotification } from './ses-notification';

/**
 * SQS message attribute `anshin dlq replay` puts on a notification it sends back from the
 * dead-letter queue: the relay then tries again the deliveries it dead-lettered before, which
 * ordinary redeliveries skip.
 */
export const REPLAY_ATTRIBUTE = 'anshinReplay';

/**
 * Whether a notification has outlived the content class: its mail arrived (SES's `mail.timestamp`,
 * which no redelivery or replay changes) more than `contentRetentionDays` ago. Its raw mail is then
 * gone or going, and the notification itself must not stay in any queue any longer.
 */
export function outlivedContentRetention(receivedAt: Date, now: Date, contentRetentionDays: number): boolean {
  return now.getTime() - receivedAt.getTime() > contentRetentionDays * 86_400_000;
}

/** Whether a stored notification (a dead letter's body) has outlived the content class; false when it does not parse. */
export function notificationOutlived(body: string, now: Date, contentRetentionDays: number): boolean {
  try {
    return outlivedContentRetention(parseSesNotification(body).receivedAt, now, contentRetentionDays);
  } catch {
    return false;
  }
}
