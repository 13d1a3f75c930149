import { japanDay, japanDayBounds } from '../records/days';
import { computeSignals, historyStart } from './signals';
import type { AccessEvent, DayRecord, FraudThresholds, SignalsReport } from './signals';
import type { SignalSources, StorePausing } from './ports';

/**
 * One day's abuse signals, read store by store: each store's records of the day and the 14 before
 * it through the stores-by-time index, and its access records of the day. Then, for the scheduled
 * run, each store past a pausing threshold is paused (a store paused already keeps its first pause).
 */

export interface SignalsRun extends SignalsReport {
  /** Stores this run paused, with the threshold that paused them. */
  readonly paused: readonly { readonly storeId: string; readonly reason: string }[];
}

/** The day before `now`'s, in Japan: the last whole day. */
export function lastWholeDay(now: Date): string {
  return japanDay(new Date(now.getTime() - 86_400_000));
}

export async function readSignals(day: string, sources: SignalSources, thresholds: FraudThresholds): Promise<SignalsReport> {
  const { from: dayFrom, to } = japanDayBounds(day);
  const historyFrom = japanDayBounds(historyStart(day)).from;
  const records: DayRecord[] = [];
  const access: AccessEvent[] = [];
  const overLimit = new Map<string, number>();
  for (const storeId of await sources.storeIds()) {
    records.push(...(await sources.recordsOfStore(storeId, historyFrom, to)));
    access.push(...(await sources.accessOfStore(storeId, dayFrom, to)));
    overLimit.set(storeId, await sources.overLimitOfStore(storeId, day));
  }
  return computeSignals({ day, records, access, overLimit, thresholds });
}

export async function runSignals(day: string, sources: SignalSources, pausing: StorePausing, thresholds: FraudThresholds): Promise<SignalsRun> {
  const report = await readSignals(day, sources, thresholds);
  const paused: { storeId: string; reason: string }[] = [];
  for (const store of report.stores) {
    if (!store.pause || (await pausing.isPaused(store.storeId))) continue;
    if (await pausing.pause(store.storeId, store.pause)) paused.push({ storeId: store.storeId, reason: store.pause });
  }
  return { ...report, paused };
}
