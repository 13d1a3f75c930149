/**
 * Peak memory of relaying one large message, each measurement in a fresh child process (see
 * `support/memory-child.ts`), reported above that process's RSS just before the message existed
 * and as a multiple of the message size.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ChildMeasurement, MemoryMailer } from './support/memory-child';
import { MiB } from './support/synthetic-mail';

export interface MemoryRow {
  readonly sizeBytes: number;
  /** `relay`: the relay's SES mailer; `sdk`: the SDK serializing the request itself, for reference. */
  readonly mailer: MemoryMailer;
  /** Messages relayed one after another in the child (records of a batch are relayed in turn). */
  readonly count: number;
  readonly baselineMb: number;
  readonly peakAboveBaselineMb: number;
  /** Peak above baseline over the message size. */
  readonly timesMessageSize: number;
  readonly requestBodyMb: number;
  readonly relayed: boolean;
  /** Peak above baseline of each child, when this row is their median. */
  readonly runsMb?: readonly number[];
}

const CHILD = fileURLToPath(new URL('./support/memory-child.ts', import.meta.url));

/** Stands in for SES: reads each request to its end, counts its bytes and answers as SendEmail does. */
async function startSink(): Promise<{ readonly url: string; readonly lastBodyBytes: () => number; close(): void }> {
  let lastBodyBytes = 0;
  const sink = createServer((req, res) => {
    let length = 0;
    req.on('data', (chunk: Buffer) => (length += chunk.length));
    req.on('end', () => {
      lastBodyBytes = length;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"MessageId":"bench"}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`, lastBodyBytes: () => lastBodyBytes, close: () => sink.close() };
}

function runChild(sizeBytes: number, count: number, mailer: MemoryMailer, sinkUrl: string): Promise<ChildMeasurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', CHILD, String(sizeBytes), String(count), mailer, sinkUrl], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as ChildMeasurement);
      else reject(new Error(`memory child for ${sizeBytes} bytes (${mailer}) exited with ${String(code)}: ${err.slice(-2000)}`));
    });
  });
}

export async function measurePeakMemory(sizeBytes: number, mailer: MemoryMailer, count = 1): Promise<MemoryRow> {
  const sink = await startSink();
  let m: ChildMeasurement;
  try {
    m = await runChild(sizeBytes, count, mailer, sink.url);
  } finally {
    sink.close();
  }
  const peakAboveBaselineMb = m.peakAboveBaselineBytes / MiB;
  return {
    sizeBytes,
    mailer,
    count,
    baselineMb: m.baselineBytes / MiB,
    peakAboveBaselineMb,
    timesMessageSize: m.peakAboveBaselineBytes / sizeBytes,
    requestBodyMb: sink.lastBodyBytes() / MiB,
    relayed: m.relayed,
  };
}

/**
 * The median of `runs` children: V8 sizes its young generation by how a run's allocation goes,
 * so one child's peak can land a young generation's worth above another's.
 */
async function medianPeak(sizeBytes: number, mailer: MemoryMailer, runs: number): Promise<MemoryRow> {
  const rows: MemoryRow[] = [];
  for (let i = 0; i < runs; i += 1) rows.push(await measurePeakMemory(sizeBytes, mailer));
  rows.sort((a, b) => a.peakAboveBaselineMb - b.peakAboveBaselineMb);
  const middle = rows[Math.floor(rows.length / 2)];
  if (!middle) throw new Error('no memory measurement');
  return { ...middle, runsMb: rows.map((row) => row.peakAboveBaselineMb) };
}

/** The figures: 10 MB and 30 MB with the relay's mailer; with `reference`, also the SDK's own serialization. */
export async function measureMemory(options: { readonly reference: boolean; readonly runs: number }): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const size of [10 * MiB, 30 * MiB]) {
    rows.push(await medianPeak(size, 'relay', options.runs));
    if (options.reference) rows.push(await medianPeak(size, 'sdk', options.runs));
  }
  return rows;
}
