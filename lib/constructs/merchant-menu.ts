import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat, EndpointType, LambdaIntegration, LogGroupLogDestination, MethodLoggingLevel, RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { AccountRecovery, FeaturePlan, Mfa, StandardThreatProtectionMode, UserPool } from 'aws-cdk-lib/aws-cognito';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { MENU_ENV } from '../../lambdas/env';
import type { RelayConfig } from '../config';
import { HOME_REGION } from '../config';
import { DATA_LIFECYCLE_FUNCTION_DEFAULTS, logRetention } from '../secure-defaults';
import { AnshinFunction } from './anshin-function';
import { storeAddressCondition } from './data-keys';
import type { DataKeys } from './data-keys';
import type { DataTables, IndexOf } from './data-tables';

export interface MerchantMenuProps {
  readonly config: RelayConfig;
  readonly keys: DataKeys;
  readonly tables: DataTables;
  /**
   * Handler module exporting `handler`.
   * @default lambdas/menu/handler.ts
   */
  readonly entry?: string;
}

const DEFAULT_ENTRY = fileURLToPath(new URL('../../lambdas/menu/handler.ts', import.meta.url));

/** The menu's stage; on API Gateway's own endpoint every page is under it. */
export const MENU_STAGE = 'menu';

/** Requests one IP may make in five minutes before WAF blocks it: well above a person, far below a script. */
const REQUESTS_PER_IP_PER_5_MINUTES = 300;

/**
 * The merchant menu: the stores' user pool (Cognito holds every password; the username is the
 * store ID; no self sign-up; strong password policy; optional TOTP; threat protection), the menu function, and a
 * regional REST API in front of it with AWS WAF (AWS's common rules, known bad inputs, and a
 * per-IP rate limit) and access logs kept for the policy's log retention.
 */
export class MerchantMenu extends Construct {
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  readonly api: RestApi;
  readonly anshinFunction: AnshinFunction;
  readonly function: NodejsFunction;
  readonly webAcl: CfnWebACL;
  /** The menu's base URL, for links in mails: `https://<api>.execute-api.<region>.amazonaws.com/menu`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: MerchantMenuProps) {
    super(scope, id);
    const { config, keys, tables } = props;
    const stack = Stack.of(this);

    this.userPool = new UserPool(this, 'Stores', {
      userPoolName: `${stack.stackName}-stores`,
      selfSignUpEnabled: false,
      signInAliases: { username: true },
      signInCaseSensitive: true,
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true, tempPasswordValidity: Duration.days(7) },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      // A store that lost its password gets a new invitation from an operator; the pool holds no address to recover by.
      accountRecovery: AccountRecovery.NONE,
      // Threat protection (Plus): Cognito blocks sign-ins it judges risky and passwords known to be leaked.
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.userPoolClient = this.userPool.addClient('Menu', {
      userPoolClientName: 'anshin-menu',
      authFlows: { userPassword: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      authSessionValidity: Duration.minutes(3),
    });

    this.anshinFunction = new AnshinFunction(this, 'Menu', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description: 'Serves the merchant menu: sign-in, login history, senders, aliases and messages of one store',
      serviceName: 'anshin-menu',
      logRetentionDays: config.retention.logDays,
      logKey: keys.dataKey,
      memorySize: DATA_LIFECYCLE_FUNCTION_DEFAULTS.memorySize,
      timeout: Duration.seconds(15),
    });
    this.function = this.anshinFunction.function;
    this.api = new RestApi(this, 'RestApi', {
      restApiName: `${stack.stackName}-menu`,
      description: 'anshin-relay merchant menu',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      cloudWatchRole: false,
      deployOptions: {
        stageName: MENU_STAGE,
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
        accessLogDestination: new LogGroupLogDestination(
          new LogGroup(this, 'AccessLogs', { encryptionKey: keys.dataKey, retention: logRetention(config.retention.logDays), removalPolicy: RemovalPolicy.RETAIN }),
        ),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
        loggingLevel: MethodLoggingLevel.OFF,
        tracingEnabled: true,
      },
    });
    const integration = new LambdaIntegration(this.function, { proxy: true });
    this.api.root.addMethod('ANY', integration);
    this.api.root.addResource('{proxy+}').addMethod('ANY', integration);
    // Built by hand: `api.url` refers to the stage, which depends on the function through its methods.
    this.url = `https://${this.api.restApiId}.execute-api.${HOME_REGION}.${stack.urlSuffix}/${MENU_STAGE}`;

    const { access } = config.retention.classes;
    this.anshinFunction
      // Customer aliases of the store (by-store index, then the items without their address) and disabling one.
      .bindTable(MENU_ENV.aliasesTable, tables.aliases, {
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
        indexes: ['byStore'] satisfies IndexOf<'aliases'>[],
      })
      // The store's partition: its senders (added, verified, removed) and its verification links.
      .bindTable(MENU_ENV.storesTable, tables.stores, { actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] })
      // Its transmission records, newest first, and relayed messages per alias.
      .bindTable(MENU_ENV.transmissionsTable, tables.transmissions, { actions: [], indexes: ['byStore', 'byAlias'] satisfies IndexOf<'transmissions'>[] })
      // Access records, sessions and lockout counters.
      .bindTable(MENU_ENV.accessTable, tables.access, { actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] })
      // A sender's address is encrypted when added and decrypted to show the store its own senders:
      // only ciphertexts bound to a sender, never a customer's address or a store's contact.
      .bindKey(MENU_ENV.addressKeyId, keys.addressKey, ['kms:Encrypt', 'kms:Decrypt'], storeAddressCondition(['sender']))
      .bindKey(MENU_ENV.hmacKeyId, keys.hmacKey, ['kms:GenerateMac'])
      .useKeyThrough(keys.dataKey, ['kms:Decrypt', 'kms:GenerateDataKey'], ['dynamodb'])
      .setEnvironment(MENU_ENV.userPoolId, this.userPool.userPoolId)
      .setEnvironment(MENU_ENV.userPoolClientId, this.userPoolClient.userPoolClientId)
      .setEnvironment(MENU_ENV.menuUrl, this.url)
      .setEnvironment(MENU_ENV.noticeSender, noticeSender(config))
      .setEnvironment(MENU_ENV.accessRetentionDays, String(access.retentionDays));
    grantNoticeSending(this.anshinFunction, config);

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: `${stack.stackName}-menu`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'anshin-menu', sampledRequestsEnabled: false },
      rules: [
        managedRule('AWSManagedRulesCommonRuleSet', 0),
        managedRule('AWSManagedRulesKnownBadInputsRuleSet', 1),
        {
          name: 'RateLimitPerIp',
          priority: 2,
          action: { block: {} },
          statement: { rateBasedStatement: { aggregateKeyType: 'IP', limit: REQUESTS_PER_IP_PER_5_MINUTES, evaluationWindowSec: 300 } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'anshin-menu-rate', sampledRequestsEnabled: false },
        },
      ],
    });
    new CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: stack.formatArn({ service: 'apigateway', account: '', resource: '/restapis', resourceName: `${this.api.restApiId}/stages/${this.api.deploymentStage.stageName}`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
      webAclArn: this.webAcl.attrArn,
    });
    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'Invoked synchronously by API Gateway only: a failure answers the browser with an error page; nothing is queued to lose.',
    });
    Validations.of(this.api).acknowledge(
      { id: 'AwsSolutions-APIG2', reason: 'The menu takes HTML form posts; the function validates every field, and every form carries a CSRF token it checks.' },
      { id: 'AwsSolutions-APIG4', reason: 'The sign-in pages are public by nature; every other page requires the session the function issues after Cognito authenticated the store.' },
      { id: 'AwsSolutions-COG4', reason: 'Browsers hold a session cookie, not Cognito tokens: the function authenticates stores against the user pool itself (USER_PASSWORD_AUTH) and checks the session on every request.' },
      { id: 'AwsSolutions-APIG6', reason: 'Execution logging would write form bodies (passwords, addresses) to CloudWatch; the access log records each request without bodies.' },
    );
    Validations.of(this.userPool).acknowledge(
      { id: 'AwsSolutions-COG2', reason: 'TOTP MFA is offered to every store (optional): stores are small merchants without a second device policy; the menu locks a store ID after five failures and an IP after twenty.' },
    );
  }
}

function managedRule(name: string, priority: number): CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: false },
  };
}

/** Invitations and verification links come from a no-reply address on the relay's domain. */
export function noticeSender(config: RelayConfig): string {
  return `no-reply@${config.relayDomain}`;
}

/** SES sending of the service's notices: from the no-reply address only, through the sender identity in the home region. */
export function grantNoticeSending(fn: AnshinFunction, config: RelayConfig): void {
  const identity = Stack.of(fn).formatArn({ service: 'ses', region: HOME_REGION, resource: 'identity', resourceName: config.senderIdentity, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['ses:SendEmail', 'ses:SendRawEmail'], resources: [identity], conditions: { StringEquals: { 'ses:FromAddress': noticeSender(config) } } }),
  );
}
