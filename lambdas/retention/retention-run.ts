import { parseAliasName } from '../aliases/names';
import { backupsExpireBy, receiptFrame } from '../records/receipts';
import type { Receipt, ReceiptKind } from '../records/receipts';
import { addDays, daysFromThrough, firstRunLookbackDays, utcDay } from '../records/days';
import { DATA_CLASSES, DAY_SECONDS } from '../records/retention-policy';
import type { DataClass, RetentionPolicy } from '../records/retention-policy';
import { CHECKPOINT_KIND, RETENTION_STAGES } from './ports';
import type { DueKeysPage, ExpiringTable, ItemKey, RetentionCheckpoint, RetentionPorts, RetentionPosition, RetentionStage } from './ports';
import { RETIRED_ALIAS_PREFIX, STORE_ITEM, expiryBucketsOfDay } from '../records/table-schema';

/**
 * The retention run: removes what passed its period and DynamoDB TTL or S3 lifecycle has not removed
 * yet, found per day through each table's expiry index (never a scan), and writes a receipt with
 * the counts. It works in bounded pages, stops with a checkpoint when its time runs low, and the
 * next run resumes there; running it again changes nothing.
 */

const DAY_MS = DAY_SECONDS * 1000;

const RETENTION_DEFAULTS = {
  /** Keys per index page and objects per raw-mail page: small enough to finish well within the reserve. */
  pageSize: 100,
  /** Deletions in flight at once: quick, without throttling an on-demand table. */
  deleteConcurrency: 8,
  /** Index buckets whose first page is fetched ahead of the one being worked on. */
  bucketsAhead: 16,
  /** Time kept back to write the receipt and the checkpoint after the last page. */
  reserveMs: 20_000,
} as const;

/** After each stage (or where the run stopped): no keys, names or addresses, only counts. */
export interface RetentionProgress {
  readonly stage: RetentionStage;
  readonly removed: number;
  /** Stores stage: terminated stores whose erasure was requested. */
  readonly storeErasuresRequested?: number;
  readonly stopped: boolean;
}

export interface RetentionOptions {
  /** The instant periods are measured against; injectable so tests can move time forward. */
  readonly now: Date;
  readonly policy: RetentionPolicy;
  readonly requestedBy: string;
  /** Milliseconds left before the run must have ended (Lambda's remaining time). @default unlimited */
  readonly remainingMs?: () => number;
  /** The run stops at the next page once fewer milliseconds than this remain. */
  readonly reserveMs?: number;
  readonly pageSize?: number;
  readonly deleteConcurrency?: number;
  readonly bucketsAhead?: number;
  /** Expiry days a run without a checkpoint looks back. @default firstRunLookbackDays(policy) */
  readonly firstRunLookbackDays?: number;
  /** A monotonic millisecond clock: `finishedAt` is `now` plus the time the run took. */
  readonly elapsedMs?: () => number;
  readonly onProgress?: (progress: RetentionProgress) => void;
}

/** The classes the run deletes; analysis exports expire by the analysis bucket's lifecycle. */
const RUN_CLASSES = DATA_CLASSES.filter((dataClass): dataClass is Exclude<DataClass, 'analysis'> => dataClass !== 'analysis');
type Counts = Record<(typeof RUN_CLASSES)[number], number>;

/** State of one run, shared by the stages. */
interface Run {
  readonly ports: RetentionPorts;
  readonly nowSeconds: number;
  readonly today: string;
  readonly fromDay: string;
  /** Raw mail last modified at or before this instant is past the content period. */
  readonly contentCutoff: Date;
  /**
   * A suppression-list entry put there at or before this instant is past the address class: the
   * alias it could concern has expired and its support period has ended.
   */
  readonly addressCutoff: Date;
  readonly pageSize: number;
  readonly deleteConcurrency: number;
  readonly bucketsAhead: number;
  readonly outOfTime: () => boolean;
  readonly counts: Counts;
  aliasesRetired: number;
  readonly erasuresRequested: Set<string>;
  /** Receipts this run removed as past their own period, named in its receipt so the chains show why they end there. */
  readonly prunedReceipts: { kind: ReceiptKind; receiptId: string }[];
  /** The page being worked on: where an error leaves the next run to start. */
  current: RetentionPosition;
}

export async function runRetention(ports: RetentionPorts, options: RetentionOptions): Promise<Receipt> {
  const elapsedMs = options.elapsedMs ?? (() => performance.now());
  const started = elapsedMs();
  const { now, policy } = options;
  const today = utcDay(now);
  const checkpoint = await ports.checkpoints.load();
  const reserveMs = options.reserveMs ?? RETENTION_DEFAULTS.reserveMs;
  const { remainingMs } = options;
  const run: Run = {
    ports,
    nowSeconds: Math.floor(now.getTime() / 1000),
    today,
    contentCutoff: new Date(now.getTime() - policy.classes.content.retentionDays * DAY_MS),
    addressCutoff: new Date(now.getTime() - (policy.classes.address.retentionDays + policy.classes.address.supportDays) * DAY_MS),
    fromDay: minDay(checkpoint?.fromDay ?? addDays(today, -(options.firstRunLookbackDays ?? firstRunLookbackDays(policy))), today),
    pageSize: options.pageSize ?? RETENTION_DEFAULTS.pageSize,
    deleteConcurrency: options.deleteConcurrency ?? RETENTION_DEFAULTS.deleteConcurrency,
    bucketsAhead: Math.max(1, options.bucketsAhead ?? RETENTION_DEFAULTS.bucketsAhead),
    outOfTime: () => remainingMs !== undefined && remainingMs() < reserveMs,
    counts: Object.fromEntries(RUN_CLASSES.map((dataClass) => [dataClass, 0])) as Counts,
    aliasesRetired: 0,
    erasuresRequested: new Set(),
    prunedReceipts: [],
    current: checkpoint?.unfinished?.position ?? { stage: RETENTION_STAGES[0] },
  };
  const beganOn = minDay(checkpoint?.unfinished?.beganOn ?? today, today);

  const finish = async (stoppedAt: RetentionPosition | undefined): Promise<Receipt> => {
    const receipt = retentionReceipt(run, options, stoppedAt === undefined, elapsedMs() - started);
    // The receipt first: if the checkpoint then fails to save, the next run repeats deletions that
    // find nothing, rather than the evidence of this run's deletions being lost.
    await ports.receipts.record(receipt);
    await ports.checkpoints.save(nextCheckpoint(run, beganOn, stoppedAt));
    return receipt;
  };

  let stoppedAt: RetentionPosition | undefined;
  try {
    stoppedAt = await runStages(run, checkpoint, options.onProgress);
  } catch (error) {
    await finish(run.current).catch(() => undefined);
    throw error;
  }
  return finish(stoppedAt);
}

function minDay(a: string, b: string): string {
  return a < b ? a : b;
}

async function runStages(run: Run, checkpoint: RetentionCheckpoint | undefined, onProgress: RetentionOptions['onProgress']): Promise<RetentionPosition | undefined> {
  const resumeAt = checkpoint?.unfinished?.position;
  const firstStage = resumeAt ? Math.max(0, RETENTION_STAGES.indexOf(resumeAt.stage)) : 0;
  for (const stage of RETENTION_STAGES.slice(firstStage)) {
    const resume = resumeAt?.stage === stage ? resumeAt : undefined;
    const before = totalRemoved(run);
    const stoppedAt = stage === 'content' ? await sweepContent(run, resume) : stage === 'suppressions' ? await sweepSuppressions(run, resume) : await expireTable(run, stage, resume);
    onProgress?.({
      stage,
      removed: totalRemoved(run) - before,
      ...(stage === 'stores' ? { storeErasuresRequested: run.erasuresRequested.size } : {}),
      stopped: stoppedAt !== undefined,
    });
    if (stoppedAt) return stoppedAt;
  }
  return undefined;
}

function totalRemoved(run: Run): number {
  return Object.values(run.counts).reduce((sum, count) => sum + count, 0);
}

/** Raw mail older than the content period, every version and delete marker, page by page. */
async function sweepContent(run: Run, resume: RetentionPosition | undefined): Promise<RetentionPosition | undefined> {
  let cursor = resume?.cursor;
  do {
    const here: RetentionPosition = { stage: 'content', ...(cursor === undefined ? {} : { cursor }) };
    if (run.outOfTime()) return here;
    run.current = here;
    const page = await run.ports.rawMail.sweepOlderThan(run.contentCutoff, { ...(cursor === undefined ? {} : { cursor }), maxKeys: run.pageSize });
    run.counts.content += page.removed;
    cursor = page.cursor;
  } while (cursor !== undefined);
  return undefined;
}

/** Suppression-list entries older than the address class, page by page. */
async function sweepSuppressions(run: Run, resume: RetentionPosition | undefined): Promise<RetentionPosition | undefined> {
  let cursor = resume?.cursor;
  do {
    const here: RetentionPosition = { stage: 'suppressions', ...(cursor === undefined ? {} : { cursor }) };
    if (run.outOfTime()) return here;
    run.current = here;
    const page = await run.ports.suppressions.sweepOlderThan(run.addressCutoff, { ...(cursor === undefined ? {} : { cursor }), pageSize: run.pageSize });
    run.counts.address += page.removed;
    cursor = page.cursor;
  } while (cursor !== undefined);
  return undefined;
}

interface BucketVisit {
  readonly day: string;
  readonly shard: number;
  readonly bucket: string;
  /** Where in the bucket to start: a resumed run's saved cursor, or its beginning. */
  readonly cursor?: string;
}

/** The buckets of a table stage, in order: every shard of every day from the first pending day through today. */
function bucketsToVisit(run: Run, resume: RetentionPosition | undefined): BucketVisit[] {
  const visits: BucketVisit[] = [];
  for (const day of daysFromThrough(resume?.day ?? run.fromDay, run.today)) {
    const resumeDay = resume !== undefined && day === resume.day;
    for (const [shard, bucket] of expiryBucketsOfDay(day).entries()) {
      if (resumeDay && shard < (resume.shard ?? 0)) continue;
      const cursor = resumeDay && shard === resume.shard ? resume.cursor : undefined;
      visits.push({ day, shard, bucket, ...(cursor === undefined ? {} : { cursor }) });
    }
  }
  return visits;
}

type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

function unwrap<T>(settled: Settled<T>): T {
  if (!settled.ok) throw settled.error;
  return settled.value;
}

/**
 * Every due key of one table, bucket by bucket. Almost every bucket is empty, so the first pages of
 * the next few buckets are fetched ahead, all at once: reading them early changes nothing, as each
 * deletion re-checks its item anyway. The work itself and the saved position stay in bucket order.
 */
async function expireTable(run: Run, table: ExpiringTable, resume: RetentionPosition | undefined): Promise<RetentionPosition | undefined> {
  const index = run.ports.expiryIndexes[table];
  const fetchPage = (visit: BucketVisit, cursor: string | undefined) =>
    settle(index.dueKeys(visit.bucket, run.nowSeconds, { ...(cursor === undefined ? {} : { cursor }), limit: run.pageSize }));
  const visits = bucketsToVisit(run, resume);
  const firstPages = new Map<number, Promise<Settled<DueKeysPage>>>();
  const firstPageOf = (at: number): Promise<Settled<DueKeysPage>> => {
    for (let ahead = at; ahead < Math.min(visits.length, at + run.bucketsAhead); ahead += 1) {
      if (!firstPages.has(ahead)) firstPages.set(ahead, fetchPage(visits[ahead] as BucketVisit, visits[ahead]?.cursor));
    }
    const page = firstPages.get(at) as Promise<Settled<DueKeysPage>>;
    firstPages.delete(at);
    return page;
  };

  for (const [at, visit] of visits.entries()) {
    let cursor = visit.cursor;
    let next = firstPageOf(at);
    for (;;) {
      const here: RetentionPosition = { stage: table, day: visit.day, shard: visit.shard, ...(cursor === undefined ? {} : { cursor }) };
      if (run.outOfTime()) return here;
      run.current = here;
      const page = unwrap(await next);
      await forEachConcurrently(page.keys, run.deleteConcurrency, (key) => expireItem(run, table, key));
      if (page.cursor === undefined) break;
      cursor = page.cursor;
      next = fetchPage(visit, cursor);
    }
  }
  return undefined;
}

async function expireItem(run: Run, table: ExpiringTable, key: ItemKey): Promise<void> {
  const deleteIfDue = (key: ItemKey) => run.ports.expiryIndexes[table].deleteIfDue(key, run.nowSeconds);
  switch (table) {
    case 'aliases': {
      const alias = key.alias ?? '';
      // Retired-name hashes carry no purgeAt; should one ever turn up, it must stay regardless.
      if (alias.startsWith(RETIRED_ALIAS_PREFIX)) return;
      const customer = parseAliasName(alias)?.kind === 'customer';
      // The hash goes first: once the alias is gone, nothing else would stop its name being issued again.
      if (customer) await run.ports.aliasRetirer.keepRetiredName(alias);
      if (!(await deleteIfDue(key))) return;
      run.counts.address += 1;
      if (customer) run.aliasesRetired += 1;
      return;
    }
    case 'stores': {
      if (key.item === STORE_ITEM) {
        // The store item is what the destruction function erases the whole store by, with its own
        // receipt; deleting it here would leave that erasure nothing to find the store by.
        const storeId = key.storeId ?? '';
        if (storeId === '' || run.erasuresRequested.has(storeId)) return;
        run.erasuresRequested.add(storeId);
        await run.ports.storeErasure.requestErasure(storeId);
        return;
      }
      if (await deleteIfDue(key)) run.counts.address += 1;
      return;
    }
    case 'access':
      if (await deleteIfDue(key)) run.counts.access += 1;
      return;
    case 'transmissions':
      if (await deleteIfDue(key)) run.counts.transmission += 1;
      return;
    case 'receipts':
      if (key.kind === CHECKPOINT_KIND) return;
      if (await deleteIfDue(key)) {
        run.counts.evidence += 1;
        run.prunedReceipts.push({ kind: key.kind as ReceiptKind, receiptId: key.receiptId ?? '' });
      }
      return;
  }
}

async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

function nextCheckpoint(run: Run, beganOn: string, stoppedAt: RetentionPosition | undefined): RetentionCheckpoint {
  if (stoppedAt) return { fromDay: run.fromDay, unfinished: { position: stoppedAt, beganOn } };
  // Stages finished by earlier runs of this pass only reached the day those runs began on.
  return { fromDay: beganOn };
}

function retentionReceipt(run: Run, options: RetentionOptions, complete: boolean, tookMs: number): Receipt {
  const { now, policy } = options;
  const finishedAt = new Date(now.getTime() + Math.max(0, Math.round(tookMs)));
  return {
    ...receiptFrame('retention', { policy, requestedBy: options.requestedBy, startedAt: now, finishedAt }),
    counts: { ...run.counts },
    aliasesRetired: run.aliasesRetired,
    ...(run.prunedReceipts.length > 0 ? { prunedReceipts: [...run.prunedReceipts].sort((a, b) => a.receiptId.localeCompare(b.receiptId)) } : {}),
    complete,
    backupsExpireBy: backupsExpireBy(policy, finishedAt),
  };
}
