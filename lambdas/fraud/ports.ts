import type { AccessEvent, DayRecord } from './signals';

/** Where the signals are read from: the stores, their transmission and feedback records, their access log. */
export interface SignalSources {
  /** Every store's ID. */
  storeIds(): Promise<string[]>;
  /** The store's transmission and feedback records received in [from, to). */
  recordsOfStore(storeId: string, from: Date, to: Date): Promise<DayRecord[]>;
  /** The store's merchant-menu access records of [from, to). */
  accessOfStore(storeId: string, from: Date, to: Date): Promise<AccessEvent[]>;
  /** Times the store's mail found its rate limit full on the Japanese day. */
  overLimitOfStore(storeId: string, day: string): Promise<number>;
}

/** Pausing a store that crossed a pausing threshold; false when it is gone. */
export interface StorePausing {
  isPaused(storeId: string): Promise<boolean>;
  pause(storeId: string, reason: string): Promise<boolean>;
}
