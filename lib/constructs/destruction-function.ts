import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { ArnPrincipal, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DESTRUCTION_EVENT_TYPES, MARKETPLACE_EVENT_SOURCE } from '../../lambdas/destruction/events';
import { DATA_ENV } from '../../lambdas/env';
import { RETIRED_ALIAS_PREFIX } from '../../lambdas/records/table-schema';
import type { RelayConfig } from '../config';
import { DATA_LIFECYCLE_FUNCTION_DEFAULTS, EVENT_DELIVERY_DEFAULTS, queueRetention } from '../secure-defaults';
import { AnshinFunction } from './anshin-function';
import type { TableAction } from './anshin-function';
import { customerAddressCondition } from './data-keys';
import type { DataKeys } from './data-keys';
import type { DataTables, IndexOf } from './data-tables';
import { createFailureQueue } from './encrypted-messaging';
import { allowRawMailErasure } from './raw-mail-erasure';

export interface DestructionFunctionProps {
  readonly config: RelayConfig;
  readonly keys: DataKeys;
  readonly tables: DataTables;
  /** The bucket holding raw inbound mail below `inbound/`. */
  readonly inboundBucket: Bucket;
  /**
   * Handler module exporting `handler`.
   * @default lambdas/destruction/handler.ts
   */
  readonly entry?: string;
}

const DEFAULT_ENTRY = fileURLToPath(new URL('../../lambdas/destruction/handler.ts', import.meta.url));

/** On a subject's items: read them, write a retired alias's hash, re-date them on termination, erase them. */
const SUBJECT_ITEM_ACTIONS: readonly TableAction[] = ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

/**
 * The destruction function: erases everything about one store or one customer (addresses, aliases,
 * transmission and access records, every version of their raw mail), checks that nothing is left
 * and records a receipt. The operator CLI invokes it directly; the marketplace's events on a bus of
 * their own (`Store Terminated`, `Customer Deletion Requested`), which only the marketplace's
 * principals may send to, reach it through a rule; the
 * retention run invokes it when a terminated store's support period ends.
 *
 * Requests that cannot be delivered or that keep failing land in one encrypted failure queue. They
 * may name a customer's address, so the queue keeps them no longer than raw mail.
 */
export class DestructionFunction extends Construct {
  readonly anshinFunction: AnshinFunction;
  readonly function: NodejsFunction;
  readonly failures: Queue;
  readonly rule: Rule;
  /** The bus the marketplace sends destruction requests to: nobody else in the account may. */
  readonly bus: EventBus;

  constructor(scope: Construct, id: string, props: DestructionFunctionProps) {
    super(scope, id);
    const { config, keys, tables } = props;
    const stack = Stack.of(this);

    this.anshinFunction = new AnshinFunction(this, 'Destruction', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description: 'Erases everything about a store or a customer, verifies nothing is left and records a receipt',
      serviceName: 'anshin-destruction',
      logRetentionDays: config.retention.logDays,
      logKey: keys.dataKey,
      memorySize: DATA_LIFECYCLE_FUNCTION_DEFAULTS.memorySize,
      timeout: DATA_LIFECYCLE_FUNCTION_DEFAULTS.timeout,
    });
    this.function = this.anshinFunction.function;

    // A customer is found by the keyed hash of the address (aliases, store contacts and senders), a
    // store by its partition; their records through the alias and store indexes. Receipts are
    // only added, never changed.
    this.anshinFunction
      .bindTable(DATA_ENV.aliasesTable, tables.aliases, {
        actions: SUBJECT_ITEM_ACTIONS,
        indexes: ['byAddressHash', 'byStore'] satisfies IndexOf<'aliases'>[],
      })
      .bindTable(DATA_ENV.storesTable, tables.stores, {
        actions: [...SUBJECT_ITEM_ACTIONS, 'dynamodb:Query'],
        indexes: ['byAddressHash'] satisfies IndexOf<'stores'>[],
      })
      .bindTable(DATA_ENV.transmissionsTable, tables.transmissions, {
        actions: SUBJECT_ITEM_ACTIONS,
        indexes: ['byAlias'] satisfies IndexOf<'transmissions'>[],
      })
      .bindTable(DATA_ENV.accessTable, tables.access, { actions: [...SUBJECT_ITEM_ACTIONS, 'dynamodb:Query'] })
      .bindTable(DATA_ENV.receiptsTable, tables.receipts, { actions: [] })
      // Its own receipts only; a customer alias's retired name, and no other alias item.
      .writeOnlyUnder(tables.receipts, ['dynamodb:PutItem'], ['destruction', 'termination', 'chain#destruction', 'chain#termination'])
      .bindKey(DATA_ENV.receiptKeyId, keys.receiptKey, ['kms:Sign'])
      .writeOnlyUnder(tables.aliases, ['dynamodb:PutItem'], [`${RETIRED_ALIAS_PREFIX}*`])
      .bindKey(DATA_ENV.hmacKeyId, keys.hmacKey, ['kms:GenerateMac'])
      // A marketplace event names a customer by alias: the customer's address is decrypted from that
      // alias (customer addresses only, never a store's), so no address has to cross the event bus.
      .bindKey(DATA_ENV.addressKeyId, keys.addressKey, ['kms:Decrypt'], customerAddressCondition())
      // The tables are encrypted with the data key.
      .useKeyThrough(keys.dataKey, ['kms:Decrypt'], ['dynamodb'])
      .setEnvironment(DATA_ENV.inboundBucket, props.inboundBucket.bucketName)
      .setEnvironment(DATA_ENV.retentionPolicy, JSON.stringify(config.retention));
    allowRawMailErasure(this.anshinFunction, props.inboundBucket);
    // SES keeps a customer's bounced or complaining address on the account's suppression list until
    // it is deleted; these two actions take no resource (the list is one per account and region),
    // and the boundary keeps them in ap-northeast-1.
    this.anshinFunction.allowUnscoped(['ses:GetSuppressedDestination', 'ses:DeleteSuppressedDestination'], "SES's suppression list (GetSuppressedDestination, DeleteSuppressedDestination)");
    // A deletion request of the marketplace API is marked done with its receipt; nothing else of the
    // receipts table is ever changed.
    this.anshinFunction.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [tables.receipts.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['deletion-request'] } },
      }),
    );

    this.failures = createFailureQueue(this, 'Failures', {
      key: keys.dataKey,
      retentionPeriod: queueRetention(config.retention.classes.content.retentionDays),
      holds: 'destruction requests EventBridge could not deliver and erasures that kept failing',
    });
    this.anshinFunction.sendAsyncFailuresTo(this.failures);

    // Named, so the key policy can name the rule by ARN without depending on it: the rule depends on
    // the function, whose role refers to the key.
    const busName = `${stack.stackName}-marketplace`;
    this.bus = new EventBus(this, 'Bus', { eventBusName: busName, description: 'Destruction requests from the marketplace' });
    // Sending to a custom bus takes its resource policy as well as the sender's own: only the
    // marketplace's principals (the API's, or this account's root when none are configured).
    const admitted = config.api.allowedPrincipals.length > 0 ? config.api.allowedPrincipals : [`arn:${stack.partition}:iam::${stack.account}:root`];
    this.bus.addToResourcePolicy(
      new PolicyStatement({ sid: 'MarketplaceSendsDestructionRequests', principals: admitted.map((arn) => new ArnPrincipal(arn)), actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
    );
    const ruleName = `${stack.stackName}-destruction-requests`;
    const ruleArn = stack.formatArn({ service: 'events', resource: 'rule', resourceName: `${busName}/${ruleName}`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.rule = new Rule(this, 'Requests', {
      eventBus: this.bus,
      ruleName,
      description: 'Marketplace requests to erase a store or a customer',
      eventPattern: { source: [MARKETPLACE_EVENT_SOURCE], detailType: Object.values(DESTRUCTION_EVENT_TYPES) },
    });
    this.rule.addTarget(
      new LambdaFunction(this.function, {
        deadLetterQueue: this.failures,
        retryAttempts: EVENT_DELIVERY_DEFAULTS.retryAttempts,
        maxEventAge: EVENT_DELIVERY_DEFAULTS.maxEventAge,
      }),
    );
    // EventBridge puts undeliverable events into the encrypted queue itself, so SQS uses the key on
    // its behalf, for this rule only.
    keys.dataKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowEventBridgeDeadLettersOfDestructionRequests',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      }),
    );
  }
  /** A store's menu account is erased with the store: looked up and deleted in the stores' user pool, nothing else. */
  eraseMenuAccountsOf(userPool: IUserPool): void {
    this.anshinFunction.setEnvironment(DATA_ENV.userPoolId, userPool.userPoolId);
    this.anshinFunction.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['cognito-idp:AdminGetUser', 'cognito-idp:AdminDeleteUser'], resources: [userPool.userPoolArn] }));
  }
}
