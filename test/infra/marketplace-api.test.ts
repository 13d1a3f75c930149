import { readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/api/routes';
import type { Route } from '../../lambdas/api/routes';
import { actionsOf, logicalId, relayTemplate, statementsOfRole } from './support';
import type { AnshinRelayStack } from '../../lib/anshin-relay-stack';

/** The marketplace API as synthesised: regional, IAM on every method, admitted principals only, throttled, logged, validated. */

const MARKETPLACE = 'arn:aws:iam::210987654321:role/marketplace-orders';
let template: Template;
let stack: AnshinRelayStack;

beforeAll(() => {
  ({ template, stack } = relayTemplate({ anshin: { api: { allowedPrincipals: [MARKETPLACE], throttle: { rateLimit: 50, burstLimit: 80 } } } }));
});

/** The marketplace API's own resource of a type (the menu has an API of its own). */
function ofMarketplaceApi(type: string): { logicalId: string; properties: Record<string, unknown> } {
  const api = logicalId(stack, stack.api.api);
  const entries = Object.entries(template.findResources(type)).filter(([id, resource]) => id === api || JSON.stringify(resource.Properties).includes(`{"Ref":"${api}"}`));
  if (entries.length !== 1) throw new Error(`expected exactly one ${type} of the marketplace API, found ${entries.length}`);
  const [id, resource] = entries[0] as [string, { Properties: Record<string, unknown> }];
  return { logicalId: id, properties: resource.Properties };
}

/** `/stores/{storeId}` of every API Gateway method, from the resources' path parts. */
function methodsInTemplate(): string[] {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const api = logicalId(stack, stack.api.api);
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    if (!id) return '';
    const resource = resources[id];
    if (!resource) return '';
    return `${pathOf(resource.Properties.ParentId)}/${String(resource.Properties.PathPart)}`;
  };
  const ofApi = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((method) => (method.Properties.RestApiId as { Ref?: string }).Ref === api);
  return ofApi.map((method) => {
    const parent = method.Properties.ResourceId as { 'Fn::GetAtt'?: string[] };
    const path = parent['Fn::GetAtt']?.[0] === api ? '/' : pathOf(method.Properties.ResourceId);
    return `${String(method.Properties.HttpMethod)} ${path}`;
  });
}

describe('the marketplace API', () => {
  it('has exactly the routes of the OpenAPI document, each authorised with AWS_IAM and validated', () => {
    const document = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(methodsInTemplate().sort()).toEqual(documented.sort());
    expect(documented.sort()).toEqual((ROUTES as readonly Route[]).map((route) => `${route.method} ${route.path}`).sort());
    const api = logicalId(stack, stack.api.api);
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((method) => (method.Properties.RestApiId as { Ref?: string }).Ref === api);
    for (const method of methods) expect(method.Properties).toMatchObject({ AuthorizationType: 'AWS_IAM', RequestValidatorId: expect.anything() });
  });

  it('checks each body against a model made from the handler schema', () => {
    const models = Object.values(template.findResources('AWS::ApiGateway::Model')).map((model) => model.Properties.Name as string);
    expect(models.sort()).toEqual((ROUTES as readonly Route[]).filter((route) => route.body).map((route) => `${route.operationId}Body`).sort());
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'issueAliasBody',
      Schema: Match.objectLike({ required: ['storeId', 'orderId', 'customerEmail'], additionalProperties: false }),
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
  });

  it('is regional, behind no CloudFront, and admits only the configured principals', () => {
    const { properties } = ofMarketplaceApi('AWS::ApiGateway::RestApi');
    expect(properties.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
    expect(template.findResources('AWS::CloudFront::Distribution')).toEqual({});
    const statements = (properties.Policy as { Statement: { Effect: string; Principal: unknown; Condition?: unknown }[] }).Statement;
    expect(statements).toEqual([
      expect.objectContaining({ Effect: 'Allow', Principal: { AWS: MARKETPLACE }, Action: 'execute-api:Invoke' }),
      expect.objectContaining({ Effect: 'Deny', Principal: { AWS: '*' }, Condition: { StringNotEquals: { 'aws:PrincipalArn': [MARKETPLACE] } } }),
    ]);
  });

  it('throttles the stage and writes access logs to an encrypted log group kept for the policy', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 80 })]),
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    const stage = ofMarketplaceApi('AWS::ApiGateway::Stage').properties as { AccessLogSetting: { DestinationArn: unknown; Format: string } };
    const logGroup = logicalId(stack, stack.api.accessLogs);
    expect(JSON.stringify(stage.AccessLogSetting.DestinationArn)).toContain(`{"Ref":"${logGroup}"}`);
    // Who called, from where, what and how it ended: never a body.
    expect(Object.keys(JSON.parse(stage.AccessLogSetting.Format) as object)).toEqual(expect.arrayContaining(['ip', 'caller', 'resourcePath', 'status']));
    expect(template.findResources('AWS::Logs::LogGroup')[logGroup]?.Properties).toMatchObject({ KmsKeyId: expect.anything(), RetentionInDays: stack.config.retention.logDays });
  });

  it('lets only the API function encrypt addresses (the menu only senders), and it may decrypt only a store contact', () => {
    const role = logicalId(stack, stack.api.anshinFunction.role);
    const statements = statementsOfRole(template, role);
    expect(actionsOf(statements)).toContain('kms:Encrypt');
    const decrypts = statements.filter((statement) => actionsOf([statement]).includes('kms:Decrypt'));
    for (const statement of decrypts) expect(JSON.stringify(statement.Condition)).toMatch(/kms:ViaService|"kms:EncryptionContext:purpose":\["contact"\]/);
    const menuEncrypts = statementsOfRole(template, logicalId(stack, stack.menu.anshinFunction.role)).filter((statement) => actionsOf([statement]).includes('kms:Encrypt'));
    expect(menuEncrypts.map((statement) => JSON.stringify(statement.Condition))).toEqual([expect.stringContaining('"kms:EncryptionContext:purpose":["sender"]')]);
    for (const other of [stack.relay.anshinFunction.role, stack.destruction.anshinFunction.role, stack.retention.anshinFunction.role]) {
      expect(actionsOf(statementsOfRole(template, logicalId(stack, other)))).not.toContain('kms:Encrypt');
    }
  });

  it('publishes its base URL for the CLI', () => {
    template.hasOutput('ApiUrl', { Value: Match.anyValue() });
  });
});
