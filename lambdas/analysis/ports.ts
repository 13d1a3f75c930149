import type { ExportRecord } from './rows';

/** The day's transmission and feedback records, wherever they are kept. */
export interface DayRecordSource {
  /** Every finished transmission record and every feedback record received in [from, to). */
  recordsReceived(from: Date, to: Date): Promise<ExportRecord[]>;
}

/** The analysis bucket. */
export interface AnalysisFiles {
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
}

/** Keys of named investigations: the same ID gives the same key, and nobody stores it. */
export interface InvestigationKeys {
  keyFor(investigationId: string): Promise<Uint8Array>;
}
