import { CfnOutput, Stack, Stage, Validations } from 'aws-cdk-lib';
import { RELAY_ENV } from '../lambdas/env';
import type { StackProps } from 'aws-cdk-lib';
import type { ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { policyVersion } from '../lambdas/records/retention-policy';
import type { RelayConfig } from './config';
import { AnalysisExport } from './constructs/analysis-export';
import { AuditTrail } from './constructs/audit-trail';
import { DataKeys } from './constructs/data-keys';
import { DataTables } from './constructs/data-tables';
import { DestructionFunction } from './constructs/destruction-function';
import { FraudSignals } from './constructs/fraud-signals';
import { MailIngress } from './constructs/mail-ingress';
import { Operations } from './constructs/operations';
import { MerchantMenu } from './constructs/merchant-menu';
import { API_STAGE, MarketplaceApi } from './constructs/marketplace-api';
import { RelayFunction } from './constructs/relay-function';
import { RetentionFunction } from './constructs/retention-function';
import { SendingFeedback } from './constructs/sending-feedback';
import { ResidencyError, assertHomeRegion, boundToHomeRegion } from './residency';
import { AnshinResidencyChecks } from './residency-pack';
import { queueRetention, RELAY_FUNCTION_DEFAULTS } from './secure-defaults';
import { ANSHIN_VERSION } from './version';

export interface AnshinRelayStackProps extends StackProps {
  /** The resolved deployment configuration (`resolveConfig`). */
  readonly config: RelayConfig;
  /**
   * Relay handler module, for tests that bundle a stand-in.
   * @default lambdas/relay/handler.ts
   */
  readonly relayEntry?: string;
  /**
   * Retention handler module, for tests that bundle a stand-in.
   * @default lambdas/retention/handler.ts
   */
  readonly retentionEntry?: string;
  /**
   * Destruction handler module, for tests that bundle a stand-in.
   * @default lambdas/destruction/handler.ts
   */
  readonly destructionEntry?: string;
  /**
   * Marketplace API handler module, for tests that bundle a stand-in.
   * @default lambdas/api/handler.ts
   */
  readonly apiEntry?: string;
  /** @default lambdas/menu/handler.ts */
  readonly menuEntry?: string;
  /** @default lambdas/fraud/handler.ts */
  readonly fraudEntry?: string;
  /** @default lambdas/analysis/handler.ts */
  readonly analysisEntry?: string;
}

/**
 * The whole relay in one stack, in the home region only. The stack wires constructs together and
 * publishes the names the operator CLI reads; the constructs own the resources.
 */
export class AnshinRelayStack extends Stack {
  readonly config: RelayConfig;
  readonly keys: DataKeys;
  readonly tables: DataTables;
  readonly ingress: MailIngress;
  readonly relay: RelayFunction;
  readonly sending: SendingFeedback;
  readonly destruction: DestructionFunction;
  readonly retention: RetentionFunction;
  readonly fraud: FraudSignals;
  readonly analysis: AnalysisExport;
  /** Alarms, their topic, and the dashboard. */
  readonly operations: Operations;
  readonly api: MarketplaceApi;
  /** Permissions boundary of every role: nothing outside ap-northeast-1. */
  readonly regionBoundary: ManagedPolicy;
  readonly menu: MerchantMenu;
  /** Who read or changed personal data: CloudTrail in the home region. */
  readonly audit: AuditTrail;

  readonly aliasesTableName: CfnOutput;
  readonly storesTableName: CfnOutput;
  readonly transmissionsTableName: CfnOutput;
  readonly accessTableName: CfnOutput;
  readonly receiptsTableName: CfnOutput;
  readonly dataKeyArn: CfnOutput;
  readonly addressKeyArn: CfnOutput;
  readonly receiptKeyArn: CfnOutput;
  readonly hmacKeyArn: CfnOutput;
  readonly inboundBucketName: CfnOutput;
  readonly inboundTopicArn: CfnOutput;
  readonly relayQueueUrl: CfnOutput;
  readonly deadLetterQueueUrl: CfnOutput;
  readonly relayFunctionName: CfnOutput;
  readonly receiptRuleSetName: CfnOutput;
  readonly relayDomain: CfnOutput;
  readonly configurationSetName: CfnOutput;
  readonly retentionFunctionName: CfnOutput;
  readonly destructionFunctionName: CfnOutput;
  readonly retentionPolicyVersion: CfnOutput;
  readonly retentionPolicy: CfnOutput;
  readonly apiUrl: CfnOutput;
  readonly menuUrl: CfnOutput;
  readonly userPoolId: CfnOutput;
  readonly analysisBucketName: CfnOutput;
  readonly pseudonymKeyArn: CfnOutput;

  constructor(scope: Construct, id: string, props: AnshinRelayStackProps) {
    super(scope, id, props);
    assertHomeRegion(this);
    if (props.config.region !== this.region) {
      throw new ResidencyError(`anshin.region is ${props.config.region} but the stack targets ${this.region}`);
    }
    // The stack brings its own residency checks, whatever app it is synthesised in.
    const stage = Stage.of(this);
    if (stage !== undefined) Validations.of(stage).addPlugins(new AnshinResidencyChecks(this));
    this.regionBoundary = boundToHomeRegion(this);
    const { config } = props;
    this.config = config;

    this.keys = new DataKeys(this, 'Keys', config.keys.breakGlassRoleArn === undefined ? {} : { breakGlassRoleArn: config.keys.breakGlassRoleArn });
    this.tables = new DataTables(this, 'Tables', { encryptionKey: this.keys.dataKey, backupDays: config.retention.backupDays });
    this.ingress = new MailIngress(this, 'Ingress', {
      relayDomain: config.relayDomain,
      dataKey: this.keys.dataKey,
      rawMailDays: config.retention.classes.content.retentionDays,
      noncurrentRawMailDays: config.retention.noncurrentContentDays,
      logDays: config.retention.logDays,
      consumerTimeout: RELAY_FUNCTION_DEFAULTS.timeout,
      activateReceiptRuleSet: config.activateReceiptRuleSet,
    });
    const { aliases, stores, transmissions, access, receipts } = this.tables;
    this.audit = new AuditTrail(this, 'Audit', {
      key: this.keys.dataKey,
      tables: [aliases, stores, transmissions, access, receipts],
      rawMailBucket: this.ingress.bucket,
      accessLogBucket: this.ingress.accessLogBucket,
      retentionDays: config.retention.classes.evidence.retentionDays,
    });
    this.sending = new SendingFeedback(this, 'Sending', { config, keys: this.keys, tables: this.tables });
    this.relay = new RelayFunction(this, 'Relay', {
      config,
      keys: this.keys,
      tables: this.tables,
      ingress: this.ingress,
      sending: this.sending,
      ...(props.relayEntry === undefined ? {} : { entry: props.relayEntry }),
    });
    this.destruction = new DestructionFunction(this, 'Destruction', {
      config,
      keys: this.keys,
      tables: this.tables,
      inboundBucket: this.ingress.bucket,
      ...(props.destructionEntry === undefined ? {} : { entry: props.destructionEntry }),
    });
    this.retention = new RetentionFunction(this, 'Retention', {
      config,
      keys: this.keys,
      tables: this.tables,
      inboundBucket: this.ingress.bucket,
      destruction: this.destruction,
      ...(props.retentionEntry === undefined ? {} : { entry: props.retentionEntry }),
    });
    this.fraud = new FraudSignals(this, 'Fraud', {
      config,
      keys: this.keys,
      tables: this.tables,
      ...(props.fraudEntry === undefined ? {} : { entry: props.fraudEntry }),
    });
    this.analysis = new AnalysisExport(this, 'Analysis', {
      config,
      keys: this.keys,
      tables: this.tables,
      accessLogBucket: this.ingress.accessLogBucket,
      ...(props.analysisEntry === undefined ? {} : { entry: props.analysisEntry }),
    });

    this.menu = new MerchantMenu(this, 'Menu', {
      config,
      keys: this.keys,
      tables: this.tables,
      ...(props.menuEntry === undefined ? {} : { entry: props.menuEntry }),
    });
    this.destruction.eraseMenuAccountsOf(this.menu.userPool);
    // Store mail to customers carries a one-click List-Unsubscribe to the menu's own endpoint.
    this.relay.anshinFunction.setEnvironment(RELAY_ENV.menuUrl, this.menu.url);

    this.api = new MarketplaceApi(this, 'MarketplaceApi', {
      config,
      keys: this.keys,
      tables: this.tables,
      destruction: this.destruction,
      menu: this.menu,
      ...(props.apiEntry === undefined ? {} : { entry: props.apiEntry }),
    });

    this.operations = new Operations(this, 'Operations', {
      alarms: config.alarms,
      keys: this.keys,
      queueRetention: queueRetention(config.retention.classes.content.retentionDays),
      functions: {
        relay: this.relay.function,
        feedback: this.sending.function,
        retention: this.retention.function,
        destruction: this.destruction.function,
        api: this.api.function,
        menu: this.menu.function,
        fraud: this.fraud.function,
        analysis: this.analysis.function,
      },
      relayQueue: this.ingress.queue,
      deadLetters: {
        relay: { queue: this.ingress.deadLetterQueue, action: 'list them with `anshin dlq replay --dry-run`, fix the cause named by each reason, then `anshin dlq replay`' },
        feedback: { queue: this.sending.deadLetterQueue, action: 'read the feedback function’s errors; the events are SES bounces and complaints, redrive them to the feedback queue once fixed' },
        retention: { queue: this.retention.failures, action: 'a scheduled run could not start or kept failing: run `anshin retention run --target aws` and read its receipt' },
        destruction: { queue: this.destruction.failures, action: 'a destruction request failed: read the request in the queue, fix the cause and run it again with `anshin destroy`; the requester is owed a receipt' },
        fraud: { queue: this.fraud.failures, action: 'the daily signals did not run: run `anshin fraud run --target aws --day <day>`' },
        analysis: { queue: this.analysis.failures, action: 'the daily export did not run: run `anshin analysis export --target aws --day <day>`' },
      },
    });

    // Export-free outputs with fixed names: the operator CLI reads them with DescribeStacks.
    const output = (name: string, value: string, description: string): CfnOutput => new CfnOutput(this, name, { value, description });
    this.aliasesTableName = output('AliasesTableName', this.tables.aliases.tableName, 'Aliases table');
    this.storesTableName = output('StoresTableName', this.tables.stores.tableName, 'Stores and registered senders table');
    this.transmissionsTableName = output('TransmissionsTableName', this.tables.transmissions.tableName, 'Transmission records table');
    this.accessTableName = output('AccessTableName', this.tables.access.tableName, 'Merchant-menu access records table');
    this.receiptsTableName = output('ReceiptsTableName', this.tables.receipts.tableName, 'Retention, destruction and termination receipts table');
    this.dataKeyArn = output('DataKeyArn', this.keys.dataKey.keyArn, 'Customer-managed key for every data store at rest');
    this.receiptKeyArn = output('ReceiptKeyArn', this.keys.receiptKey.keyArn, 'Asymmetric key receipts are signed with: `anshin receipts verify` needs kms:GetPublicKey on it');
    this.addressKeyArn = output('AddressKeyArn', this.keys.addressKey.keyArn, 'Customer-managed key for real addresses, and only them');
    this.hmacKeyArn = output('HmacKeyArn', this.keys.hmacKey.keyArn, 'HMAC key for address hashes and aliases');
    this.inboundBucketName = output('InboundBucketName', this.ingress.bucket.bucketName, 'Raw inbound mail bucket');
    this.inboundTopicArn = output('InboundTopicArn', this.ingress.topic.topicArn, 'Topic SES publishes receipts to');
    this.relayQueueUrl = output('RelayQueueUrl', this.ingress.queue.queueUrl, 'Queue feeding the relay');
    this.deadLetterQueueUrl = output('DeadLetterQueueUrl', this.ingress.deadLetterQueue.queueUrl, 'Notifications the relay could not handle');
    this.relayFunctionName = output('RelayFunctionName', this.relay.function.functionName, 'Relay function');
    this.receiptRuleSetName = output('ReceiptRuleSetName', this.ingress.receiptRuleSetName, 'SES receipt rule set');
    this.relayDomain = output('RelayDomain', config.relayDomain, 'Domain the aliases live on');
    this.configurationSetName = output('ConfigurationSetName', this.sending.configurationSetName, 'SES configuration set the relay sends through');
    this.retentionFunctionName = output('RetentionFunctionName', this.retention.function.functionName, 'Retention run');
    this.destructionFunctionName = output('DestructionFunctionName', this.destruction.function.functionName, 'Destruction of a store or a customer');
    // Every receipt names the policy version it was made under; this is the deployed one.
    this.retentionPolicyVersion = output('RetentionPolicyVersion', policyVersion(config.retention), 'Version of the deployed retention policy');
    this.retentionPolicy = output('RetentionPolicy', JSON.stringify(config.retention), 'The deployed retention policy (JSON)');
    this.menuUrl = output('MenuUrl', this.menu.url, 'Merchant menu base URL: stores log in at <url>/login');
    this.userPoolId = output('UserPoolId', this.menu.userPool.userPoolId, "The stores' menu accounts (Cognito user pool)");
    this.analysisBucketName = output('AnalysisBucketName', this.analysis.bucket.bucketName, 'Pseudonymised analysis export (Parquet, partitioned by day)');
    this.pseudonymKeyArn = output('PseudonymKeyArn', this.keys.pseudonymKey.keyArn, "HMAC key investigations' pseudonym keys are derived from");
    output('AnalysisWorkGroup', this.analysis.workGroup.name, 'Athena workgroup for SQL over the analysis export');
    output('AnalysisDatabase', this.analysis.database.ref, 'Glue database of the analysis tables (records, investigation_records)');
    output('AnalystPolicyArn', this.analysis.analystPolicy.managedPolicyArn, "Attach to an analyst's role to query the export in its workgroup");
    output('Version', ANSHIN_VERSION, 'anshin-relay version deployed (package.json)');
    output('AlarmTopicArn', this.operations.topic.topicArn, 'Alarms go here: subscribe people with alarms.emails in the configuration');
    output('DashboardName', this.operations.dashboard.dashboardName, 'CloudWatch dashboard of the flow, from inbound mail to retention');
    output('AnalysisFunctionName', this.analysis.function.functionName, 'Analysis export function');
    this.apiUrl = output('ApiUrl', this.api.api.urlForPath('/').replace(/\/$/, ''), `Marketplace API base URL (stage ${API_STAGE}); requests are SigV4-signed for execute-api`);
  }
}
