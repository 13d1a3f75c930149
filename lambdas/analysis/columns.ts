/**
 * The columns of the pseudonymised analysis export, in file order. One description serves the
 * Parquet writer, the Glue table and the README, so what analysts query is what the files hold.
 * `day` is not among them: it is the partition (`day=YYYY-MM-DD/`), as Athena and DuckDB read it.
 */
export interface AnalysisColumn {
  readonly name: string;
  /** `string` is Parquet BYTE_ARRAY (UTF8), Glue `string`; `int` is Parquet INT32, Glue `int`. */
  readonly type: 'string' | 'int';
  readonly comment: string;
}

export const ANALYSIS_COLUMNS = [
  { name: 'hour', type: 'int', comment: 'hour of the day the record was made, Japan time (0-23)' },
  { name: 'kind', type: 'string', comment: 'delivery, bounce or complaint' },
  { name: 'store', type: 'string', comment: "pseudonym of the store (HMAC under this export's key); null for mail to no store" },
  { name: 'alias', type: 'string', comment: "pseudonym of the alias written to, a customer alias or a store's reverse alias (HMAC under this export's key); null when the recipient was no alias" },
  { name: 'direction', type: 'string', comment: 'merchant_to_customer, customer_to_merchant or unknown' },
  { name: 'outcome', type: 'string', comment: 'relayed or refused (deliveries only)' },
  { name: 'reason', type: 'string', comment: 'the named refusal reason, when refused' },
  { name: 'feedback', type: 'string', comment: 'bounce type or complaint feedback type (bounces and complaints only)' },
  { name: 'spf', type: 'string', comment: "SES's SPF verdict" },
  { name: 'dkim', type: 'string', comment: "SES's DKIM verdict" },
  { name: 'dmarc', type: 'string', comment: "SES's DMARC verdict" },
  { name: 'spam', type: 'string', comment: "SES's spam verdict" },
  { name: 'virus', type: 'string', comment: "SES's virus verdict" },
  { name: 'size_band', type: 'string', comment: 'message size band: <10KB, 10-100KB, 100KB-1MB, 1-10MB, >=10MB' },
  { name: 'network', type: 'string', comment: "connecting client's network: IPv4 /24 or IPv6 /48" },
  { name: 'store_flags', type: 'string', comment: "the day's abuse-signal flags of the store, comma-separated" },
  { name: 'alias_flags', type: 'string', comment: "the day's abuse-signal flags of the alias, comma-separated" },
] as const satisfies readonly AnalysisColumn[];

/** One row of the export: every column, null where it does not apply. */
export type AnalysisRow = { readonly [C in (typeof ANALYSIS_COLUMNS)[number] as C['name']]: C['type'] extends 'int' ? number : string | null };

/** The partition column of every table, as `day=YYYY-MM-DD/` in the object key. */
export const DAY_PARTITION = 'day';
/** The extra partition of investigation exports, `investigation=<ID>/`. */
export const INVESTIGATION_PARTITION = 'investigation';
