import type { RedeliveryAttempt, ReplayItem } from '../local';

/** What `anshin dlq replay` prints about the dead letters it looked at: IDs, reasons and ages only. */

export interface ReplaySummary {
  readonly replayed: number;
  readonly wouldReplay: number;
  readonly failed: number;
  readonly skipped: number;
  /** Deleted (or, in a dry run, to be deleted) because their mail is past the content retention. */
  readonly expired: number;
}

/** `[#####-----] 5/10`; `total` is raised to `done` when an estimate fell short. */
export function progressBar(done: number, total: number, width = 10): string {
  const of = Math.max(total, done);
  const filled = of === 0 ? 0 : Math.round((width * done) / of);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${of}`;
}

export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

const STATUS_LABEL: Record<ReplayItem['status'], string> = { replayed: 'replayed', would_replay: 'would replay', failed: 'failed', skipped: 'skipped', expired: 'expired' };

export function itemLine(item: ReplayItem): string {
  return [
    STATUS_LABEL[item.status].padEnd(12),
    item.sesMessageId ?? item.id,
    `reason=${item.reason ?? '-'}`,
    `age=${formatAge(item.ageSeconds)}`,
    ...(item.detail === undefined ? [] : [`(${item.detail})`]),
  ].join('  ');
}

export function summarize(items: readonly ReplayItem[]): ReplaySummary {
  const count = (status: ReplayItem['status']) => items.filter((item) => item.status === status).length;
  return { replayed: count('replayed'), wouldReplay: count('would_replay'), failed: count('failed'), skipped: count('skipped'), expired: count('expired') };
}

/** `replayed 7, failed 1, skipped 0`, or for a dry run `would replay 7, failed 0, skipped 0 (dry run: nothing sent)`. */
export function summaryLine(summary: ReplaySummary, dryRun: boolean): string {
  const expired = summary.expired > 0 ? `, ${dryRun ? 'would delete as expired' : 'deleted as expired'} ${summary.expired}` : '';
  const counts = `${dryRun ? `would replay ${summary.wouldReplay}` : `replayed ${summary.replayed}`}, failed ${summary.failed}, skipped ${summary.skipped}${expired}`;
  return dryRun ? `${counts} (dry run: nothing sent)` : counts;
}

export interface RedeliverySummary {
  readonly deliveries: number;
  /** Deliveries in which the relay sent mail. */
  readonly sent: number;
  /** Deliveries the relay handled without sending: duplicates of a finished delivery, or refusals. */
  readonly nothingSent: number;
  /** Deliveries the relay gave up on to the dead letters. */
  readonly deadLettered: number;
  readonly failed: number;
}

export function summarizeRedelivery(attempts: readonly RedeliveryAttempt[]): RedeliverySummary {
  const count = (outcome: RedeliveryAttempt['outcome']) => attempts.filter((a) => a.outcome === outcome).length;
  return { deliveries: attempts.length, sent: count('sent'), nothingSent: count('nothing_sent'), deadLettered: count('dead_lettered'), failed: count('failed') };
}

/** `delivered 3 times: 0 sent, 3 sent nothing (duplicate or refusal), 0 failed`, and how many were dead-lettered when any were. */
export function redeliveryLine(summary: RedeliverySummary): string {
  const times = summary.deliveries === 1 ? 'once' : `${summary.deliveries} times`;
  const deadLettered = summary.deadLettered > 0 ? `, ${summary.deadLettered} dead-lettered (\`anshin dlq replay --dry-run\` says why)` : '';
  return `delivered ${times}: ${summary.sent} sent, ${summary.nothingSent} sent nothing (duplicate or refusal)${deadLettered}, ${summary.failed} failed`;
}
