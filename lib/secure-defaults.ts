/**
 * Secure defaults shared by every construct of the stack, kept as data in one place so a reviewer can
 * read the security posture without reading the constructs. Values that differ per deployment live in
 * `config.ts`; values here are the same for every deployment.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode } from 'aws-cdk-lib/aws-dynamodb';
import type { TableProps } from 'aws-cdk-lib/aws-dynamodb';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ConfigError } from './config';

/** S3 key prefix SES writes raw inbound mail under; the relay may read only below it. */
export const RAW_MAIL_PREFIX = 'inbound/';

/** Every key attribute of the schema is a string (see `lambdas/shared/table-schema.ts`). */
export const KEY_ATTRIBUTE_TYPE = AttributeType.STRING;

/**
 * Point-in-time recovery window of every table, in days. PITR backups are copies of personal data, so
 * an erased item can be restored from them for this long: destruction receipts state it.
 */
export const POINT_IN_TIME_RECOVERY_DAYS = 35;

/** Table settings every table gets, whatever its keys. */
export const TABLE_DEFAULTS = {
  billingMode: BillingMode.PAY_PER_REQUEST,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: POINT_IN_TIME_RECOVERY_DAYS },
  deletionProtection: true,
  removalPolicy: RemovalPolicy.RETAIN,
} as const satisfies Partial<TableProps>;

/** Queue settings of the inbound pipeline. */
export const QUEUE_DEFAULTS = {
  /** Receives before a notification moves to the dead-letter queue. */
  maxReceiveCount: 5,
  /**
   * AWS guidance for SQS event sources: the visibility timeout is at least six times the function
   * timeout, so a batch retried by Lambda's poller is not handed to a second invocation meanwhile.
   */
  visibilityTimeoutFactor: 6,
  /** The longest retention SQS allows. */
  maxRetentionDays: 14,
} as const;

/** CloudWatch Logs' regional service principal needs the key to encrypt log groups. */
export function logsServicePrincipalName(region: string): string {
  return `logs.${region}.amazonaws.com`;
}

/** esbuild's `require` shim for CommonJS dependencies inside an ES module bundle. */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** Runtime settings of every function. */
export const FUNCTION_DEFAULTS = {
  runtime: Runtime.NODEJS_24_X,
  architecture: Architecture.ARM_64,
  tracing: Tracing.ACTIVE,
  memorySize: 256,
  timeout: Duration.seconds(30),
} as const;

/**
 * Local esbuild bundling (no Docker): one minified ES module with source maps. The AWS SDK is bundled
 * rather than taken from the runtime, so the SDK versions the tests ran against are the ones deployed.
 */
export const BUNDLING_DEFAULTS: BundlingOptions = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  bundleAwsSDK: true,
  externalModules: [],
};

/** Settings of the relay function itself. */
export const RELAY_FUNCTION_DEFAULTS = {
  /**
   * Raw mail of up to 40 MB (SES's limit) is held in memory at most about twice (the received bytes
   * and the rewritten copy handed to SES); 1024 MB leaves room for that and the runtime. A load test
   * with large messages will tune it.
   */
  memorySize: 1024,
  timeout: Duration.seconds(60),
  /** Records per invocation; each fails on its own through partial batch responses. */
  batchSize: 10,
} as const;

/** SQS event source mappings accept a maximum concurrency in this range. */
export const EVENT_SOURCE_MAX_CONCURRENCY = { min: 2, max: 1000 } as const;

/**
 * CloudWatch Logs retention for a number of days. `resolveConfig` already limits the value to what
 * CloudWatch accepts; this keeps a construct used with another value from synthesising a bad template.
 */
export function logRetention(days: number): RetentionDays {
  if (!(Object.values(RetentionDays) as unknown[]).includes(days) || days === RetentionDays.INFINITE) {
    throw new ConfigError(`log retention of ${days} days is not one CloudWatch Logs accepts`);
  }
  return days as RetentionDays;
}
