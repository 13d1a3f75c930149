import type { ClassCounts } from '../records/receipts';
import type { DataClass } from '../records/retention-policy';
import type { SubjectPorts, SubjectRecord } from './ports';

/** Helpers destruction and termination share: bounded fan-out, per-class tallies, record look-ups. */

/** One finished step, for the CLI's progress lines. */
export interface DestructionStep {
  readonly dataClass: DataClass;
  readonly removed: number;
  readonly phase: string;
}

export type DestructionProgress = (step: DestructionStep) => void;

/** Calls to one table in flight at once: enough to be quick, few enough not to be throttled. */
const PARALLEL_CALLS = 16;

/**
 * Runs `act` over every item, a few at a time, and counts the items it answered true for. After a
 * failure no further item is started, so a failed run stops rather than going on unobserved.
 */
export async function countWhere<T>(items: Iterable<T>, act: (item: T) => Promise<boolean>): Promise<number> {
  const all = [...items];
  let next = 0;
  let count = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < all.length) {
      const item = all[next++] as T;
      try {
        if (await act(item)) count += 1;
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_CALLS, all.length) }, worker));
  return count;
}

/** Every result of `look`, over every item, a few items at a time. */
export async function collect<T, R>(items: Iterable<T>, look: (item: T) => Promise<readonly R[]>): Promise<R[]> {
  const results: R[] = [];
  await countWhere(items, async (item) => {
    results.push(...(await look(item)));
    return false;
  });
  return results;
}

/** Per-class counts that only grow. */
export class ClassTally {
  private readonly counts = new Map<DataClass, number>();

  constructor(classes: readonly DataClass[]) {
    for (const dataClass of classes) this.counts.set(dataClass, 0);
  }

  add(dataClass: DataClass, count: number): void {
    this.counts.set(dataClass, (this.counts.get(dataClass) ?? 0) + count);
  }

  toCounts(): ClassCounts {
    return Object.fromEntries(this.counts);
  }
}

/** Every transmission and feedback record naming any of the aliases. */
export async function recordsOfAliases(aliases: Iterable<string>, ports: Pick<SubjectPorts, 'transmissions'>): Promise<SubjectRecord[]> {
  const records = await collect(aliases, (alias) => ports.transmissions.ofAlias(alias));
  return [...new Map(records.map((record) => [record.transmissionId, record])).values()];
}

/** SES message IDs of the inbound mail behind these records, once each. */
export function inboundMessageIds(records: readonly SubjectRecord[]): string[] {
  return [...new Set(records.flatMap((record) => (record.inboundMessageId === undefined ? [] : [record.inboundMessageId])))];
}
