import { resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { createAnalysisExport } from '../../lambdas/analysis/app';
import { investigationKey } from '../../lambdas/analysis/export-run';
import type { ExportKey, ExportManifest } from '../../lambdas/analysis/export-run';
import { invokeForResult } from '../../lambdas/aws/invoke-for-receipt';
import { lastWholeDay } from '../../lambdas/fraud/fraud-run';
import { writeShareBundle } from '../analysis-share';
import { openAnalysisWorkspace, queryRows } from '../analysis-workspace';
import { TargetError } from '../target';
import type { Target } from '../target';
import { japanDayOption } from './context';
import type { CommandContext } from './context';

/**
 * On AWS the deployed function exports (only it may derive an investigation's key, and CloudTrail
 * records who invoked it); on the local stack the same code runs in-process.
 */
async function exportDay(target: Target, day: string, key: ExportKey): Promise<ExportManifest> {
  if (target.name === 'aws') {
    if (!target.functions) throw new TargetError('the deployed stack names no analysis function; deploy the current version first');
    const investigation = key.kind === 'investigation' ? { investigation: { id: key.investigationId, requestedBy: key.requestedBy } } : {};
    return invokeForResult<ExportManifest>(target.functions.lambda, target.functions.analysis, { day, ...investigation });
  }
  return createAnalysisExport({
    dynamodb: target.dynamodb,
    s3: target.s3,
    kms: target.kms,
    settings: {
      tables: { stores: target.tables.stores, transmissions: target.tables.transmissions, access: target.tables.access },
      transmissionRetentionDays: target.config.retention.classes.transmission.retentionDays,
      thresholds: target.config.fraud,
      bucket: target.analysisBucket,
      pseudonymKeyId: target.keys.pseudonymKeyId,
    },
    logger: new Logger({ serviceName: 'anshin-analysis', logLevel: 'SILENT' }),
  }).exportDay(day, key);
}

/** A result as a person reads it: a header, aligned columns, and the row count. */
function table(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const cell = (value: unknown): string => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  const line = (values: readonly string[]): string => values.map((value, i) => value.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...rows.map((row) => line(columns.map((column) => cell(row[column])))), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n');
}

/** `anshin analysis …`: the pseudonymised export, SQL over it, and the bundle a third party may receive. */
export function analysisCommands(context: CommandContext): void {
  const analysis = context.program.command('analysis').description('the pseudonymised analysis export: Parquet by day, queried with SQL; never an address, alias name or store ID');

  analysis
    .command('export')
    .description("write the day's records, pseudonymised, as Parquet to the analysis bucket (what the daily schedule does)")
    .option('--day <YYYY-MM-DD>', 'the day, in Japan time (default: yesterday)', japanDayOption)
    .option('--key <investigation-id>', "pseudonymise under a named investigation's stable key, so its exports join (default: a key for this export only)")
    .option('--requested-by <who>', 'who asked for the investigation: a person or a case reference (required with --key)')
    .action(async (opts: { day?: string; key?: string; requestedBy?: string }) => {
      if (opts.requestedBy !== undefined && opts.key === undefined) throw new TargetError('--requested-by goes with --key');
      const key: ExportKey = opts.key === undefined ? { kind: 'per_export' } : investigationKey(opts.key, opts.requestedBy ?? '');
      const { target, options } = await context.target();
      const manifest = await exportDay(target, opts.day ?? lastWholeDay(context.now()), key);
      const under = manifest.key === 'investigation' ? `investigation ${manifest.investigationId}'s key (asked by ${manifest.requestedBy})` : 'a key made for this export only';
      context.print(options, manifest, `exported ${manifest.rows} record(s) of ${manifest.day} to ${manifest.object} (${manifest.bytes} bytes), pseudonymised under ${under}`);
    });

  analysis
    .command('query')
    .description('run SQL (DuckDB) over tables `records` and `investigation_records` of the analysis bucket; for every day on AWS, use the Athena workgroup')
    .argument('<sql>', "e.g. \"SELECT day, outcome, count(*) FROM records GROUP BY ALL\"")
    .option('--from <YYYY-MM-DD>', 'first day to load', japanDayOption)
    .option('--to <YYYY-MM-DD>', 'last day to load', japanDayOption)
    .action(async (sql: string, opts: { from?: string; to?: string }) => {
      const { target, options } = await context.target();
      const workspace = await openAnalysisWorkspace(target, { ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) });
      try {
        const result = await queryRows(workspace.connection, sql).catch((error: unknown) => {
          throw new TargetError(`the query failed: ${error instanceof Error ? error.message : String(error)}`);
        });
        context.print(options, result.rows, table(result.columns, result.rows));
      } finally {
        workspace.close();
      }
    });

  analysis
    .command('share')
    .description('write the bundle a third party may receive: aggregates only, groups under 5 suppressed, store pseudonyms made for the bundle')
    .requiredOption('--from <YYYY-MM-DD>', 'first day', japanDayOption)
    .requiredOption('--to <YYYY-MM-DD>', 'last day', japanDayOption)
    .option('--out <dir>', 'directory to write the bundle to', 'analysis-share')
    .action(async (opts: { from: string; to: string; out: string }) => {
      if (opts.from > opts.to) throw new TargetError('--from is after --to');
      const { target, options } = await context.target();
      const bundle = await writeShareBundle(target, opts.from, opts.to, resolve(opts.out), context.now());
      const files = Object.entries(bundle.files).map(([file, rows]) => `${file} (${rows} rows)`).join(', ');
      context.print(options, bundle, `wrote the bundle for ${bundle.from} to ${bundle.to} to ${bundle.directory}: ${files}, manifest.json`);
    });
}
