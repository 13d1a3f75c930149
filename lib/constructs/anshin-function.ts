import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey, Key } from 'aws-cdk-lib/aws-kms';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HOME_REGION } from '../config';
import { DataKeys } from './data-keys';
import { ASYNC_INVOKE_DEFAULTS, BUNDLING_DEFAULTS, FUNCTION_DEFAULTS, logRetention } from '../secure-defaults';

/** AWS services that use a customer-managed key on a function's behalf. */
export type KeyUsingService = 'dynamodb' | 'sqs' | 's3';

/** DynamoDB data-plane actions a function may be granted on a table. */
export type TableAction = 'dynamodb:GetItem' | 'dynamodb:BatchGetItem' | 'dynamodb:Query' | 'dynamodb:Scan' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem';

export interface TableBinding {
  /**
   * Actions on the table's items.
   * @default ['dynamodb:GetItem']
   */
  readonly actions?: readonly TableAction[];
  /**
   * Global secondary indexes the function may query; each gets `dynamodb:Query` on its own ARN.
   * @default - no index access
   */
  readonly indexes?: readonly string[];
}

export interface AnshinFunctionProps {
  /** Absolute path of the TypeScript handler module. */
  readonly entry: string;
  /**
   * Exported handler name.
   * @default 'handler'
   */
  readonly handler?: string;
  readonly description: string;
  /** Powertools service name, the `service` attribute of every log line. */
  readonly serviceName: string;
  /** Days the function's log group keeps logs. */
  readonly logRetentionDays: number;
  /** Customer-managed key of the log group. */
  readonly logKey: IKey;
  /**
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
}

/**
 * The house Lambda function: Node.js 24 on ARM64, bundled locally by esbuild as an ES module with
 * source maps, X-Ray tracing, an explicit KMS-encrypted log group with retention, and a role of its
 * own that starts with nothing but writing to that log group. Access is added through the intent
 * methods, which grant and set the matching environment variable together.
 */
export class AnshinFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: AnshinFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      encryptionKey: props.logKey,
      retention: logRetention(props.logRetentionDays),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A role of its own instead of AWSLambdaBasicExecutionRole: that managed policy may write to
    // every log group of the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.serviceName}: ${props.description}`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
    );
    this.acknowledgeUnscoped();
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: FUNCTION_DEFAULTS.runtime,
      architecture: FUNCTION_DEFAULTS.architecture,
      tracing: FUNCTION_DEFAULTS.tracing,
      memorySize: props.memorySize ?? FUNCTION_DEFAULTS.memorySize,
      timeout: props.timeout ?? FUNCTION_DEFAULTS.timeout,
      role: this.role,
      logGroup: this.logGroup,
      bundling: BUNDLING_DEFAULTS,
      // Stack traces point into the TypeScript sources instead of the minified bundle.
      environment: { POWERTOOLS_SERVICE_NAME: props.serviceName, NODE_OPTIONS: '--enable-source-maps' },
    });
  }

  /** Sets an environment variable the handler reads at cold start. */
  setEnvironment(name: string, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }

  /**
   * Names the table in `envName` and grants exactly the given item actions on it (read-only by
   * default). Index queries are granted per index, never on `index/*`.
   */
  bindTable(envName: string, table: ITable, binding: TableBinding = {}): this {
    this.setEnvironment(envName, table.tableName);
    const actions = binding.actions ?? ['dynamodb:GetItem'];
    if (actions.length > 0) this.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...actions], resources: [table.tableArn] }));
    const indexes = binding.indexes ?? [];
    if (indexes.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['dynamodb:Query'], resources: indexes.map((index) => `${table.tableArn}/index/${index}`) }),
      );
    }
    return this;
  }

  /**
   * Grants actions that support no resource-level permissions (`Resource: *`); the permissions
   * boundary still keeps them in ap-northeast-1. `what` names them in the cdk-nag acknowledgement.
   */
  allowUnscoped(actions: readonly string[], what: string): this {
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...actions], resources: ['*'] }));
    this.unscoped.push(what);
    this.acknowledgeUnscoped();
    return this;
  }

  private readonly unscoped: string[] = ['X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords)'];

  private acknowledgeUnscoped(): void {
    const policy = this.role.node.tryFindChild('DefaultPolicy');
    if (policy === undefined) return;
    Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: `${this.unscoped.join(' and ')} support no resource-level permissions.` });
  }

  /**
   * `UpdateItem` on the table, naming only these attributes besides the item's key: what a role that
   * may change one thing of an item and nothing else gets (`dynamodb:Attributes`).
   */
  updateOnly(table: ITable, keyAttributes: readonly string[], attributes: readonly string[]): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...keyAttributes, ...attributes] } },
      }),
    );
    return this;
  }

  /**
   * Grants item writes on a table only for partition keys matching the patterns (`m-*`,
   * `retired#*`, a receipt kind): the role cannot create or overwrite any other item.
   */
  writeOnlyUnder(table: ITable, actions: readonly TableAction[], leadingKeys: readonly string[]): this {
    return this.underLeadingKeys(table, actions, leadingKeys);
  }

  /** Grants item reads on a table only for partition keys matching the patterns (`rate#store#*`). */
  readOnlyUnder(table: ITable, actions: readonly ('dynamodb:GetItem' | 'dynamodb:BatchGetItem')[], leadingKeys: readonly string[]): this {
    return this.underLeadingKeys(table, actions, leadingKeys);
  }

  private underLeadingKeys(table: ITable, actions: readonly TableAction[], leadingKeys: readonly string[]): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...actions], resources: [table.tableArn], conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] } } }),
    );
    return this;
  }

  /**
   * Names the key in `envName` (by ARN, so KMS refuses a ciphertext of any other key) and lets the
   * role use it for the given actions, under `conditions` (encryption-context keys and values), in
   * the role's policy and in the key's: the address and HMAC keys admit only the roles they name.
   */
  bindKey(envName: string, key: Key, actions: readonly string[], conditions?: Record<string, unknown>): this {
    this.setEnvironment(envName, key.keyArn);
    return this.useKey(key, actions, conditions);
  }

  /** Another use of a key bound with {@link bindKey}, under other conditions. */
  useKey(key: Key, actions: readonly string[], conditions?: Record<string, unknown>): this {
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...actions], resources: [key.keyArn], ...(conditions ? { conditions } : {}) }));
    DataKeys.allowUse(key, this.role, actions, conditions);
    return this;
  }

  /**
   * Grants actions on a key that only take effect when one of the given services (in the home
   * region) calls KMS for the function: DynamoDB reading and writing an encrypted table, SQS
   * encrypting a message the function sends. The function itself can neither encrypt nor decrypt
   * with the key.
   */
  useKeyThrough(key: IKey, actions: readonly string[], services: readonly KeyUsingService[]): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...actions],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': services.map((service) => `${service}.${HOME_REGION}.amazonaws.com`) } },
      }),
    );
    return this;
  }

  /**
   * Asynchronous invocations (a schedule, an EventBridge rule, another function) are retried as
   * {@link ASYNC_INVOKE_DEFAULTS} says and then recorded, with the request and the error, in
   * `queue`. Lambda sends the record with the function's own role, so the role may send to that
   * queue and have SQS use the queue's key.
   */
  sendAsyncFailuresTo(queue: IQueue): this {
    this.function.configureAsyncInvoke({
      onFailure: { bind: () => ({ destination: queue.queueArn }) },
      retryAttempts: ASYNC_INVOKE_DEFAULTS.retryAttempts,
      maxEventAge: ASYNC_INVOKE_DEFAULTS.maxEventAge,
    });
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    if (queue.encryptionMasterKey !== undefined) this.useKeyThrough(queue.encryptionMasterKey, ['kms:GenerateDataKey', 'kms:Decrypt'], ['sqs']);
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Failed asynchronous invocations go to the on-failure destination, whose record carries the request and the error; a dead-letter queue as well would receive every failed request a second time.',
    });
    return this;
  }

  /**
   * Acknowledges the findings every SQS-consuming function of this house style raises, with the
   * reasons that hold for all of them; call it after the event source is added.
   * @param purpose what the function is called in the reasons, e.g. "The relay"
   * @param queue what its queue is called in the reasons, e.g. "the relay queue"
   */
  acknowledgeQueueConsumerFindings(purpose: string, queue: string): this {
    Validations.of(this.function).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason: `${purpose} is only invoked synchronously by its SQS event source; failed messages move to ${queue}'s dead-letter queue.`,
      },
      {
        id: 'Serverless-LambdaAsyncFailureDestination',
        reason: `${purpose} is never invoked asynchronously; the SQS redrive policy is its failure destination.`,
      },
    );
    for (const mapping of this.function.node.findAll().filter((node) => node instanceof CfnEventSourceMapping)) {
      Validations.of(mapping).acknowledge({
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason: `SQS event sources take no on-failure destination; ${queue}'s redrive policy moves failed messages to its dead-letter queue.`,
      });
    }
    return this;
  }
}
