import { GetMetricDataCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetKeyRotationStatusCommand } from '@aws-sdk/client-kms';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../lambdas/aws/dynamo-document';
import { DynamoDeletionRequests } from '../lambdas/records/aws/dynamo-deletion-requests';
import { DynamoReceiptLog } from '../lambdas/records/aws/dynamo-receipt-log';
import { METRIC, METRICS_NAMESPACE, SERVICES } from '../lambdas/metric-names';
import { HOME_REGION } from '../lib/config';
import type { AnnualFacts, IncidentFact } from './annual-report';
import { verifyReceipts } from './receipt-verification';
import type { SynthCheck } from './synth-check';
import type { Target } from './target';

const JST_MS = 9 * 3_600_000;
const HOUR_MS = 3_600_000;

/** A Japanese calendar year as [from, to) instants. */
function yearBounds(year: number): { from: Date; to: Date } {
  return { from: new Date(Date.UTC(year, 0, 1) - JST_MS), to: new Date(Date.UTC(year + 1, 0, 1) - JST_MS) };
}

const within = (iso: string | undefined, bounds: { from: Date; to: Date }): boolean => iso !== undefined && iso >= bounds.from.toISOString() && iso < bounds.to.toISOString();

async function trafficFromMetrics(bounds: { from: Date; to: Date }): Promise<AnnualFacts['traffic']> {
  const cloudwatch = new CloudWatchClient({ region: HOME_REGION });
  const sum = async (expression: string): Promise<number> => {
    let total = 0;
    let next: string | undefined;
    do {
      const page = await cloudwatch.send(
        new GetMetricDataCommand({ StartTime: bounds.from, EndTime: bounds.to, MetricDataQueries: [{ Id: 'm', Expression: expression, Period: 86_400 }], ...(next ? { NextToken: next } : {}) }),
      );
      for (const result of page.MetricDataResults ?? []) for (const value of result.Values ?? []) total += value;
      next = page.NextToken;
    } while (next);
    return total;
  };
  const search = (name: string, dimensions: string) => `SUM(SEARCH('{${METRICS_NAMESPACE},${dimensions}} MetricName="${name}" service="${SERVICES.relay}"', 'Sum', 86400))`;
  return { relayed: await sum(search(METRIC.relayed, 'service')), refused: await sum(search(METRIC.refused, 'reason,service')), source: 'cloudwatch' };
}

async function trafficFromRecords(target: Target, bounds: { from: Date; to: Date }): Promise<AnnualFacts['traffic']> {
  let relayed = 0;
  let refused = 0;
  const pages = paginateScan({ client: documentClient(target.dynamodb) }, { TableName: target.tables.transmissions, ProjectionExpression: 'receivedAt, outcome' });
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      if (!within(typeof item.receivedAt === 'string' ? item.receivedAt : undefined, bounds)) continue;
      if (item.outcome === 'relayed') relayed += 1;
      else if (item.outcome === 'refused') refused += 1;
    }
  }
  return { relayed, refused, source: 'records' };
}

async function keyRotation(target: Target): Promise<AnnualFacts['keys']> {
  if (target.name === 'local') return [{ key: 'address', rotation: 'not_applicable' }];
  const { KeyRotationEnabled } = await target.kms.send(new GetKeyRotationStatusCommand({ KeyId: target.keys.dataKeyId }));
  return [
    { key: 'address', rotation: KeyRotationEnabled === true ? 'enabled' : 'disabled' },
    { key: 'HMAC', rotation: 'not_rotatable' },
    { key: 'receipt signing', rotation: 'not_rotatable' },
  ];
}

/** What the yearly statement is built from, read from the target's evidence. */
export async function annualFacts(target: Target, year: number, now: Date, synth: SynthCheck): Promise<AnnualFacts> {
  const bounds = yearBounds(year);
  const log = new DynamoReceiptLog(target.dynamodb, target.tables.receipts);
  const [retention, destruction, register, requests, [incidentChain]] = await Promise.all([
    log.chain('retention'),
    log.chain('destruction'),
    log.chain('incident'),
    new DynamoDeletionRequests(target.dynamodb, target.tables.receipts).list(),
    verifyReceipts(target, ['incident'], now),
  ]);
  const yearsRetention = retention.filter((receipt) => within(receipt.finishedAt, bounds));
  const yearsDestruction = destruction.filter((receipt) => within(receipt.finishedAt, bounds));
  const yearsRequests = requests.filter((request) => within(request.acceptedAt, bounds));
  const receiptsById = new Map(destruction.map((receipt) => [receipt.receiptId, receipt]));
  const durations = [
    ...yearsDestruction.map((receipt) => Date.parse(receipt.finishedAt) - Date.parse(receipt.startedAt)),
    ...yearsRequests.flatMap((request) => {
      const receipt = request.receiptId === undefined ? undefined : receiptsById.get(request.receiptId);
      return receipt ? [Date.parse(receipt.finishedAt) - Date.parse(request.acceptedAt)] : [];
    }),
  ];
  const opened = register.find((entry) => entry.incident?.entry === 'register_opened') ?? register[0];
  const incidents: IncidentFact[] = register.flatMap((entry) =>
    entry.incident?.entry === 'incident'
      ? [{ receiptId: entry.receiptId, occurredAt: entry.incident.occurredAt ?? entry.startedAt, title: entry.incident.title ?? '', breach: entry.incident.breach === true, classes: entry.incident.classes ?? [], affected: entry.incident.affected ?? 0 }]
      : [],
  );
  return {
    year,
    generatedAt: now.toISOString(),
    target: target.name,
    version: target.deployment?.version ?? synth.version,
    register: { ...(opened ? { openedAt: opened.finishedAt } : {}), incidents, chainWhole: incidentChain?.broken === undefined, entries: register.length },
    retention: { runs: yearsRetention.length, complete: yearsRetention.filter((receipt) => receipt.complete).length },
    destruction: {
      requests: yearsRequests.length,
      requestsFulfilled: yearsRequests.filter((request) => request.receiptId !== undefined).length,
      receipts: yearsDestruction.length,
      ...(durations.length === 0 ? {} : { longestHours: Math.max(...durations) / HOUR_MS }),
    },
    residency: { passed: synth.passed, findings: synth.findings.length },
    keys: await keyRotation(target),
    traffic: target.name === 'aws' ? await trafficFromMetrics(bounds) : await trafficFromRecords(target, bounds),
  };
}
