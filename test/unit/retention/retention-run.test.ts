import { describe, expect, it } from 'vitest';
import { runRetention } from '../../../lambdas/retention/retention-run';
import type { RetentionOptions } from '../../../lambdas/retention/retention-run';
import { daysFromThrough, firstRunLookbackDays } from '../../../lambdas/records/days';
import { policyVersion } from '../../../lambdas/records/retention-policy';
import { CHECKPOINT_KIND, EXPIRING_TABLES } from '../../../lambdas/retention/ports';
import { expiryBucketsOfDay } from '../../../lambdas/records/table-schema';
import { DEFAULT_CONFIG } from '../../../lib/config';
import { retentionDoubles } from './in-memory-retention-ports';

const policy = DEFAULT_CONFIG.retention;
const NOW = new Date('2027-06-15T03:00:00Z');
const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);
const hoursFrom = (date: Date, hours: number): Date => new Date(date.getTime() + hours * 3_600_000);

function options(overrides: Partial<RetentionOptions> = {}): RetentionOptions {
  return { now: NOW, policy, requestedBy: 'schedule', firstRunLookbackDays: 3, ...overrides };
}

/** A budget that allows `checks` page fetches and then runs out. */
function budgetOfPages(checks: number): () => number {
  let left = checks;
  return () => (left-- > 0 ? 60_000 : 0);
}

describe('runRetention', () => {
  it('without a checkpoint visits every shard of every day from the lookback through today, in each table', async () => {
    const d = retentionDoubles();
    await runRetention(d.ports, options());
    const days = daysFromThrough('2027-06-12', '2027-06-15');
    for (const table of EXPIRING_TABLES) expect(d.indexes[table].bucketsQueried).toEqual(days.flatMap(expiryBucketsOfDay));
  });

  it('with a checkpoint visits from its day (inclusive) through today, and leaves today as the next start', async () => {
    const d = retentionDoubles();
    d.checkpoints.checkpoint = { fromDay: '2027-06-14' };
    await runRetention(d.ports, options());
    expect(d.indexes.transmissions.bucketsQueried).toEqual([...expiryBucketsOfDay('2027-06-14'), ...expiryBucketsOfDay('2027-06-15')]);
    expect(d.checkpoints.checkpoint).toEqual({ fromDay: '2027-06-15' });
  });

  it('looks back, by default, over the longest table period, the run interval and a margin', () => {
    expect(firstRunLookbackDays(policy)).toBe(180 + 90 + 1 + 7);
    const longAccess = { ...policy, classes: { ...policy.classes, access: { retentionDays: 400, supportDays: 90 } } };
    expect(firstRunLookbackDays(longAccess)).toBe(400 + 1 + 7);
  });

  it('removes what is due in each class, keeps what is not, and counts per class', async () => {
    const d = retentionDoubles();
    const due = seconds(hoursFrom(NOW, -30));
    const later = seconds(hoursFrom(NOW, 2));
    d.indexes.transmissions.put({ transmissionId: 'old/0' }, due);
    d.indexes.transmissions.put({ transmissionId: 'old/1' }, seconds(NOW));
    d.indexes.transmissions.put({ transmissionId: 'fresh/0' }, later);
    d.indexes.access.put({ storeId: 'shop', accessId: '2026-12-01T00:00:00.000Z#a1' }, due);
    d.indexes.access.put({ storeId: 'shop', accessId: '2027-06-15T02:00:00.000Z#b2' }, seconds(hoursFrom(NOW, 180 * 24)));
    d.indexes.receipts.put({ kind: 'retention', receiptId: '2022-06-14T00:00:00.000Z#00' }, due);
    d.rawMail.add('inbound/old', hoursFrom(NOW, -8 * 24));
    d.rawMail.add('inbound/new', hoursFrom(NOW, -24));

    const receipt = await runRetention(d.ports, options());

    expect(receipt.counts).toEqual({ address: 0, access: 1, transmission: 2, content: 1, evidence: 1 });
    // Named, so the retention chain shows why it starts after that receipt.
    expect(receipt.prunedReceipts).toEqual([{ kind: 'retention', receiptId: '2022-06-14T00:00:00.000Z#00' }]);
    expect([...d.indexes.transmissions.rows.keys()]).toEqual(['fresh/0']);
    expect(d.indexes.access.rows.size).toBe(1);
    expect(d.rawMail.versions.map((v) => v.key)).toEqual(['inbound/new']);
    expect(d.rawMail.cutoffs[0]).toEqual(hoursFrom(NOW, -7 * 24));
  });

  it("takes addresses off SES's suppression list once they are past the address class (expiry plus support), and no sooner", async () => {
    const d = retentionDoubles();
    const { retentionDays, supportDays } = policy.classes.address;
    d.suppressions.entries.set('old@example.com', hoursFrom(NOW, -(retentionDays + supportDays) * 24 - 1));
    d.suppressions.entries.set('recent@example.com', hoursFrom(NOW, -(retentionDays + supportDays) * 24 + 1));

    const receipt = await runRetention(d.ports, options());

    expect([...d.suppressions.entries.keys()]).toEqual(['recent@example.com']);
    expect(receipt.counts.address).toBe(1);
  });

  it('retires a due customer alias (name hash kept first), deletes a due reverse alias, and never a retired hash', async () => {
    const d = retentionDoubles();
    const due = seconds(hoursFrom(NOW, -1));
    d.indexes.aliases.put({ alias: 'c-7k2m9q4x0abc' }, due);
    d.indexes.aliases.put({ alias: 'm-0123456789ab' }, due);
    d.indexes.aliases.put({ alias: 'retired#feedface' }, due);
    d.indexes.aliases.put({ alias: 'c-zzzzzzzzzzzz' }, seconds(hoursFrom(NOW, 1)));

    const receipt = await runRetention(d.ports, options());

    expect(d.retirer.retired).toEqual(['c-7k2m9q4x0abc']);
    expect(d.retirer.keptWhileAliasExisted).toEqual([true]);
    expect([...d.indexes.aliases.rows.keys()].sort()).toEqual(['c-zzzzzzzzzzzz', 'retired#feedface']);
    expect(receipt.counts.address).toBe(2);
    expect(receipt.aliasesRetired).toBe(1);
  });

  it("asks for a terminated store's erasure instead of deleting its store item, and deletes its due senders", async () => {
    const d = retentionDoubles();
    const due = seconds(hoursFrom(NOW, -5));
    d.indexes.stores.put({ storeId: 'closed-shop', item: 'store' }, due);
    d.indexes.stores.put({ storeId: 'closed-shop', item: 'sender#abc' }, due);
    d.indexes.stores.put({ storeId: 'open-shop', item: 'store' }, seconds(hoursFrom(NOW, 24 * 30)));

    const receipt = await runRetention(d.ports, options());

    expect(d.erasure.requested).toEqual(['closed-shop']);
    expect(d.indexes.stores.has({ storeId: 'closed-shop', item: 'store' })).toBe(true);
    expect(d.indexes.stores.has({ storeId: 'closed-shop', item: 'sender#abc' })).toBe(false);
    expect(receipt.counts.address).toBe(1);
  });

  it('never deletes the checkpoint, even were it ever in the expiry index', async () => {
    const d = retentionDoubles();
    d.indexes.receipts.put({ kind: CHECKPOINT_KIND, receiptId: 'retention' }, seconds(hoursFrom(NOW, -1)));
    const receipt = await runRetention(d.ports, options());
    expect(d.indexes.receipts.has({ kind: CHECKPOINT_KIND, receiptId: 'retention' })).toBe(true);
    expect(receipt.counts.evidence).toBe(0);
  });

  it('leaves an item re-dated since the index saw it, and does not count it', async () => {
    const d = retentionDoubles();
    d.indexes.aliases.put({ alias: 'm-0123456789ab' }, seconds(hoursFrom(NOW, -1)));
    d.indexes.aliases.redateInTableOnly({ alias: 'm-0123456789ab' }, seconds(hoursFrom(NOW, 24)));
    const receipt = await runRetention(d.ports, options());
    expect(d.indexes.aliases.has({ alias: 'm-0123456789ab' })).toBe(true);
    expect(receipt.counts.address).toBe(0);
  });

  it('writes a receipt under the policy version, with its own expiry, and nothing that names an item', async () => {
    const d = retentionDoubles();
    d.indexes.aliases.put({ alias: 'c-7k2m9q4x0abc' }, seconds(hoursFrom(NOW, -1)));
    d.indexes.stores.put({ storeId: 'closed-shop', item: 'sender#abc' }, seconds(hoursFrom(NOW, -1)));
    let clock = 1_000;
    const receipt = await runRetention(d.ports, options({ requestedBy: 'cli', elapsedMs: () => (clock += 1_500) }));

    expect(d.receipts.receipts).toEqual([receipt]);
    expect(receipt).toMatchObject({
      kind: 'retention',
      policyVersion: policyVersion(policy),
      requestedBy: 'cli',
      startedAt: NOW.toISOString(),
      finishedAt: new Date(NOW.getTime() + 1_500).toISOString(),
      complete: true,
      backupsExpireBy: new Date(NOW.getTime() + 1_500 + 35 * 86_400_000).toISOString(),
      purgeAt: Math.floor((NOW.getTime() + 1_500) / 1000) + 1827 * 86_400,
    });
    expect(receipt.receiptId.startsWith(`${NOW.toISOString()}#`)).toBe(true);
    const text = JSON.stringify(receipt);
    for (const name of ['c-7k2m9q4x0abc', 'closed-shop', 'sender#abc']) expect(text).not.toContain(name);
  });

  it('stops when its time runs low, saves where it stopped, and the next run finishes exactly the rest', async () => {
    const d = retentionDoubles();
    const due = seconds(hoursFrom(NOW, -1));
    for (let i = 0; i < 25; i += 1) d.indexes.transmissions.put({ transmissionId: `msg-${String(i).padStart(2, '0')}/0` }, due);
    for (let i = 0; i < 5; i += 1) d.rawMail.add(`inbound/m${i}`, hoursFrom(NOW, -10 * 24));
    const small = { pageSize: 2, firstRunLookbackDays: 0 };

    // Content takes 3 pages, then aliases, stores and access 4 empty buckets each: transmissions stops after 2 pages.
    const first = await runRetention(d.ports, options({ ...small, remainingMs: budgetOfPages(3 + 12 + 2) }));
    expect(first.complete).toBe(false);
    expect(first.counts).toMatchObject({ content: 5, transmission: 4 });
    expect(d.checkpoints.checkpoint?.unfinished).toMatchObject({ position: { stage: 'transmissions', day: '2027-06-15' }, beganOn: '2027-06-15' });
    expect(d.receipts.receipts).toHaveLength(1);

    const second = await runRetention(d.ports, options({ ...small, now: hoursFrom(NOW, 1) }));
    expect(second.complete).toBe(true);
    expect(second.counts).toMatchObject({ content: 0, transmission: 21 });
    expect(d.indexes.transmissions.rows.size).toBe(0);
    // Resumed at the stage where it stopped: nothing before it was visited again.
    expect(d.rawMail.cutoffs).toHaveLength(3);
    expect(d.checkpoints.checkpoint).toEqual({ fromDay: '2027-06-15' });

    const third = await runRetention(d.ports, options({ ...small, now: hoursFrom(NOW, 2) }));
    expect(third.complete).toBe(true);
    expect(Object.values(third.counts).every((count) => count === 0)).toBe(true);
    expect(third.aliasesRetired).toBe(0);
  });

  it('resumes inside a bucket at the saved cursor', async () => {
    const d = retentionDoubles();
    for (let i = 0; i < 6; i += 1) d.indexes.receipts.put({ kind: 'retention', receiptId: `r${i}` }, seconds(hoursFrom(NOW, -1)) - i);
    const bucketsOfToday = 4 * 4;
    await runRetention(d.ports, options({ pageSize: 1, firstRunLookbackDays: 0, remainingMs: budgetOfPages(1 + bucketsOfToday + 2) }));
    expect(d.indexes.receipts.rows.size).toBe(6 - 2);
    const position = d.checkpoints.checkpoint?.unfinished?.position;
    expect(position).toMatchObject({ stage: 'receipts', day: '2027-06-15' });
    expect(position?.cursor).toBeDefined();
    const second = await runRetention(d.ports, options({ pageSize: 1, firstRunLookbackDays: 0 }));
    expect(second.counts.evidence).toBe(4);
  });

  it('starts its next pass on the day the stopped pass began, since stages done before the stop only reached that day', async () => {
    const d = retentionDoubles();
    await runRetention(d.ports, options({ firstRunLookbackDays: 0, remainingMs: budgetOfPages(1 + 4) }));
    expect(d.checkpoints.checkpoint?.unfinished?.position.stage).toBe('stores');

    const nextDay = hoursFrom(NOW, 24);
    await runRetention(d.ports, options({ now: nextDay }));
    expect(d.indexes.stores.bucketsQueried.slice(0, 4)).toEqual(expiryBucketsOfDay('2027-06-15'));
    expect(d.checkpoints.checkpoint).toEqual({ fromDay: '2027-06-15' });

    // An alias due late on the 15th, after the stopped run's clock, is found by that next pass.
    d.indexes.aliases.put({ alias: 'm-0123456789ab' }, seconds(new Date('2027-06-15T22:00:00Z')));
    const receipt = await runRetention(d.ports, options({ now: hoursFrom(nextDay, 1) }));
    expect(receipt.counts.address).toBe(1);
  });

  it('stops at once with nothing done when no time is left, and says so', async () => {
    const d = retentionDoubles();
    d.indexes.transmissions.put({ transmissionId: 'old/0' }, seconds(hoursFrom(NOW, -1)));
    const receipt = await runRetention(d.ports, options({ remainingMs: () => 5_000 }));
    expect(receipt.complete).toBe(false);
    expect(d.checkpoints.checkpoint?.unfinished?.position).toEqual({ stage: 'content' });
    expect(d.indexes.transmissions.rows.size).toBe(1);
  });

  it('on a failure, records what it removed, saves the failing page as the place to resume, and rethrows', async () => {
    const d = retentionDoubles();
    d.indexes.aliases.put({ alias: 'm-0123456789ab' }, seconds(hoursFrom(NOW, -1)));
    d.indexes.access.failingBuckets.set('2027-06-15#0', Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(runRetention(d.ports, options({ firstRunLookbackDays: 0 }))).rejects.toThrow('throttled');
    expect(d.receipts.receipts).toHaveLength(1);
    expect(d.receipts.receipts[0]).toMatchObject({ complete: false, counts: { address: 1 } });
    expect(d.checkpoints.checkpoint?.unfinished?.position).toEqual({ stage: 'access', day: '2027-06-15', shard: 0 });

    const retry = await runRetention(d.ports, options({ firstRunLookbackDays: 0 }));
    expect(retry.complete).toBe(true);
    expect(d.indexes.access.bucketsQueried.slice(4)).toEqual(expiryBucketsOfDay('2027-06-15'));
  });

  it('fetches the first pages of buckets ahead, yet stops cleanly when one fetched ahead failed', async () => {
    const d = retentionDoubles();
    d.indexes.aliases.failingBuckets.set('2027-06-15#2', new Error('fetched ahead, never used'));
    const receipt = await runRetention(d.ports, options({ firstRunLookbackDays: 0, remainingMs: budgetOfPages(1 + 2) }));
    expect(d.indexes.aliases.bucketsQueried).toEqual(expiryBucketsOfDay('2027-06-15'));
    expect(receipt.complete).toBe(false);
    expect(d.checkpoints.checkpoint?.unfinished?.position).toEqual({ stage: 'aliases', day: '2027-06-15', shard: 2 });
  });

  it('with a clock before the checkpoint day visits only its own day and never skips work later', async () => {
    const d = retentionDoubles();
    d.checkpoints.checkpoint = { fromDay: '2027-06-15' };
    const earlier = new Date('2027-06-10T12:00:00Z');
    await runRetention(d.ports, options({ now: earlier }));
    expect(d.indexes.access.bucketsQueried).toEqual(expiryBucketsOfDay('2027-06-10'));
    expect(d.checkpoints.checkpoint).toEqual({ fromDay: '2027-06-10' });
  });
});
