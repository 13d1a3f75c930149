/**
 * Secure defaults shared by every construct of the stack, kept as data in one place so a reviewer can
 * read the security posture without reading the constructs. Values that differ per deployment live in
 * `config.ts`; values here are the same for every deployment.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, BlockedEncryptionType, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { BucketProps } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { AttributeType, BillingMode } from 'aws-cdk-lib/aws-dynamodb';
import type { TableProps } from 'aws-cdk-lib/aws-dynamodb';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ConfigError, HOME_REGION } from './config';

/** S3 key prefix SES writes raw inbound mail under; the relay may read only below it. */
export { RAW_MAIL_PREFIX } from '../lambdas/records/raw-mail';

/** Every key attribute of the schema is a string (see `lambdas/records/table-schema.ts`). */
export const KEY_ATTRIBUTE_TYPE = AttributeType.STRING;

/**
 * Table settings every table gets, whatever its keys. Point-in-time recovery is always on; its
 * window comes from the retention policy (`backupDays`), because backups are copies of the data.
 */
export const TABLE_DEFAULTS = {
  billingMode: BillingMode.PAY_PER_REQUEST,
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

/**
 * Retention of every queue of the stack. Queues carry envelope addresses, bounce recipients or
 * destruction requests naming an address, so none keeps a message longer than raw mail is kept
 * (`retention.classes.content`), nor longer than SQS allows.
 */
export function queueRetention(contentRetentionDays: number): Duration {
  return Duration.days(Math.min(contentRetentionDays, QUEUE_DEFAULTS.maxRetentionDays));
}

/** CloudWatch Logs' regional service principal needs the key to encrypt log groups. */
export function logsServicePrincipalName(region: string): string {
  return `logs.${region}.amazonaws.com`;
}

/**
 * Modules replaced in the bundles (each stand-in's comment says why): joi, which mailauth's DKIM
 * verifier reaches for one base64 check, by `lambdas/relay/aws/joi-base64.ts`; iconv-lite, through
 * which libmime decodes legacy charsets, by `lambdas/aws/iconv-text-decoder.ts` on the platform's
 * `TextDecoder`.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  joi: fileURLToPath(new URL('../lambdas/relay/aws/joi-base64.ts', import.meta.url)),
  'iconv-lite': fileURLToPath(new URL('../lambdas/aws/iconv-text-decoder.ts', import.meta.url)),
};

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
  esbuildArgs: Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([module, path]) => [`--alias:${module}`, path])),
};

/** Settings of the relay function itself. */
export const RELAY_FUNCTION_DEFAULTS = {
  /**
   * A 40 MB message (SES's limit) is held once, as the bytes read from S3: the rewritten header
   * block and the body, a part of those bytes, go to the mailer unjoined, and the SES v2 request
   * body (their base64, 1.33 times the message) is streamed from them a chunk at a time. Measured
   * with bench/relay-memory.ts (Node 20, peak RSS above a ~105 MB process with the SDK loaded):
   * 10 MB message +18 MB, 30 MB +38 MB, 40 MB +47 MB (1.2 times); 40 MB messages relayed back to
   * back reach +104 MB before V8 collects. Records are relayed one at a time, so the worst case is
   * about 105 + 104 = 209 MB; 512 MB leaves GC headroom. More would only buy CPU, which a message
   * of this size does not need (under 0.6 s of one core for 40 MB).
   */
  memorySize: 512,
  timeout: Duration.seconds(60),
  /** Records per invocation; each fails on its own through partial batch responses. */
  batchSize: 10,
} as const;

/** Settings of the retention and destruction functions. */
export const DATA_LIFECYCLE_FUNCTION_DEFAULTS = {
  /**
   * Lambda's longest timeout: a run stops short of it, keeps a checkpoint and the next run resumes
   * there; an erasure is idempotent, so a second invocation finishes what a first left.
   */
  timeout: Duration.minutes(15),
  /** Pages of keys and version listings only; the memory mostly buys CPU for the many small calls. */
  memorySize: 512,
} as const;

/**
 * How often asynchronous invocations (schedule, EventBridge, the retention run asking for an erasure)
 * are retried before they land in the function's failure queue. Both functions may run again
 * safely.
 */
export const ASYNC_INVOKE_DEFAULTS = {
  retryAttempts: 2,
  maxEventAge: Duration.hours(6),
} as const;

/**
 * How EventBridge and EventBridge Scheduler retry handing an event to a function before they put it
 * in the dead-letter queue: a day, so a throttled or briefly failing invoke is not lost.
 */
export const EVENT_DELIVERY_DEFAULTS = {
  retryAttempts: 10,
  maxEventAge: Duration.hours(24),
} as const;

/** Time of day (Asia/Tokyo) the retention run starts: the quiet hours of a Japanese marketplace. */
export const RETENTION_RUN_TIME = { hour: '3', minute: '30' } as const;

/** When the abuse signals of the day before are read (Asia/Tokyo), after the retention run. */
export const SIGNALS_RUN_TIME = { hour: '4', minute: '15' } as const;

/** When the day before is exported for analysis (Asia/Tokyo), after the signals it carries. */
export const ANALYSIS_EXPORT_TIME = { hour: '4', minute: '45' } as const;

/**
 * The analysis export holds a day's rows in memory and writes one Parquet object: memory for a
 * day of a large marketplace (about a million records), and Lambda's longest timeout.
 */
export const ANALYSIS_FUNCTION_DEFAULTS = {
  timeout: Duration.minutes(15),
  memorySize: 3008,
} as const;

/** Athena refuses a query of the analysis workgroup that would scan more than this. */
export const ATHENA_BYTES_SCANNED_CUTOFF = 100 * 1024 ** 3;

/** Days Athena's query results stay in the analysis bucket: they are copies of the analysis. */
export const ATHENA_RESULT_DAYS = 7;

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

/**
 * A topic that carries user data (receipt notifications, bounce events) delivers only to SQS queues
 * of this account in the home region: a subscription by any other protocol (e-mail, HTTP(S), SMS,
 * Lambda) or to a queue elsewhere is refused by the topic itself, whoever asks.
 */
export function onlyHomeQueueSubscriptions(topic: ITopic): void {
  const stack = Stack.of(topic);
  const homeQueues = `arn:${stack.partition}:sqs:${HOME_REGION}:${stack.account}:*`;
  topic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'DenySubscriptionsOtherThanSqs',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['sns:Subscribe'],
      resources: [topic.topicArn],
      conditions: { StringNotEquals: { 'sns:Protocol': 'sqs' } },
    }),
  );
  topic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'DenySubscriptionsOfOtherQueues',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['sns:Subscribe'],
      resources: [topic.topicArn],
      conditions: { StringNotLike: { 'sns:Endpoint': homeQueues } },
    }),
  );
}

/** Where the alarms trip (the numbers: SES reviews an account at 5% bounces and 0.1% complaints). */
export const ALARM_THRESHOLDS = {
  relayQueueAgeSeconds: 15 * 60,
  sesBounceRate: 0.05,
  sesComplaintRate: 0.001,
} as const;

/**
 * What every bucket holding user data gets, whatever it holds: SSE-KMS with the given key (bucket
 * keys on, SSE-C refused), no public access, ACLs off, TLS 1.2 or later only, retained when the
 * stack goes.
 */
export function encryptedBucketDefaults(key: IKey) {
  return {
    encryption: BucketEncryption.KMS,
    encryptionKey: key,
    bucketKeyEnabled: true,
    blockedEncryptionTypes: [BlockedEncryptionType.SSE_C],
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    removalPolicy: RemovalPolicy.RETAIN,
  } as const satisfies Partial<BucketProps>;
}
