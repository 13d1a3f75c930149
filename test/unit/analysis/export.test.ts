import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { keyOfEvent } from '../../../lambdas/analysis/app';
import { ANALYSIS_COLUMNS } from '../../../lambdas/analysis/columns';
import type { AnalysisRow } from '../../../lambdas/analysis/columns';
import { exportDay, exportObjectKey, ExportRequestError, investigationKey } from '../../../lambdas/analysis/export-run';
import type { ExportPorts } from '../../../lambdas/analysis/export-run';
import { toParquet } from '../../../lambdas/analysis/parquet';
import { networkOf, Pseudonymiser, sizeBandOf } from '../../../lambdas/analysis/pseudonyms';
import { analysisRows } from '../../../lambdas/analysis/rows';
import type { ExportRecord } from '../../../lambdas/analysis/rows';
import type { SignalsReport } from '../../../lambdas/fraud/signals';

const DAY = '2026-12-07';
const NO_SIGNALS: SignalsReport = { day: DAY, storesSeen: 0, stores: [], aliases: [], ips: [] };
const KEY = new Uint8Array(32).fill(7);

/** A delivery record; an override of `undefined` leaves the field out. */
const delivery = (overrides: { [K in keyof ExportRecord]?: ExportRecord[K] | undefined } = {}): ExportRecord =>
  Object.fromEntries(
    Object.entries({
  kind: 'delivery',
  // 23:30 in Japan on the 6th is 14:30 UTC; this is 09:15 in Japan on the 7th.
  receivedAt: '2026-12-07T00:15:00.000Z',
  storeId: 'shop-1',
  aliasId: 'c-abc123',
  direction: 'merchant_to_customer',
  outcome: 'relayed',
  verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' },
  sizeBytes: 4_000,
  connectingIp: '203.0.113.77',
  ...overrides,
    }).filter(([, value]) => value !== undefined),
  ) as unknown as ExportRecord;

const arrayBufferOf = (bytes: Uint8Array): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

describe('pseudonyms', () => {
  it('are the same for the same key and identifier, and differ by key and by kind of identifier', () => {
    const one = new Pseudonymiser(KEY);
    expect(one.of('store', 'shop-1')).toBe(new Pseudonymiser(KEY).of('store', 'shop-1'));
    expect(one.of('store', 'shop-1')).toMatch(/^[0-9a-f]{24}$/);
    expect(one.of('store', 'shop-1')).not.toBe(one.of('alias', 'shop-1'));
    expect(one.of('store', 'shop-1')).not.toBe(new Pseudonymiser(new Uint8Array(32).fill(8)).of('store', 'shop-1'));
    expect(Pseudonymiser.perExport().of('store', 'shop-1')).not.toBe(Pseudonymiser.perExport().of('store', 'shop-1'));
  });

  it('refuse a short key', () => {
    expect(() => new Pseudonymiser(new Uint8Array(16))).toThrow(/32 bytes/);
  });
});

describe('networks and size bands', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['::ffff:198.51.100.9', '198.51.100.0/24'],
    ['2001:db8:1234:5678::1', '2001:db8:1234::/48'],
    ['2001:db8::1', '2001:db8::/48'],
    ['not-an-ip', undefined],
    [undefined, undefined],
  ])('%s is in %s', (ip, network) => {
    expect(networkOf(ip)).toBe(network);
  });

  it.each([
    [0, '<10KB'],
    [10 * 1024 - 1, '<10KB'],
    [10 * 1024, '10-100KB'],
    [1024 * 1024 - 1, '100KB-1MB'],
    [1024 * 1024, '1-10MB'],
    [10 * 1024 * 1024, '>=10MB'],
    [undefined, undefined],
  ])('%s bytes are in band %s', (size, band) => {
    expect(sizeBandOf(size)).toBe(band);
  });
});

describe('analysis rows', () => {
  it('carry the hour in Japan, pseudonyms, the verdicts, a size band and the network, never an identifier', () => {
    const pseudonyms = new Pseudonymiser(KEY);
    const [row] = analysisRows([delivery()], NO_SIGNALS, pseudonyms);
    expect(row).toEqual({
      hour: 9,
      kind: 'delivery',
      store: pseudonyms.of('store', 'shop-1'),
      alias: pseudonyms.of('alias', 'c-abc123'),
      direction: 'merchant_to_customer',
      outcome: 'relayed',
      reason: null,
      feedback: null,
      spf: 'PASS',
      dkim: 'PASS',
      dmarc: 'PASS',
      spam: 'PASS',
      virus: 'PASS',
      size_band: '<10KB',
      network: '203.0.113.0/24',
      store_flags: null,
      alias_flags: null,
    } satisfies AnalysisRow);
    expect(Object.keys(row ?? {})).toEqual(ANALYSIS_COLUMNS.map((column) => column.name));
  });

  it('leave the store and alias empty for mail to no alias, and carry feedback types', () => {
    const rows = analysisRows(
      [
        delivery({ storeId: undefined, aliasId: 'invalid', outcome: 'refused', reason: 'unknown_alias', verdicts: undefined, connectingIp: undefined }),
        { kind: 'complaint', receivedAt: '2026-12-07T01:00:00.000Z', storeId: 'shop-1', aliasId: 'c-abc123', direction: 'merchant_to_customer', feedback: 'abuse' },
      ],
      NO_SIGNALS,
      new Pseudonymiser(KEY),
    );
    expect(rows[0]).toMatchObject({ store: null, alias: null, reason: 'unknown_alias', spf: null, network: null });
    expect(rows[1]).toMatchObject({ kind: 'complaint', feedback: 'abuse', outcome: null, size_band: null });
  });

  it("join the day's signal flags of the store and of the alias", () => {
    const signals = {
      ...NO_SIGNALS,
      stores: [{ storeId: 'shop-1', flags: ['volume_spike', 'bounce_rate'] }],
      aliases: [{ alias: 'c-abc123', storeId: 'shop-1', received: 60, spoofingAttempts: 0, flags: ['alias_volume'] }],
    } as unknown as SignalsReport;
    const [row] = analysisRows([delivery()], signals, new Pseudonymiser(KEY));
    expect(row).toMatchObject({ store_flags: 'volume_spike,bounce_rate', alias_flags: 'alias_volume' });
  });
});

describe('the Parquet file', () => {
  it('holds the rows in the documented columns and types, readable back', async () => {
    const rows = analysisRows([delivery(), delivery({ storeId: undefined, aliasId: 'invalid', sizeBytes: undefined })], NO_SIGNALS, new Pseudonymiser(KEY));
    const file = arrayBufferOf(toParquet(rows, { exportId: 'e-1', key: 'per_export' }));
    const metadata = parquetMetadata(file);
    expect(metadata.schema.slice(1).map((element) => [element.name, element.type])).toEqual(ANALYSIS_COLUMNS.map((column) => [column.name, column.type === 'int' ? 'INT32' : 'BYTE_ARRAY']));
    expect(metadata.key_value_metadata).toEqual(expect.arrayContaining([{ key: 'exportId', value: 'e-1' }, { key: 'key', value: 'per_export' }]));
    expect(await parquetReadObjects({ file })).toEqual(rows);
  });

  it('is valid with no rows at all', async () => {
    expect(await parquetReadObjects({ file: arrayBufferOf(toParquet([], {})) })).toEqual([]);
  });
});

function memoryPorts(records: ExportRecord[]): ExportPorts & { readonly written: Map<string, Uint8Array>; readonly derived: string[] } {
  const written = new Map<string, Uint8Array>();
  const derived: string[] = [];
  return {
    written,
    derived,
    records: { recordsReceived: async () => records },
    signals: async () => NO_SIGNALS,
    files: { put: async (key, body) => void written.set(key, body) },
    investigationKeys: {
      keyFor: async (id) => {
        derived.push(id);
        return new Uint8Array(32).fill(id.length);
      },
    },
  };
}

describe('a day’s export', () => {
  it('writes one object per day and a manifest, under a key nobody keeps', async () => {
    const ports = memoryPorts([delivery(), delivery()]);
    const manifest = await exportDay(DAY, { kind: 'per_export' }, ports, new Date('2026-12-08T19:45:00Z'));

    expect(manifest).toMatchObject({ day: DAY, rows: 2, key: 'per_export', object: `records/day=${DAY}/records.parquet`, createdAt: '2026-12-08T19:45:00.000Z' });
    expect(manifest).not.toHaveProperty('requestedBy');
    expect([...ports.written.keys()]).toEqual([manifest.object, `manifests/day=${DAY}/${manifest.exportId}.json`]);
    expect(ports.derived).toEqual([]);
    expect(manifest.bytes).toBe(ports.written.get(manifest.object)?.byteLength);
  });

  it("uses a named investigation's key, in its own partition, and records who asked", async () => {
    const ports = memoryPorts([delivery()]);
    const manifest = await exportDay(DAY, investigationKey('case-42', ' 調査部 山田 '), ports, new Date());

    expect(ports.derived).toEqual(['case-42']);
    expect(manifest).toMatchObject({ key: 'investigation', investigationId: 'case-42', requestedBy: '調査部 山田', object: `investigations/investigation=case-42/day=${DAY}/records.parquet` });
    const written = JSON.parse(new TextDecoder().decode(ports.written.get(`manifests/day=${DAY}/${manifest.exportId}.json`))) as unknown;
    expect(written).toEqual(manifest);
  });

  it.each([
    ['an ID with upper case', 'Case-42', 'x'],
    ['an ID with a slash', 'case/42', 'x'],
    ['a one-letter ID', 'c', 'x'],
    ['nobody who asked', 'case-42', '   '],
  ])('refuses an investigation with %s', (_name, id, who) => {
    expect(() => investigationKey(id, who)).toThrow(ExportRequestError);
  });

  it('takes the key from the event: none for the schedule, an investigation when named', () => {
    expect(keyOfEvent({})).toEqual({ kind: 'per_export' });
    expect(keyOfEvent({ day: DAY, investigation: { id: 'case-42', requestedBy: 'ops' } })).toEqual({ kind: 'investigation', investigationId: 'case-42', requestedBy: 'ops' });
    expect(() => keyOfEvent({ investigation: { id: 'case-42' } })).toThrow(ExportRequestError);
    expect(exportObjectKey(DAY, { kind: 'per_export' })).toBe(`records/day=${DAY}/records.parquet`);
  });
});
