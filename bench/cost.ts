/**
 * What a million relayed messages cost at ap-northeast-1 list prices, from the AWS calls counted per
 * message in the end-to-end run and the services every message passes through.
 */
import type { EndToEnd } from './end-to-end';

/** USD list prices in ap-northeast-1, on-demand, before tax. */
export const PRICES = {
  asOf: '2026-09',
  source:
    'AWS Price List API offers for ap-northeast-1 (usage types APN1-…, published September 2026) for DynamoDB, S3, SQS, KMS and Lambda; ' +
    'the à-la-carte rates of the SES price list (July 2026); the SNS standard publish rate',
  sesOutboundPerMessage: 0.1 / 1000,
  sesOutboundPerGb: 0.12,
  sesInboundPerMessage: 0.1 / 1000,
  /** Per 256 KB of each received message. */
  sesInboundPerChunk: 0.09 / 1000,
  s3PutPerRequest: 0.0047 / 1000,
  s3GetPerRequest: 0.00037 / 1000,
  snsPublishPerRequest: 0.5 / 1_000_000,
  sqsPerRequest: 0.4 / 1_000_000,
  kmsPerRequest: 0.03 / 10_000,
  dynamodbPerReadUnit: 0.1425 / 1_000_000,
  dynamodbPerWriteUnit: 0.715 / 1_000_000,
  lambdaPerRequest: 0.2 / 1_000_000,
  /** Arm (Graviton), the relay's architecture, first tier. */
  lambdaPerGbSecondArm: 0.0000133334,
} as const;

/** The relay function's memory (lib/secure-defaults.ts `RELAY_FUNCTION_DEFAULTS.memorySize`). */
export const RELAY_MEMORY_MB = 512;

export interface CostLine {
  readonly item: string;
  /** Units per relayed message, as counted or assumed (see `basis`). */
  readonly perMessage: number;
  readonly usdPerMillion: number;
  readonly basis: string;
}

export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly usdPerMillion: number;
  readonly prices: typeof PRICES;
  readonly assumptions: readonly string[];
}

function callsPerMessage(run: EndToEnd, service: string, commands?: readonly string[]): number {
  const counts = run.relay.byCommand[service] ?? {};
  const total = Object.entries(counts)
    .filter(([command]) => !commands || commands.includes(command))
    .reduce((sum, [, n]) => sum + n, 0);
  return total / run.messages;
}

export function estimateCost(run: EndToEnd, handlerSeconds: number): CostEstimate {
  const gbPerMessage = run.messageBytes / 1024 ** 3;
  const line = (item: string, perMessage: number, unitPrice: number, basis: string): CostLine => ({ item, perMessage, usdPerMillion: perMessage * unitPrice * 1_000_000, basis });
  const lines: CostLine[] = [
    line('SES receiving: messages', 1, PRICES.sesInboundPerMessage, 'one received message'),
    line('SES receiving: 256 KB chunks', Math.max(1, Math.ceil(run.messageBytes / (256 * 1024))), PRICES.sesInboundPerChunk, `${run.messageBytes}-byte messages`),
    line('S3 PUT (SES stores the raw mail)', (run.receiving.byCommand.s3?.PutObjectCommand ?? 0) / run.messages, PRICES.s3PutPerRequest, 'counted'),
    line('SNS publish (receipt notification)', 1, PRICES.snsPublishPerRequest, 'one per message; delivery to SQS is free'),
    line('SQS requests', 3, PRICES.sqsPerRequest, 'send, receive, delete; batches of one (the most)'),
    line('Lambda requests', 1, PRICES.lambdaPerRequest, 'one invocation per message (batches of one, the most)'),
    line('Lambda duration (GB-s, Arm)', (RELAY_MEMORY_MB / 1024) * handlerSeconds, PRICES.lambdaPerGbSecondArm, `${RELAY_MEMORY_MB} MB for ${(handlerSeconds * 1000).toFixed(0)} ms, the relay handler's median time per message locally`),
    line('S3 GET (relay reads the raw mail)', callsPerMessage(run, 's3', ['GetObjectCommand']), PRICES.s3GetPerRequest, 'counted'),
    line('KMS requests', callsPerMessage(run, 'kms'), PRICES.kmsPerRequest, 'counted (S3 and SQS encryption use bucket and data-key caching, left out)'),
    line('DynamoDB read request units', run.relay.dynamodbReadUnits / run.messages, PRICES.dynamodbPerReadUnit, 'consumed capacity the tables reported'),
    line('DynamoDB write request units', run.relay.dynamodbWriteUnits / run.messages, PRICES.dynamodbPerWriteUnit, 'consumed capacity the tables reported'),
    line('SES sending: messages', callsPerMessage(run, 'sesv2', ['SendEmailCommand']), PRICES.sesOutboundPerMessage, 'counted'),
    line('SES sending: data (GB)', gbPerMessage * callsPerMessage(run, 'sesv2', ['SendEmailCommand']), PRICES.sesOutboundPerGb, `${run.messageBytes}-byte messages`),
  ];
  return {
    lines,
    usdPerMillion: lines.reduce((sum, l) => sum + l.usdPerMillion, 0),
    prices: PRICES,
    assumptions: [
      'one recipient per message, store mail to a customer whose reverse alias exists; the first message to a customer adds one write',
      'no free tier; data transfer within the region is free and SES charges its own outbound data line',
      'CloudWatch Logs, X-Ray and storage (S3, DynamoDB) are left out: they depend on retention, not on the message count alone',
    ],
  };
}
