import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { createAnalysisExport } from '../lambdas/analysis/app';
import { toParquet } from '../lambdas/analysis/parquet';
import { Pseudonymiser } from '../lambdas/analysis/pseudonyms';
import { analysisRows } from '../lambdas/analysis/rows';
import type { ExportRecord } from '../lambdas/analysis/rows';
import { documentClient, expiryIndexAttributes } from '../lambdas/aws/dynamo-document';
import { DEFAULT_FRAUD_THRESHOLDS } from '../lambdas/fraud/signals';
import { japanDay, japanDayBounds } from '../lambdas/records/days';
import { DEFAULT_CONFIG } from '../lib/config';
import { UNREACHABLE_RATE_LIMITS } from '../lambdas/relay/rate-limits';
import { startLocalStack } from '../local/stack';

/**
 * The analysis export, two ways: the pure part (records to rows to one Parquet file) on a day of
 * synthetic records shaped like a marketplace's, beside JSON lines of the same rows (plain and
 * gzipped) as the floor a file format must beat; and the whole export on the local stack, from
 * DynamoDB Local through the expiry index to the local S3.
 */

export interface AnalysisExportBench {
  readonly records: number;
  readonly rowsPerSecond: number;
  readonly parquetBytesPerMillion: number;
  readonly jsonLinesBytesPerMillion: number;
  readonly gzippedJsonLinesBytesPerMillion: number;
  readonly endToEnd: { readonly records: number; readonly rowsPerSecond: number };
}

const REASONS = ['unregistered_sender', 'unauthenticated_sender', 'unknown_alias', 'expired_alias', 'rate_limited', 'loop_detected'];
const VERDICTS = ['PASS', 'PASS', 'PASS', 'PASS', 'FAIL', 'GRAY'];

/** Deterministic, so two runs compare: 2,000 stores, 100,000 aliases, 5% refused, 1% feedback. */
function syntheticRecords(count: number, day: string): ExportRecord[] {
  const { from } = japanDayBounds(day);
  let seed = 42;
  const next = (n: number): number => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed % n;
  };
  return Array.from({ length: count }, (_, i): ExportRecord => {
    const store = `store-${next(2_000)}`;
    const receivedAt = new Date(from.getTime() + Math.floor((i / count) * 86_400_000)).toISOString();
    const roll = next(100);
    const base = { receivedAt, storeId: store, aliasId: `c-${next(100_000).toString(36)}x${next(1_000_000).toString(36)}` };
    if (roll === 0) return { ...base, kind: next(4) === 0 ? 'complaint' : 'bounce', direction: 'merchant_to_customer', feedback: 'Permanent' };
    const verdict = (): string => VERDICTS[next(VERDICTS.length)] ?? 'PASS';
    return {
      ...base,
      kind: 'delivery',
      direction: next(5) === 0 ? 'customer_to_merchant' : 'merchant_to_customer',
      outcome: roll < 6 ? 'refused' : 'relayed',
      ...(roll < 6 ? { reason: REASONS[next(REASONS.length)] ?? 'unknown_alias' } : {}),
      verdicts: { spf: verdict(), dkim: verdict(), dmarc: verdict(), spam: 'PASS', virus: 'PASS' },
      sizeBytes: 2_000 + next(200_000),
      connectingIp: `${next(223) + 1}.${next(256)}.${next(256)}.${next(256)}`,
    };
  });
}

const NO_SIGNALS = { day: '', storesSeen: 0, stores: [], aliases: [], ips: [] };

async function wholeExport(records: readonly ExportRecord[], day: string): Promise<{ rowsPerSecond: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'anshin-bench-analysis-'));
  const stack = await startLocalStack({ dataDir, log: () => undefined, rateLimits: UNREACHABLE_RATE_LIMITS });
  try {
    const db = documentClient(stack.clients.dynamodb);
    const retentionDays = DEFAULT_CONFIG.retention.classes.transmission.retentionDays;
    const items = records.map((record, i) => {
      const transmissionId = record.kind === 'delivery' ? `bench-${i}/0` : `feedback/bench-${i}/${record.kind}`;
      const purgeAt = Math.floor(Date.parse(record.receivedAt) / 1000) + retentionDays * 86_400;
      const { feedback, ...stored } = record;
      return { transmissionId, ...stored, ...(feedback === undefined ? { state: 'done' } : { bounceType: feedback }), purgeAt, ...expiryIndexAttributes(purgeAt, transmissionId) };
    });
    for (let i = 0; i < items.length; i += 25) {
      await db.send(new BatchWriteCommand({ RequestItems: { [stack.settings.transmissionsTable]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    }
    const analysis = createAnalysisExport({
      dynamodb: stack.clients.dynamodb,
      s3: stack.clients.s3,
      kms: stack.clients.kms,
      settings: {
        tables: { stores: stack.settings.storesTable, transmissions: stack.settings.transmissionsTable, access: stack.endpoints.tables.access },
        transmissionRetentionDays: retentionDays,
        thresholds: DEFAULT_FRAUD_THRESHOLDS,
        bucket: stack.endpoints.analysisBucket,
        pseudonymKeyId: stack.endpoints.keys.pseudonym,
      },
      logger: new Logger({ serviceName: 'anshin-analysis', logLevel: 'SILENT' }),
    });
    const started = performance.now();
    const manifest = await analysis.exportDay(day, { kind: 'per_export' });
    const seconds = (performance.now() - started) / 1000;
    if (manifest.rows !== records.length) throw new Error(`exported ${manifest.rows} of ${records.length} records`);
    return { rowsPerSecond: manifest.rows / seconds };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function measureAnalysisExport(options: { readonly quick: boolean }): Promise<AnalysisExportBench> {
  const day = japanDay(new Date(Date.now() - 86_400_000));
  const count = options.quick ? 50_000 : 250_000;
  const records = syntheticRecords(count, day);
  // Warm-up: the JIT and the writer's code paths.
  toParquet(analysisRows(records.slice(0, 5_000), NO_SIGNALS, Pseudonymiser.perExport()), {});
  const started = performance.now();
  const parquet = toParquet(analysisRows(records, NO_SIGNALS, Pseudonymiser.perExport()), {});
  const seconds = (performance.now() - started) / 1000;
  const jsonLines = Buffer.from(analysisRows(records, NO_SIGNALS, Pseudonymiser.perExport()).map((row) => JSON.stringify(row)).join('\n'));
  const perMillion = (bytes: number): number => Math.round((bytes / count) * 1_000_000);
  const endToEndRecords = options.quick ? 2_000 : 10_000;
  return {
    records: count,
    rowsPerSecond: count / seconds,
    parquetBytesPerMillion: perMillion(parquet.byteLength),
    jsonLinesBytesPerMillion: perMillion(jsonLines.byteLength),
    gzippedJsonLinesBytesPerMillion: perMillion(gzipSync(jsonLines).byteLength),
    endToEnd: { records: endToEndRecords, ...(await wholeExport(syntheticRecords(endToEndRecords, day), day)) },
  };
}
