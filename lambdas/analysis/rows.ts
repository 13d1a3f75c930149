import { japanHour } from '../records/days';
import type { SignalsReport } from '../fraud/signals';
import type { AnalysisRow } from './columns';
import { networkOf, sizeBandOf } from './pseudonyms';
import type { Pseudonymiser } from './pseudonyms';

/** A transmission or feedback record as the export reads it; identifiers here never reach a row. */
export interface ExportRecord {
  readonly kind: 'delivery' | 'bounce' | 'complaint';
  readonly receivedAt: string;
  readonly storeId?: string;
  /** The alias, or `invalid` when the recipient was not alias-shaped. */
  readonly aliasId?: string;
  readonly direction: string;
  readonly outcome?: string;
  readonly reason?: string;
  readonly feedback?: string;
  readonly verdicts?: Readonly<Partial<Record<'spf' | 'dkim' | 'dmarc' | 'spam' | 'virus', string>>>;
  readonly sizeBytes?: number;
  readonly connectingIp?: string;
}

const INVALID_ALIAS = 'invalid';

/** The rows of one day's records: identifiers become pseudonyms, sizes bands, IPs networks. */
export function analysisRows(records: readonly ExportRecord[], signals: SignalsReport, pseudonyms: Pseudonymiser): AnalysisRow[] {
  const storeFlags = new Map(signals.stores.map((store) => [store.storeId, store.flags.join(',')]));
  const aliasFlags = new Map(signals.aliases.map((alias) => [alias.alias, alias.flags.join(',')]));
  return records.map((record) => {
    const alias = record.aliasId === undefined || record.aliasId === '' || record.aliasId === INVALID_ALIAS ? undefined : record.aliasId;
    return {
      hour: japanHour(new Date(record.receivedAt)),
      kind: record.kind,
      store: record.storeId === undefined ? null : pseudonyms.of('store', record.storeId),
      alias: alias === undefined ? null : pseudonyms.of('alias', alias),
      direction: record.direction,
      outcome: record.outcome ?? null,
      reason: record.reason ?? null,
      feedback: record.feedback ?? null,
      spf: record.verdicts?.spf ?? null,
      dkim: record.verdicts?.dkim ?? null,
      dmarc: record.verdicts?.dmarc ?? null,
      spam: record.verdicts?.spam ?? null,
      virus: record.verdicts?.virus ?? null,
      size_band: sizeBandOf(record.sizeBytes) ?? null,
      network: networkOf(record.connectingIp) ?? null,
      store_flags: (record.storeId === undefined ? undefined : storeFlags.get(record.storeId)) ?? null,
      alias_flags: (alias === undefined ? undefined : aliasFlags.get(alias)) ?? null,
    };
  });
}
