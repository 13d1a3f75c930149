import { fileURLToPath } from 'node:url';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,

  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Model,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IResource, JsonSchema } from 'aws-cdk-lib/aws-apigateway';
import { AnyPrincipal, ArnPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';

import { Construct } from 'constructs';
import * as z from 'zod';
import { ROUTES } from '../../lambdas/api/routes';
import type { Route } from '../../lambdas/api/routes';
import { API_ENV } from '../../lambdas/env';
import type { RelayConfig } from '../config';
import { DATA_LIFECYCLE_FUNCTION_DEFAULTS, logRetention } from '../secure-defaults';
import { AnshinFunction } from './anshin-function';
import { customerAddressCondition, storeAddressCondition } from './data-keys';
import type { DataKeys } from './data-keys';
import type { DataTables, IndexOf } from './data-tables';
import type { DestructionFunction } from './destruction-function';
import { grantNoticeSending, noticeSender } from './merchant-menu';
import type { MerchantMenu } from './merchant-menu';
import { STORE_KEY_ATTRIBUTES, STORE_LIMITS_ATTRIBUTE, STORE_PAUSE_ATTRIBUTES } from '../../lambdas/records/table-schema';

export interface MarketplaceApiProps {
  readonly config: RelayConfig;
  readonly keys: DataKeys;
  readonly tables: DataTables;
  readonly destruction: DestructionFunction;
  /** A new store gets its menu account here, invited by mail. */
  readonly menu: MerchantMenu;
  /**
   * Handler module exporting `handler`.
   * @default lambdas/api/handler.ts
   */
  readonly entry?: string;
}

const DEFAULT_ENTRY = fileURLToPath(new URL('../../lambdas/api/handler.ts', import.meta.url));

/** The stage the API is deployed as; the base URL ends in it. */
export const API_STAGE = 'v1';

/**
 * An API Gateway model of a body schema: JSON Schema draft 4, inlined (API Gateway models reach no
 * `$ref` but other models' URLs), from the same zod schema the handler validates with.
 */
function modelSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-4', metadata: z.registry(), reused: 'inline', unrepresentable: 'any' });
  return { schema: JsonSchemaVersion4, ...rest } as unknown as JsonSchema;
}

const JsonSchemaVersion4 = 'http://json-schema.org/draft-04/schema#';

/**
 * The marketplace API: an API Gateway REST API with a regional endpoint, every method authorised
 * with AWS_IAM (SigV4), a resource policy admitting only the principals the configuration names,
 * stage throttling, request validation against models made from the handler's own schemas, and
 * access logs in a KMS-encrypted log group kept for the policy's log retention. One function serves
 * every route; it alone may encrypt addresses and write stores and customer aliases.
 */
export class MarketplaceApi extends Construct {
  readonly api: RestApi;
  readonly anshinFunction: AnshinFunction;
  readonly function: NodejsFunction;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: MarketplaceApiProps) {
    super(scope, id);
    const { config, keys, tables } = props;
    const stack = Stack.of(this);

    this.anshinFunction = new AnshinFunction(this, 'Api', {
      entry: props.entry ?? DEFAULT_ENTRY,
      description: "Serves the marketplace API: stores, senders, aliases, termination and deletion requests",
      serviceName: 'anshin-api',
      logRetentionDays: config.retention.logDays,
      logKey: keys.dataKey,
      memorySize: DATA_LIFECYCLE_FUNCTION_DEFAULTS.memorySize,
      timeout: DATA_LIFECYCLE_FUNCTION_DEFAULTS.timeout,
    });
    this.function = this.anshinFunction.function;
    const { address, evidence } = config.retention.classes;
    this.anshinFunction
      // Aliases: read, issue (with the retired-name item, in one transaction), disable, count and
      // list a store's (a page of keys from the index, then the aliases in one batch), and the
      // Idempotency-Key items.
      .bindTable(API_ENV.aliasesTable, tables.aliases, {
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        indexes: ['byStoreExpiry'] satisfies IndexOf<'aliases'>[],
      })
      // Stores: the store and its senders are one partition; a replaced or removed sender is deleted;
      // the stores are listed through their index, then read in one batch.
      .bindTable(API_ENV.storesTable, tables.stores, {
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        indexes: ['byItem'] satisfies IndexOf<'stores'>[],
      })
      // A store's own rate limits and its pause, and nothing else of it, are changed in place.
      .updateOnly(tables.stores, STORE_KEY_ATTRIBUTES, [STORE_LIMITS_ATTRIBUTE, ...STORE_PAUSE_ATTRIBUTES])
      .bindTable(API_ENV.receiptsTable, tables.receipts, { actions: [] })
      .bindKey(API_ENV.addressKeyId, keys.addressKey, ['kms:Encrypt'], customerAddressCondition())
      .useKey(keys.addressKey, ['kms:Encrypt'], storeAddressCondition(['contact', 'sender']))
      // The invitation goes to the store's contact address: only contact ciphertexts decrypt here.
      .useKey(keys.addressKey, ['kms:Decrypt'], storeAddressCondition(['contact']))
      .bindKey(API_ENV.hmacKeyId, keys.hmacKey, ['kms:GenerateMac'])
      .useKeyThrough(keys.dataKey, ['kms:Decrypt', 'kms:GenerateDataKey'], ['dynamodb'])
      .setEnvironment(API_ENV.relayDomain, config.relayDomain)
      .setEnvironment(API_ENV.aliasValidityDays, String(address.retentionDays))
      .setEnvironment(API_ENV.aliasSupportDays, String(address.supportDays))
      .setEnvironment(API_ENV.evidenceRetentionDays, String(evidence.retentionDays))
      .setEnvironment(API_ENV.destructionFunctionName, props.destruction.function.functionName)
      .setEnvironment(API_ENV.userPoolId, props.menu.userPool.userPoolId)
      .setEnvironment(API_ENV.userPoolClientId, props.menu.userPoolClient.userPoolClientId)
      .setEnvironment(API_ENV.menuUrl, props.menu.url)
      .setEnvironment(API_ENV.noticeSender, noticeSender(config));
    // Menu accounts: created with a temporary password, or given a new one; nothing else of the pool.
    this.anshinFunction.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['cognito-idp:AdminCreateUser', 'cognito-idp:AdminSetUserPassword'], resources: [props.menu.userPool.userPoolArn] }),
    );
    grantNoticeSending(this.anshinFunction, config);
    // Deletion requests, and receipts read back by ID: only the `deletion-request` partition is written.
    this.anshinFunction.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [tables.receipts.tableArn] }));
    this.anshinFunction.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [tables.receipts.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['deletion-request'] } },
      }),
    );
    // The function itself, not its versions (grantInvoke adds `:*`): the API hands deletion requests and terminations to it.
    this.anshinFunction.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.destruction.function.functionArn] }));

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      encryptionKey: keys.dataKey,
      retention: logRetention(config.retention.logDays),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const admitted = config.api.allowedPrincipals.length > 0 ? config.api.allowedPrincipals : [`arn:aws:iam::${stack.account}:root`];
    this.api = new RestApi(this, 'RestApi', {
      restApiName: `${stack.stackName}-marketplace`,
      description: 'anshin-relay marketplace API',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      cloudWatchRole: false,
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit: config.api.throttle.rateLimit,
        throttlingBurstLimit: config.api.throttle.burstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        // The caller's IP and principal, the route and the outcome: never a body.
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        loggingLevel: MethodLoggingLevel.OFF,
        tracingEnabled: true,
      },
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({ effect: Effect.ALLOW, principals: admitted.map((arn) => new ArnPrincipal(arn)), actions: ['execute-api:Invoke'], resources: ['execute-api:/*'] }),
          new PolicyStatement({
            effect: Effect.DENY,
            principals: [new AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*'],
            conditions: { StringNotEquals: { 'aws:PrincipalArn': admitted } },
          }),
        ],
      }),
    });
    this.addRoutes();
    this.acknowledgeFindings();
  }

  private addRoutes(): void {
    const integration = new LambdaIntegration(this.function, { proxy: true });
    const validator = new RequestValidator(this, 'Validator', { restApi: this.api, validateRequestBody: true, validateRequestParameters: true });
    const resources = new Map<string, IResource>([['/', this.api.root]]);
    const resourceOf = (path: string): IResource => {
      const known = resources.get(path);
      if (known) return known;
      const parent = resourceOf(path.slice(0, path.lastIndexOf('/')) || '/');
      const created = parent.addResource(path.slice(path.lastIndexOf('/') + 1));
      resources.set(path, created);
      return created;
    };
    for (const route of ROUTES as readonly Route[]) {
      const body = route.body
        ? new Model(this, `${route.operationId}Body`, { restApi: this.api, contentType: 'application/json', modelName: `${route.operationId}Body`, schema: modelSchema(route.body) })
        : undefined;
      resourceOf(route.path).addMethod(route.method, integration, {
        authorizationType: AuthorizationType.IAM,
        operationName: route.operationId,
        requestValidator: validator,
        requestParameters: Object.fromEntries([
          ...Object.keys(route.pathParameters).map((name) => [`method.request.path.${name}`, true]),
          ...Object.keys(route.queryParameters ?? {}).map((name) => [`method.request.querystring.${name}`, false]),
          ...(route.idempotent ? [['method.request.header.Idempotency-Key', false]] : []),
        ]),
        ...(body ? { requestModels: { 'application/json': body } } : {}),
      });
    }
  }

  private acknowledgeFindings(): void {
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'Invoked synchronously by API Gateway only: a failure answers the caller with a 5xx problem, and the caller retries; nothing is queued to lose.',
    });
    Validations.of(this.api).acknowledge(
      { id: 'AwsSolutions-APIG2', reason: 'Request validation is on for every method: bodies against models made from the handler schemas, path parameters present.' },
      { id: 'AwsSolutions-COG4', reason: 'The marketplace API is for AWS principals of the marketplace: every method uses AWS_IAM (SigV4) and the resource policy admits only the configured principals.' },
      { id: 'AwsSolutions-APIG3', reason: 'Regional API called by named IAM principals of the marketplace only (resource policy); stage throttling bounds the request rate.' },
      { id: 'AwsSolutions-APIG6', reason: 'Execution logging would write request and response bodies (real addresses) to CloudWatch; the access log records each call without bodies.' },
    );
  }
}

