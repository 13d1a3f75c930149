import { App } from 'aws-cdk-lib';
import type { CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnshinRelayStack } from '../../lib/anshin-relay-stack';
import { HOME_REGION, resolveConfig } from '../../lib/config';
import { ResidencyError } from '../../lib/residency';
import { assemblyDir, logicalId, relayApp } from './support';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('stack region', () => {
  it.each(['us-east-1', 'ap-northeast-3', 'ap-southeast-1'])('fails synthesis for %s', (region) => {
    expect(() => relayApp({ anshin: { region } })).toThrow(ResidencyError);
    expect(() => relayApp({ anshin: { region } })).toThrow(/ap-northeast-1/);
  });

  it('fails synthesis for an environment-agnostic stack', () => {
    const app = new App({ outdir: assemblyDir() });

    expect(() => new AnshinRelayStack(app, 'Agnostic', { config: resolveConfig({}) })).toThrow(/no concrete region.*ap-northeast-1/);
  });

  it('fails synthesis when env.region and the configured region disagree', () => {
    const app = new App({ outdir: assemblyDir() });

    expect(() => new AnshinRelayStack(app, 'Mismatch', { config: resolveConfig({}), env: { region: 'eu-west-1' } })).toThrow(/ap-northeast-1/);
  });

  it('deploys to ap-northeast-1 even when the CLI profile points elsewhere', () => {
    vi.stubEnv('CDK_DEFAULT_REGION', 'us-west-2');
    vi.stubEnv('CDK_DEFAULT_ACCOUNT', '123456789012');

    const { stack } = relayApp();

    expect(stack.region).toBe(HOME_REGION);
    expect(stack.account).toBe('123456789012');
  });

  it('prefers the configured account over the CLI profile’s', () => {
    vi.stubEnv('CDK_DEFAULT_ACCOUNT', '123456789012');

    const { stack } = relayApp({ anshin: { account: '210987654321' } });

    expect(stack.account).toBe('210987654321');
  });
});

describe('roles bounded to the home region', () => {
  it('gives every role of the stack, custom-resource roles included, the boundary that denies any other region', () => {
    const { stack } = relayApp();
    const template = Template.fromStack(stack);
    const boundary = stack.resolve(stack.regionBoundary.managedPolicyArn) as unknown;
    const roles = Object.entries(template.findResources('AWS::IAM::Role'));

    // Six functions, the retention schedule and the bucket-notification custom resource.
    expect(roles.length).toBeGreaterThanOrEqual(8);
    for (const [id, role] of roles) expect({ id, boundary: role.Properties.PermissionsBoundary as unknown }).toEqual({ id, boundary });
    const statements = (template.findResources('AWS::IAM::ManagedPolicy')[stack.getLogicalId(stack.regionBoundary.node.defaultChild as CfnResource)]?.Properties as {
      PolicyDocument: { Statement: unknown[] };
    }).PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': 'ap-northeast-1' } } }),
    );
  });
});

describe('topics that carry user data', () => {
  it('accept only SQS subscriptions of this account’s queues in the home region, where they carry mail or feedback', () => {
    const { stack } = relayApp();
    const template = Template.fromStack(stack);
    // The alarm topic carries alarm texts only (test/infra/operations.test.ts).
    const alarmTopic = JSON.stringify({ Ref: logicalId(stack, stack.operations.topic) });
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')).filter((policy) => !JSON.stringify(policy.Properties.Topics).includes(alarmTopic));

    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      const statements = (policy.Properties as { PolicyDocument: { Statement: { Sid?: string; Effect: string; Condition?: unknown }[] } }).PolicyDocument.Statement;
      expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 'sns:Subscribe', Condition: { StringNotEquals: { 'sns:Protocol': 'sqs' } } }));
      const endpoint = statements.find((statement) => statement.Sid === 'DenySubscriptionsOfOtherQueues');
      expect(JSON.stringify(stack.resolve(endpoint?.Condition))).toContain(':sqs:ap-northeast-1:');
    }
  });
});
