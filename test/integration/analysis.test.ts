import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ANALYSIS_COLUMNS } from '../../lambdas/analysis/columns';
import type { ExportManifest } from '../../lambdas/analysis/export-run';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { DynamoDayRecords } from '../../lambdas/analysis/aws/dynamo-day-records';
import { documentClient, expiryIndexAttributes } from '../../lambdas/aws/dynamo-document';
import { japanDay, japanDayBounds } from '../../lambdas/records/days';
import { DEFAULT_CONFIG } from '../../lib/config';
import type { ShareBundle } from '../../cli/analysis-share';
import { captureProcessOutput } from '../support/capture-output';
import { RelayHarness } from './support/relay-harness';

/**
 * The pseudonymised analysis export on the local stack, as an analyst uses it: `anshin analysis
 * export` writes the day's Parquet, `anshin analysis query` answers SQL over it with DuckDB, and
 * `anshin analysis share` writes the aggregates a third party may receive. No party's address,
 * alias name or store ID is in any of it.
 */

const SENDER = 'news@analysis-shop.example';
const STRANGER = 'spoofer@elsewhere.example';
const CUSTOMERS = ['hanako.analysis@example.com', 'taro.analysis@example.com'];
const SUBJECT = '解析用の件名';
const logLines: string[] = [];
let relay: RelayHarness;
let aliases: IssueAliasResult[];
let reverseAlias: string;
const today = japanDay(new Date());

async function object(key: string): Promise<Buffer> {
  const { Body } = await relay.stack.clients.s3.send(new GetObjectCommand({ Bucket: relay.stack.endpoints.analysisBucket, Key: key }));
  return Buffer.from(await Body!.transformToByteArray());
}

async function rowsOf(manifest: ExportManifest): Promise<Record<string, unknown>[]> {
  const bytes = await object(manifest.object);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return parquetReadObjects({ file });
}

beforeAll(async () => {
  captureProcessOutput(logLines);
  relay = await RelayHarness.start();
  await relay.cli(['store', 'create', '--store-id', 'analysis-shop', '--contact', 'owner@analysis-shop.example', '--sender', SENDER]);
  aliases = [];
  for (const [index, customer] of CUSTOMERS.entries()) aliases.push(await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'analysis-shop', '--order-id', `A-${index}`, '--customer', customer]));
  const sent = [];
  for (let n = 0; n < 6; n += 1) sent.push(await relay.send({ from: SENDER, to: aliases[n % 2]!.address, subject: `${SUBJECT} ${n}`, text: '本文です。' }));
  // A stranger writing to a customer as if the store: refused, a spoofing attempt.
  await relay.send({ from: STRANGER, to: aliases[0]!.address, subject: SUBJECT, text: '偽物です。' });
  // The customer answers through the reverse alias the store's mail came from.
  const { outboundMessageId } = await relay.transmission(sent[0]!.sesMessageId);
  const reverseAddress = (await relay.outbound(outboundMessageId!)).envelope.from;
  reverseAlias = reverseAddress.split('@')[0] ?? '';
  await relay.send({ from: CUSTOMERS[0], to: reverseAddress, subject: `Re: ${SUBJECT}`, text: 'ありがとうございます。' });
}, 180_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.stop();
});

/** Everything that names a party: none of it may be in a file the export or the bundle writes. */
function identifiers(): string[] {
  return [...CUSTOMERS, SENDER, STRANGER, 'owner@analysis-shop.example', 'analysis-shop', ...aliases.map((a) => a.alias), reverseAlias, SUBJECT];
}

function expectNoIdentifiers(bytes: Buffer | string, where: string): void {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
  const utf8 = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  for (const identifier of identifiers()) {
    expect(text.includes(identifier) || utf8.includes(identifier), `${identifier} in ${where}`).toBe(false);
  }
}

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('anshin analysis export', () => {
    let first: ExportManifest;

    it("writes the day's records as Parquet with the documented columns, partitioned by day", async () => {
      first = await relay.cli<ExportManifest>(['analysis', 'export', '--day', today]);
      expect(first).toMatchObject({ day: today, rows: 8, key: 'per_export', object: `records/day=${today}/records.parquet` });

      const bytes = await object(first.object);
      const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      expect(metadata.schema.slice(1).map((element) => element.name)).toEqual(ANALYSIS_COLUMNS.map((column) => column.name));
      const rows = await rowsOf(first);
      expect(rows).toHaveLength(8);
      expect(rows.filter((row) => row.outcome === 'relayed' && row.direction === 'merchant_to_customer')).toHaveLength(6);
      expect(rows.filter((row) => row.direction === 'customer_to_merchant')).toEqual([expect.objectContaining({ outcome: 'relayed', kind: 'delivery' })]);
      // The relay cannot tell a stranger's direction.
      expect(rows.filter((row) => row.outcome === 'refused')).toEqual([
        expect.objectContaining({ direction: 'unknown', reason: 'unregistered_sender', spf: expect.any(String), size_band: '<10KB', network: '127.0.0.0/24' }),
      ]);
      // One store; two customer aliases and the reverse alias the reply went to, each always under
      // the same pseudonym within the export.
      expect(new Set(rows.map((row) => row.store)).size).toBe(1);
      const pseudonyms = new Set(rows.map((row) => row.alias));
      expect(pseudonyms.size).toBe(3);
      for (const pseudonym of pseudonyms) expect(pseudonym).toMatch(/^[0-9a-f]{24}$/);
      expect(rows.filter((row) => row.outcome === 'relayed' && row.direction === 'merchant_to_customer').map((row) => row.alias).filter((alias, i, all) => all.indexOf(alias) === i)).toHaveLength(2);
    });

    it('puts no address, alias name, store ID or subject in the file or its manifest', async () => {
      expectNoIdentifiers(await object(first.object), first.object);
      const listed = await relay.stack.clients.s3.send(new ListObjectsV2Command({ Bucket: relay.stack.endpoints.analysisBucket, Prefix: 'manifests/' }));
      const manifests = (listed.Contents ?? []).map((entry) => entry.Key ?? '');
      expect(manifests).toContain(`manifests/day=${today}/${first.exportId}.json`);
      for (const key of manifests) expectNoIdentifiers(await object(key), key);
    });

    it('gives the same pseudonyms under the same investigation key, recorded with who asked', async () => {
      const exportUnder = (key: string) => relay.cli<ExportManifest>(['analysis', 'export', '--day', today, '--key', key, '--requested-by', '不正調査チーム case 42']);
      const one = await exportUnder('inv-2026-001');
      const two = await exportUnder('inv-2026-001');
      const other = await exportUnder('inv-2026-002');
      expect(one).toMatchObject({ key: 'investigation', investigationId: 'inv-2026-001', requestedBy: '不正調査チーム case 42', object: `investigations/investigation=inv-2026-001/day=${today}/records.parquet` });
      const stores = async (manifest: ExportManifest) => new Set((await rowsOf(manifest)).map((row) => row.store));
      const first = await stores(one);
      expect(await stores(two)).toEqual(first);
      expect([...(await stores(other))][0]).not.toBe([...first][0]);
      const manifest = JSON.parse((await object(`manifests/day=${today}/${one.exportId}.json`)).toString('utf8')) as ExportManifest;
      expect(manifest).toMatchObject({ investigationId: 'inv-2026-001', requestedBy: '不正調査チーム case 42' });
    });

    it('refuses a per-export key and an investigation without who asked', async () => {
      await expect(relay.cli(['analysis', 'export', '--day', today, '--key', 'inv-2026-003'])).rejects.toThrow(/who asked/);
      await expect(relay.cli(['analysis', 'export', '--day', today, '--key', 'Not An ID', '--requested-by', 'x'])).rejects.toThrow(/investigation ID/);
    });
  });

  describe('anshin analysis export, between two real exports', () => {
    it('pseudonymises the same store differently in two daily exports', async () => {
      const one = await rowsOf(await relay.cli<ExportManifest>(['analysis', 'export', '--day', today]));
      const two = await rowsOf(await relay.cli<ExportManifest>(['analysis', 'export', '--day', today]));
      expect(one[0]?.store).toEqual(expect.stringMatching(/^[0-9a-f]{24}$/));
      expect(two[0]?.store).not.toBe(one[0]?.store);
    });
  });

  describe('anshin analysis query', () => {
    it('answers SQL over every exported day with DuckDB', async () => {
      const rows = await relay.cli<unknown[]>(['analysis', 'query', 'SELECT day, direction, outcome, reason, count(*)::INTEGER AS n FROM records GROUP BY ALL ORDER BY ALL']);
      expect(rows).toEqual([
        { day: today, direction: 'customer_to_merchant', outcome: 'relayed', reason: null, n: 1 },
        { day: today, direction: 'merchant_to_customer', outcome: 'relayed', reason: null, n: 6 },
        { day: today, direction: 'unknown', outcome: 'refused', reason: 'unregistered_sender', n: 1 },
      ]);
      const investigations = await relay.cli<{ investigation: string; n: number }[]>(['analysis', 'query', 'SELECT investigation, count(*)::INTEGER AS n FROM investigation_records GROUP BY ALL ORDER BY ALL']);
      expect(investigations).toEqual([
        { investigation: 'inv-2026-001', n: 8 },
        { investigation: 'inv-2026-002', n: 8 },
      ]);
    });

    it('reads nothing but the export: files and the network are shut', async () => {
      await expect(relay.cli(['analysis', 'query', "SELECT * FROM read_csv('/etc/hostname')"])).rejects.toThrow(/the query failed/);
    });
  });

  describe('anshin analysis share', () => {
    it('writes aggregates only, small groups suppressed, with store pseudonyms of its own', async () => {
      const out = join(await mkdtemp(join(tmpdir(), 'anshin-share-')), 'bundle');
      const bundle = await relay.cli<ShareBundle>(['analysis', 'share', '--from', today, '--to', today, '--out', out]);
      expect(bundle.files).toEqual({ 'totals.csv': expect.any(Number), 'authentication.csv': expect.any(Number), 'stores.csv': 1 });
      expect((await readdir(out)).sort()).toEqual(['authentication.csv', 'manifest.json', 'stores.csv', 'totals.csv']);

      const totals = await readFile(join(out, 'totals.csv'), 'utf8');
      // Six relayed to customers is a group; the refusal and the one reply are folded together.
      expect(totals.trim().split('\n')).toEqual(['day,kind,direction,outcome,reason,messages', `${today},delivery,merchant_to_customer,relayed,,6`, `${today},suppressed,,,,2`]);
      const stores = (await readFile(join(out, 'stores.csv'), 'utf8')).trim().split('\n');
      expect(stores[0]).toBe('day,store,relayed,refused,spoofing_attempts,bounces,complaints,flags');
      const storePseudonym = stores[1]?.split(',')[1];
      expect(stores[1]).toBe(`${today},${storePseudonym},7,1,1,0,0,`);
      const exported = new Set((await rowsOf(await relay.cli<ExportManifest>(['analysis', 'export', '--day', today]))).map((row) => row.store));
      expect(exported.has(storePseudonym)).toBe(false);
      for (const file of await readdir(out)) expectNoIdentifiers(await readFile(join(out, file)), file);
    });
  });

  describe("the day's records", () => {
    it('are every finished record received from midnight to midnight in Japan, read through the expiry index', async () => {
      const retentionDays = DEFAULT_CONFIG.retention.classes.transmission.retentionDays;
      const db = documentClient(relay.stack.clients.dynamodb);
      const table = relay.stack.settings.transmissionsTable;
      const put = async (transmissionId: string, receivedAt: string, extra: Record<string, unknown>) => {
        const purgeAt = Math.floor(Date.parse(receivedAt) / 1000) + retentionDays * 86_400;
        await db.send(new PutCommand({ TableName: table, Item: { transmissionId, receivedAt, purgeAt, ...expiryIndexAttributes(purgeAt, transmissionId), ...extra } }));
      };
      const done = { state: 'done', outcome: 'relayed', direction: 'merchant_to_customer', storeId: 'edge-shop', aliasId: 'c-edge', sizeBytes: 20_000 };
      await put('edge-first/0', '2026-01-09T15:00:00.000Z', done);
      await put('edge-last/0', '2026-01-10T14:59:59.999Z', done);
      await put('edge-before/0', '2026-01-09T14:59:59.999Z', done);
      await put('edge-after/0', '2026-01-10T15:00:00.000Z', done);
      await put('edge-claimed/0', '2026-01-10T03:00:00.000Z', { state: 'processing' });
      await put('feedback/edge-bounce/Bounce', '2026-01-10T04:00:00.000Z', { kind: 'bounce', bounceType: 'Permanent', direction: 'merchant_to_customer', storeId: 'edge-shop', aliasId: 'c-edge' });
      await put('rate#edge-shop#2026-01-10', '2026-01-10T05:00:00.000Z', { dayCount: 3 });

      const { from, to } = japanDayBounds('2026-01-10');
      const records = await new DynamoDayRecords(relay.stack.clients.dynamodb, table, retentionDays).recordsReceived(from, to);
      expect(records.map((record) => record.receivedAt).sort()).toEqual(['2026-01-09T15:00:00.000Z', '2026-01-10T04:00:00.000Z', '2026-01-10T14:59:59.999Z']);
      expect(records).toContainEqual({ kind: 'bounce', receivedAt: '2026-01-10T04:00:00.000Z', direction: 'merchant_to_customer', storeId: 'edge-shop', aliasId: 'c-edge', feedback: 'Permanent' });
      expect(records).toContainEqual(expect.objectContaining({ kind: 'delivery', receivedAt: '2026-01-09T15:00:00.000Z', outcome: 'relayed', sizeBytes: 20_000 }));
    });
  });
});
