/**
 * `npm run bench`: where the relay stands, every figure measured in this one run so ratios hold on a
 * noisy machine. Prints tables, or with `--json` one JSON object; progress goes to stderr.
 *
 *   npm run bench -- [--json] [--quick] [--messages 1000] [--concurrency 8]
 *
 * `--quick` takes fewer rounds and 200 end-to-end messages, for a look rather than a record.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { measureAnalysisExport } from './analysis-export';
import type { AnalysisExportBench } from './analysis-export';
import { measureApi } from './api';
import type { ApiThroughput } from './api';
import { measureColdStart } from './cold-start';
import type { ColdStart } from './cold-start';
import { measureCorners } from './corners';
import type { CornerRow } from './corners';
import { estimateCost } from './cost';
import type { CostEstimate } from './cost';
import { measureEndToEnd } from './end-to-end';
import type { EndToEnd } from './end-to-end';
import { measureMemory } from './memory';
import type { MemoryRow } from './memory';
import { MiB } from './support/synthetic-mail';
import { num, table } from './support/table';
import { measureThroughput } from './throughput';
import type { ThroughputRow } from './throughput';
import { measureWholeHandler } from './whole-handler';
import type { RewriteRow, WholeHandlerRow } from './whole-handler';

interface Options {
  readonly json: boolean;
  readonly quick: boolean;
  readonly messages: number;
  readonly concurrency: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      messages: { type: 'string' },
      concurrency: { type: 'string', default: '8' },
    },
  });
  const int = (name: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  return {
    json: values.json,
    quick: values.quick,
    messages: int('messages', values.messages ?? (values.quick ? '200' : '1000')),
    concurrency: int('concurrency', values.concurrency),
  };
}

interface Check {
  readonly check: string;
  readonly value: string;
  readonly pass: boolean;
}

const RELAY_BUNDLE_GOAL_BYTES = 600 * 1024;

/** Calls of one side's message, all services together, and KMS's alone. */
function callTotals(calls: WholeHandlerRow['callsPerMessage']['project']): { all: number; kms: number } {
  const sum = (operations: Readonly<Record<string, number>> | undefined) => Object.values(operations ?? {}).reduce((total, n) => total + n, 0);
  return { all: Object.values(calls).reduce((total, operations) => total + sum(operations), 0), kms: sum(calls.kms) };
}

/** The goals against the peer, judged on this run's figures. */
function peerGoals(whole: { readonly rows: readonly WholeHandlerRow[]; readonly rewrite: RewriteRow }, coldStart: ColdStart): Check[] {
  const row = (prefix: string) => whole.rows.find((r) => r.set.startsWith(prefix));
  const corpus = row('corpus');
  const oneMb = row('1 MB');
  const large = whole.rows.filter((r) => /^(10|30) MB$/.test(r.set));
  // A store's 100 KB message to its customer: relayed, the caches warm.
  const storeMail = row('100 KB');
  const calls = storeMail ? callTotals(storeMail.callsPerMessage.project) : undefined;
  const relayBundle = coldStart.bundles.find((bundle) => bundle.lambda === 'relay')?.bytes;
  const ratio = (value: number | undefined, goal: number, what: string): Check => ({ check: what, value: value === undefined ? 'not measured' : `${num(value, 2)}x`, pass: value !== undefined && value >= goal });
  return [
    ratio(corpus?.projectOverPeer, 1.5, 'whole handler, corpus: at least 1.5x the peer (messages/s)'),
    ratio(oneMb?.projectOverPeer, 2, 'whole handler, 1 MB: at least 2x the peer'),
    ...large.flatMap((r) => [
      ratio(r.projectOverPeer, 3, `whole handler, ${r.set}: at least 3x the peer (MB/s)`),
      { check: `whole handler, ${r.set}: within 1.5x of the SES-request floor`, value: `floor ${num(1 / r.projectOverSesFloor, 1)}x faster`, pass: r.projectOverSesFloor >= 1 / 1.5 },
    ]),
    ratio(whole.rewrite.projectOverPeer, 0.5, "header rewrite alone, corpus: at least 0.5x the peer's processMessage"),
    { check: 'KMS calls per store mail to a customer: at most 1', value: calls ? num(calls.kms, 2) : 'not measured', pass: calls !== undefined && calls.kms <= 1 },
    { check: 'AWS calls per store mail to a customer: at most 6', value: calls ? num(calls.all, 2) : 'not measured', pass: calls !== undefined && calls.all <= 6 },
    { check: 'relay bundle: at most 600 KB', value: relayBundle === undefined ? 'not bundled' : `${num(relayBundle / 1024)} KB`, pass: relayBundle !== undefined && relayBundle <= RELAY_BUNDLE_GOAL_BYTES },
    {
      check: "relay import (source maps on): no slower than the peer's",
      value: `${num(coldStart.relayImportMs)} ms vs ${num(coldStart.peer.importMs)} ms`,
      pass: coldStart.relayImportMs <= coldStart.peer.importMs,
    },
  ];
}

/** The thresholds, judged on this run's figures. */
function checks(throughput: readonly ThroughputRow[], corners: readonly CornerRow[], memory: readonly MemoryRow[]): Check[] {
  const large = throughput.filter((row) => / (10|30) MB$/.test(row.set));
  const memory30 = memory.find((row) => row.mailer === 'relay' && row.sizeBytes === 30 * MiB);
  return [
    ...large.map((row) => ({ check: `${row.set}: relay at least 10x the naive baseline (MB/s)`, value: `${num(row.relayOverNaive, 1)}x`, pass: row.relayOverNaive >= 10 })),
    ...large.map((row) => ({ check: `${row.set}: relay within 3x of the copy floor`, value: `floor ${num(1 / row.relayOverCopy, 2)}x faster`, pass: row.relayOverCopy >= 1 / 3 })),
    ...throughput.map((row) => ({ check: `${row.set}: relay faster than the naive baseline`, value: `${num(row.relayOverNaive, 1)}x`, pass: row.relayOverNaive > 1 })),
    ...corners.map((row) => ({ check: `${row.corner}: 10 MB at most 10x the time of 1 MB`, value: `${num(row.growth, 1)}x`, pass: row.growth <= 10 })),
    {
      check: '30 MB message: peak memory at most 2.5x its size above the baseline',
      value: memory30 ? `${num(memory30.timesMessageSize, 2)}x (peak RSS ${num(memory30.baselineMb + memory30.peakAboveBaselineMb)} MB)` : 'not measured',
      pass: memory30 !== undefined && memory30.timesMessageSize <= 2.5,
    },
  ];
}

interface Report {
  readonly measuredAt: string;
  readonly machine: { readonly node: string; readonly cpus: number; readonly cpuModel: string; readonly memoryMb: number };
  readonly options: Options;
  readonly wholeHandler: { readonly rows: readonly WholeHandlerRow[]; readonly rewrite: RewriteRow };
  readonly throughput: readonly ThroughputRow[];
  readonly corners: readonly CornerRow[];
  readonly memory: readonly MemoryRow[];
  readonly coldStart: ColdStart;
  readonly endToEnd: EndToEnd;
  readonly api: ApiThroughput;
  readonly analysis: AnalysisExportBench;
  readonly cost: CostEstimate;
  readonly checks: readonly Check[];
  readonly seconds: number;
}

function printReport(report: Report): void {
  const out: string[] = [];
  const { machine } = report;
  out.push(`anshin-relay benchmarks, ${report.measuredAt}: Node ${machine.node}, ${machine.cpus} x ${machine.cpuModel}, ${num(machine.memoryMb)} MB RAM`);
  const whole = report.wholeHandler;
  out.push('', 'Whole handler, side by side with aws-lambda-ses-forwarder 6.0.0 (the peer): SQS or SES event in, the SES request built and signed, the network answered in-process for both');
  out.push(
    table(
      ['set', 'project msg/s', 'peer msg/s', 'project MB/s', 'peer MB/s', 'copy floor MB/s', 'SES-request floor MB/s', 'project / peer', 'project / SES floor', 'relayed'],
      whole.rows.map((row) => [
        row.set,
        num(row.project.messagesPerSecond, 1),
        num(row.peer.messagesPerSecond, 1),
        num(row.project.mbPerSecond, 1),
        num(row.peer.mbPerSecond, 1),
        num(row.copyFloor.mbPerSecond),
        num(row.sesRequestFloor.mbPerSecond),
        `${num(row.projectOverPeer, 2)}x`,
        `${num(row.projectOverSesFloor, 3)}x`,
        `${row.projectRelayed} of ${row.messages}`,
      ]),
    ),
  );
  out.push(
    'copy floor: the message copied once; SES-request floor: one base64 and one SHA-256 over it, the least work a signed SES v2 raw send needs. The project refuses on purpose what it must not relay (no From, auto-replies, bounces, loops); the peer forwards everything.',
  );
  out.push(
    `Header rewrite alone, ${whole.rewrite.set}: project ${num(whole.rewrite.project)} msg/s (split, inspect, keep-list rewrite, one copy), peer's processMessage ${num(whole.rewrite.peer)} msg/s (a few regular expressions over the text): ${num(whole.rewrite.projectOverPeer, 2)}x`,
  );
  const callRows = whole.rows.filter((row) => row.set === '100 KB' || row.set.startsWith('corpus'));
  out.push('', 'AWS calls per message, warm, counted at the network (project | peer)');
  out.push(
    table(
      ['set', 'project', 'peer'],
      callRows.map((row) => {
        const render = (calls: WholeHandlerRow['callsPerMessage']['project']) =>
          Object.entries(calls)
            .flatMap(([service, operations]) => Object.entries(operations).map(([operation, n]) => `${service} ${operation} ${num(n, 2)}`))
            .join(', ');
        return [row.set, render(row.callsPerMessage.project), render(row.callsPerMessage.peer)];
      }),
    ),
  );
  out.push('', 'Rewrite throughput against a naive parse-and-compose baseline (mailparser + MailComposer, not the peer): raw bytes as S3 returns them to the bytes handed to SES (MB = 2^20 bytes)');
  out.push(
    table(
      ['set', 'relay msg/s', 'relay MB/s', 'naive msg/s', 'naive MB/s', 'copy MB/s', 'a/c', 'a/b', 'naive failed'],
      report.throughput.map((row) => [
        row.set,
        num(row.relay.messagesPerSecond),
        num(row.relay.mbPerSecond, 1),
        num(row.naive.messagesPerSecond, 1),
        num(row.naive.mbPerSecond, 1),
        num(row.copy.mbPerSecond),
        num(row.relayOverCopy, 2),
        num(row.relayOverNaive, 1),
        String(row.naiveFailures),
      ]),
    ),
  );
  out.push('a = relay, b = naive (mailparser + MailComposer), c = copy floor; a/c and a/b are ratios of MB/s');
  out.push('', 'Quadratic corners: time through the relay path at 1 MB and 10 MB');
  out.push(
    table(
      ['message', '1 MB ms', '10 MB ms', '10 MB / 1 MB', 'copy floor 10 MB / 1 MB', 'naive at 10 MB'],
      report.corners.map((row) => [
        row.corner,
        num(row.relayMs1MB, 2),
        num(row.relayMs10MB, 2),
        `${num(row.growth, 1)}x`,
        `${num(row.copyGrowth, 1)}x`,
        row.naive10MB.error ? `gave up: ${row.naive10MB.error}` : `${num(row.naive10MB.ms)} ms`,
      ]),
    ),
  );
  out.push('', 'Peak memory relaying one message: RSS above a fresh process after warm-up, median of child processes');
  out.push(
    table(
      ['message', 'SES request built by', 'baseline RSS MB', 'peak above MB', 'peak RSS MB', 'x message', 'request body MB', 'each child MB'],
      report.memory.map((row) => [
        `${num(row.sizeBytes / MiB)} MB`,
        row.mailer === 'relay' ? 'relay (streamed)' : 'SDK (reference)',
        num(row.baselineMb),
        num(row.peakAboveBaselineMb),
        num(row.baselineMb + row.peakAboveBaselineMb),
        `${num(row.timesMessageSize, 2)}x`,
        num(row.requestBodyMb, 1),
        (row.runsMb ?? [row.peakAboveBaselineMb]).map((mb) => num(mb)).join(', '),
      ]),
    ),
  );
  out.push('', `Cold start (bundles as esbuild emits them for deployment; import measured with Node ${report.coldStart.nodeVersion})`);
  out.push(
    table(
      ['lambda', 'index.mjs KB', 'zipped KB', 'source map KB'],
      report.coldStart.bundles.map((row) =>
        row.error ? [row.lambda, '-', '-', `not bundled: ${row.error}`] : [row.lambda, num((row.bytes ?? 0) / 1024), num((row.zippedBytes ?? 0) / 1024), num((row.sourceMapBytes ?? 0) / 1024)],
      ),
    ),
  );
  out.push(`relay handler import in a fresh process: median ${num(report.coldStart.relayImportMs)} ms (runs: ${report.coldStart.relayImportRunsMs.map((ms) => num(ms)).join(', ')})`);
  out.push(
    `the peer bundled the same way: ${num(report.coldStart.peer.bytes / 1024)} KB, import median ${num(report.coldStart.peer.importMs)} ms (runs: ${report.coldStart.peer.importRunsMs.map((ms) => num(ms)).join(', ')})`,
  );
  const e2e = report.endToEnd;
  out.push('', `End to end through the local stack: ${e2e.messages} messages of ${num(e2e.messageBytes)} bytes, ${e2e.concurrency} SMTP connections`);
  out.push(
    table(
      ['messages/s', 'p50 ms', 'p99 ms', 'max ms', 'handler ms (concurrent)', 'handler ms (one at a time)', 'relayed', 'in outbox'],
      [[num(e2e.messagesPerSecond, 1), num(e2e.latencyMs.p50), num(e2e.latencyMs.p99), num(e2e.latencyMs.max), num(e2e.handlerMs), num(e2e.handlerMsOneAtATime), String(e2e.relayed), String(e2e.outboxFiles)]],
    ),
  );
  out.push('', 'AWS calls per relayed message, counted at the SDK boundary');
  const calls = Object.entries(e2e.relay.byCommand).flatMap(([service, commands]) => Object.entries(commands).map(([command, n]) => [service, command.replace(/Command$/, ''), num(n / e2e.messages, 2)]));
  calls.push(['dynamodb', 'read request units', num(e2e.relay.dynamodbReadUnits / e2e.messages, 2)], ['dynamodb', 'write request units', num(e2e.relay.dynamodbWriteUnits / e2e.messages, 2)]);
  for (const [service, commands] of Object.entries(e2e.receiving.byCommand)) for (const [command, n] of Object.entries(commands)) calls.push([`${service} (SES receiving)`, command.replace(/Command$/, ''), num(n / e2e.messages, 2)]);
  out.push(table(['service', 'call', 'per message'], calls));
  const { api } = report;
  out.push('', `Marketplace API, POST /aliases through the local stack: ${api.requests} new orders, SigV4-signed, over ${api.concurrency} connections`);
  out.push(table(['requests/s', 'p50 ms', 'p99 ms'], [[num(api.requestsPerSecond), num(api.p50Ms, 1), num(api.p99Ms, 1)]]));
  out.push(
    table(
      ['service', 'call', 'per issued alias'],
      Object.entries(api.callsPerAlias).flatMap(([service, commands]) => Object.entries(commands).map(([command, n]) => [service, command, num(n, 2)])),
    ),
  );
  const { analysis } = report;
  out.push('', `Analysis export: ${num(analysis.records)} synthetic records of a day to rows and one Parquet file; JSON lines of the same rows as the floor`);
  out.push(
    table(
      ['rows/s', 'Parquet MB per million', 'JSON lines MB per million', 'gzipped JSON lines MB per million', 'Parquet / gzipped JSON', 'whole export rows/s (local stack)'],
      [
        [
          num(analysis.rowsPerSecond),
          num(analysis.parquetBytesPerMillion / MiB, 1),
          num(analysis.jsonLinesBytesPerMillion / MiB, 1),
          num(analysis.gzippedJsonLinesBytesPerMillion / MiB, 1),
          num(analysis.parquetBytesPerMillion / analysis.gzippedJsonLinesBytesPerMillion, 2),
          `${num(analysis.endToEnd.rowsPerSecond)} (${num(analysis.endToEnd.records)} records)`,
        ],
      ],
    ),
  );
  out.push('', `Cost per million relayed messages at ap-northeast-1 list prices (${report.cost.prices.asOf}; ${report.cost.prices.source})`);
  out.push(
    table(
      ['item', 'per message', 'USD per million', 'basis'],
      [...report.cost.lines.map((line) => [line.item, num(line.perMessage, line.perMessage < 0.01 ? 6 : 2), num(line.usdPerMillion, 2), line.basis]), ['total', '', num(report.cost.usdPerMillion, 2), '']],
    ),
  );
  for (const assumption of report.cost.assumptions) out.push(`- ${assumption}`);
  out.push('', 'Thresholds');
  out.push(table(['check', 'value', 'result'], report.checks.map((c) => [c.check, c.value, c.pass ? 'pass' : 'FAIL'])));
  out.push('', `bench: ${num(report.seconds)} s`);
  console.log(out.join('\n'));
}

async function main(): Promise<void> {
  const options = parseOptions();
  const started = Date.now();
  const progress = (what: string) => process.stderr.write(`bench: ${what} (${Math.round((Date.now() - started) / 1000)} s)\n`);
  progress('whole handler, side by side with the peer');
  const wholeHandler = await measureWholeHandler(options);
  progress('rewrite throughput');
  const throughput = await measureThroughput(options);
  progress('quadratic corners');
  const corners = await measureCorners(options);
  progress('peak memory');
  const memory = await measureMemory({ reference: true, runs: options.quick ? 1 : 3 });
  progress('cold start');
  const coldStart = await measureColdStart(options);
  progress(`end to end, ${options.messages} messages`);
  const endToEnd = await measureEndToEnd({ messages: options.messages, concurrency: options.concurrency });
  const cost = estimateCost(endToEnd, endToEnd.handlerMsOneAtATime / 1000);
  progress('marketplace API: POST /aliases');
  const api = await measureApi({ requests: options.quick ? 200 : 1000, concurrency: options.concurrency });
  progress('analysis export');
  const analysis = await measureAnalysisExport(options);
  const cpu = cpus();
  const report: Report = {
    measuredAt: new Date().toISOString(),
    machine: { node: process.version, cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', memoryMb: Math.round(totalmem() / MiB) },
    options,
    wholeHandler,
    throughput,
    corners,
    memory,
    coldStart,
    endToEnd,
    api,
    analysis,
    cost,
    checks: [...peerGoals(wholeHandler, coldStart), ...checks(throughput, corners, memory)],
    seconds: (Date.now() - started) / 1000,
  };
  if (options.json) console.log(JSON.stringify(report));
  else printReport(report);
}

await main();
