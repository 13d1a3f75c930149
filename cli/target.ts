import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { HOME_REGION, resolveConfig } from '../lib/config';
import type { RelayConfig } from '../lib/config';
import { localS3Client, readLocalEndpoints } from '../local';
import { MarketplaceApi } from './api-client';
import type { TableKey } from '../lambdas/records/table-schema';

/** Where the CLI's commands act: table names, keys and clients of one deployment. */
export interface Target {
  readonly name: 'local' | 'aws';
  readonly dynamodb: DynamoDBClient;
  readonly kms: KMSClient;
  readonly tables: Readonly<Record<TableKey, string>>;
  readonly keys: { readonly dataKeyId: string; readonly hmacKeyId: string; readonly receiptKeyId: string; readonly pseudonymKeyId: string };
  readonly s3: S3Client;
  /** Bucket holding raw inbound mail below `inbound/`. */
  readonly inboundBucket: string;
  /** Bucket of the pseudonymised analysis export. */
  readonly analysisBucket: string;
  /** The retention, destruction and analysis export functions, with a client to invoke them; a deployed stack only. */
  readonly functions?: { readonly lambda: LambdaClient; readonly retention: string; readonly destruction: string; readonly analysis: string };
  readonly config: RelayConfig;
  /** The relay queue and its dead-letter queue, with a client for them; a deployed stack only. */
  readonly queues?: { readonly sqs: SQSClient; readonly relay: string; readonly deadLetter: string };
  /** The local stack's control endpoint (dead-letter replay, redelivery); the local stack only. */
  readonly control?: string;
  /** The marketplace API: its base URL and the credentials requests to it are signed with. */
  readonly api?: MarketplaceApi;
  /**
   * What destruction and retention reach besides tables, bucket and keys, on the local stack where
   * they run in-process (on AWS the functions do): the stores' user pool and SES's suppression list.
   */
  readonly dataServices?: { readonly cognito: CognitoIdentityProviderClient; readonly userPoolId: string; readonly ses: SESv2Client };
  /** The deployed stack as CloudFormation describes it; a deployed stack only. */
  readonly deployment?: {
    readonly stackName: string;
    readonly stackStatus: string;
    readonly createdAt: Date;
    /** The `Version` output; absent for stacks deployed before it existed. */
    readonly version?: string;
    readonly receiptRuleSetName: string;
  };
  /** The local stack's SMTP ingress, host and port; the local stack only. */
  readonly smtp?: { readonly host: string; readonly port: number };
}

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

/** `smtp://127.0.0.1:2525` as host and port. */
function smtpAddress(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/** The local stack, as `npm start` describes it in `<dir>/endpoints.json`. */
export async function localTarget(dir: string): Promise<Target> {
  const endpoints = await readLocalEndpoints(dir).catch((error: unknown) => {
    throw new TargetError(`the local stack is not running (no ${dir}/endpoints.json): start it with \`npm start\``, { cause: error });
  });
  const common = { region: endpoints.region, credentials: endpoints.credentials };
  return {
    name: 'local',
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
    kms: new KMSClient({ ...common, endpoint: endpoints.kms }),
    tables: endpoints.tables,
    keys: { dataKeyId: endpoints.keys.data, hmacKeyId: endpoints.keys.hmac, receiptKeyId: endpoints.keys.receipts, pseudonymKeyId: endpoints.keys.pseudonym },
    s3: localS3Client({ ...common, endpoint: endpoints.s3 }),
    inboundBucket: endpoints.inboundBucket,
    analysisBucket: endpoints.analysisBucket,
    config: resolveConfig({ relayDomain: endpoints.relayDomain }),
    control: endpoints.control,
    smtp: smtpAddress(endpoints.smtp),
    ...(endpoints.api ? { api: new MarketplaceApi(endpoints.api, endpoints.region, async () => endpoints.credentials) } : {}),
    dataServices: {
      cognito: new CognitoIdentityProviderClient({ ...common, endpoint: endpoints.cognito.url }),
      userPoolId: endpoints.cognito.userPoolId,
      ses: new SESv2Client({ ...common, endpoint: endpoints.outbox }),
    },
  };
}

const OUTPUTS = [
  'AliasesTableName',
  'StoresTableName',
  'TransmissionsTableName',
  'AccessTableName',
  'ReceiptsTableName',
  'AddressKeyArn',
  'ReceiptKeyArn',
  'HmacKeyArn',
  'RelayDomain',
  'InboundBucketName',
  'RetentionFunctionName',
  'DestructionFunctionName',
  'RelayQueueUrl',
  'DeadLetterQueueUrl',
  'AnalysisBucketName',
  'PseudonymKeyArn',
  'AnalysisFunctionName',
] as const;

function deployedPolicy(json: string | undefined): { retention?: unknown } {
  if (!json) return {};
  try {
    return { retention: JSON.parse(json) as unknown };
  } catch {
    throw new TargetError('the deployed stack publishes a RetentionPolicy output that is not JSON');
  }
}

/**
 * A deployed stack in ap-northeast-1, found through its CloudFormation outputs; credentials come
 * from the usual AWS chain (profile, SSO, environment).
 */
export async function awsTarget(stackName: string, configContext: unknown): Promise<Target> {
  const region = HOME_REGION;
  const cloudFormation = new CloudFormationClient({ region });
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const missing = OUTPUTS.filter((name) => !outputs.get(name));
  if (missing.length > 0) throw new TargetError(`stack ${stackName} lacks outputs ${missing.join(', ')}; deploy the current version first`);
  const value = (name: (typeof OUTPUTS)[number]): string => outputs.get(name) ?? '';
  return {
    name: 'aws',
    dynamodb: new DynamoDBClient({ region }),
    kms: new KMSClient({ region }),
    tables: {
      aliases: value('AliasesTableName'),
      stores: value('StoresTableName'),
      transmissions: value('TransmissionsTableName'),
      access: value('AccessTableName'),
      receipts: value('ReceiptsTableName'),
    },
    keys: { dataKeyId: value('AddressKeyArn'), hmacKeyId: value('HmacKeyArn'), receiptKeyId: value('ReceiptKeyArn'), pseudonymKeyId: value('PseudonymKeyArn') },
    s3: new S3Client({ region }),
    inboundBucket: value('InboundBucketName'),
    analysisBucket: value('AnalysisBucketName'),
    functions: { lambda: new LambdaClient({ region }), retention: value('RetentionFunctionName'), destruction: value('DestructionFunctionName'), analysis: value('AnalysisFunctionName') },
    // The deployed policy wins over the local cdk.json, so aliases issued from here expire as the
    // deployed functions expect.
    config: resolveConfig({ ...(configContext as object), relayDomain: value('RelayDomain'), ...deployedPolicy(outputs.get('RetentionPolicy')) }),
    queues: { sqs: new SQSClient({ region }), relay: value('RelayQueueUrl'), deadLetter: value('DeadLetterQueueUrl') },
    deployment: {
      stackName,
      stackStatus: Stacks?.[0]?.StackStatus ?? 'UNKNOWN',
      createdAt: Stacks?.[0]?.CreationTime ?? new Date(0),
      ...(outputs.has('Version') ? { version: outputs.get('Version') ?? '' } : {}),
      receiptRuleSetName: outputs.get('ReceiptRuleSetName') ?? '',
    },
    ...(outputs.get('ApiUrl') ? { api: new MarketplaceApi(outputs.get('ApiUrl') ?? '', region, () => cloudFormation.config.credentials()) } : {}),
  };
}
