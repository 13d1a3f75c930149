import { describe, expect, it } from 'vitest';
import { formatAge, itemLine, progressBar, redeliveryLine, summarize, summarizeRedelivery, summaryLine } from '../../../cli/replay-report';

describe('progressBar', () => {
  it.each([
    [0, 10, '[----------] 0/10'],
    [5, 10, '[#####-----] 5/10'],
    [10, 10, '[##########] 10/10'],
    [1, 3, '[###-------] 1/3'],
    [0, 0, '[----------] 0/0'],
    // An estimate that fell short grows with what was done.
    [4, 2, '[##########] 4/4'],
  ])('%i of %i is %s', (done, total, bar) => {
    expect(progressBar(done, total)).toBe(bar);
  });
});

describe('formatAge', () => {
  it.each([
    [undefined, '-'],
    [0, '0s'],
    [59, '59s'],
    [60, '1m'],
    [3599, '59m'],
    [3600 + 5 * 60, '1h05m'],
    [86_400 * 3 + 3600 * 4, '3d04h'],
  ])('%s seconds is %s', (seconds, text) => {
    expect(formatAge(seconds)).toBe(text);
  });
});

describe('itemLine', () => {
  it('names the SES message, the reason and the age', () => {
    expect(itemLine({ id: 'q-1', sesMessageId: 'abc123', reason: 'raw_mail_missing', ageSeconds: 125, status: 'replayed' })).toBe(
      'replayed      abc123  reason=raw_mail_missing  age=2m',
    );
  });

  it('falls back to the queue message ID and adds why an item failed', () => {
    expect(itemLine({ id: 'q-2', status: 'failed', detail: 'AccessDenied' })).toBe('failed        q-2  reason=-  age=-  (AccessDenied)');
  });
});

describe('summaryLine', () => {
  const items = [
    { id: 'a', status: 'replayed' },
    { id: 'b', status: 'replayed' },
    { id: 'c', status: 'failed' },
    { id: 'd', status: 'skipped' },
  ] as const;

  it('counts what was replayed, failed and skipped', () => {
    expect(summaryLine(summarize(items), false)).toBe('replayed 2, failed 1, skipped 1');
  });

  it('counts dead letters deleted as past the content retention, when there are any', () => {
    expect(summaryLine(summarize([{ id: 'a', status: 'replayed' }, { id: 'b', status: 'expired', detail: 'content_retention_passed' }]), false)).toBe(
      'replayed 1, failed 0, skipped 0, deleted as expired 1',
    );
    expect(summaryLine(summarize([{ id: 'b', status: 'expired', detail: 'would_delete' }]), true)).toBe('would replay 0, failed 0, skipped 0, would delete as expired 1 (dry run: nothing sent)');
  });

  it('says a dry run sent nothing', () => {
    const listed = summarize([
      { id: 'a', status: 'would_replay' },
      { id: 'b', status: 'would_replay' },
    ]);
    expect(summaryLine(listed, true)).toBe('would replay 2, failed 0, skipped 0 (dry run: nothing sent)');
  });
});

describe('redeliveryLine', () => {
  it('sums up the deliveries', () => {
    const summary = summarizeRedelivery([
      { attempt: 1, outcome: 'failed', sent: 0 },
      { attempt: 2, outcome: 'sent', sent: 1 },
      { attempt: 3, outcome: 'nothing_sent', sent: 0 },
    ]);
    expect(summary).toEqual({ deliveries: 3, sent: 1, nothingSent: 1, deadLettered: 0, failed: 1 });
    expect(redeliveryLine(summary)).toBe('delivered 3 times: 1 sent, 1 sent nothing (duplicate or refusal), 1 failed');
  });

  it('says how many were dead-lettered, and where to read why', () => {
    expect(redeliveryLine(summarizeRedelivery([{ attempt: 1, outcome: 'dead_lettered', sent: 0 }]))).toBe(
      'delivered once: 0 sent, 0 sent nothing (duplicate or refusal), 1 dead-lettered (`anshin dlq replay --dry-run` says why), 0 failed',
    );
  });

  it('says once for one delivery', () => {
    expect(redeliveryLine(summarizeRedelivery([{ attempt: 1, outcome: 'nothing_sent', sent: 0 }]))).toBe(
      'delivered once: 0 sent, 1 sent nothing (duplicate or refusal), 0 failed',
    );
  });
});
