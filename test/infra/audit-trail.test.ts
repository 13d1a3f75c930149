import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnshinRelayStack } from '../../lib/anshin-relay-stack';
import { logicalId, relayTemplate } from './support';

/** "Who read personal data" has an answer: the audit trail as synthesised. */

let template: Template;
let stack: AnshinRelayStack;

beforeAll(() => {
  ({ template, stack } = relayTemplate());
});

describe('the audit trail', () => {
  it('records in ap-northeast-1 only, encrypted, with log-file validation', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsMultiRegionTrail: false,
      IncludeGlobalServiceEvents: false,
      EnableLogFileValidation: true,
      KMSKeyId: { 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] },
    });
  });

  it('records management events (KMS use of the keys among them) and the data events of every table and the raw mail', () => {
    const trail = Object.values(template.findResources('AWS::CloudTrail::Trail'))[0]?.Properties as {
      AdvancedEventSelectors: { FieldSelectors: { Field: string; Equals?: unknown[]; StartsWith?: unknown[] }[] }[];
    };
    const selectors = trail.AdvancedEventSelectors.map((selector) => Object.fromEntries(selector.FieldSelectors.map((field) => [field.Field, field.Equals ?? field.StartsWith])));
    expect(selectors).toContainEqual({ eventCategory: ['Management'] });
    const tables = selectors.find((selector) => JSON.stringify(selector['resources.type']) === '["AWS::DynamoDB::Table"]');
    const tableIds = Object.values(stack.tables.tables).map((table) => logicalId(stack, table));
    expect((tables?.['resources.ARN'] as { 'Fn::GetAtt': string[] }[]).map((arn) => arn['Fn::GetAtt'][0]).sort()).toEqual(tableIds.sort());
    const rawMail = selectors.find((selector) => JSON.stringify(selector['resources.type']) === '["AWS::S3::Object"]');
    expect(JSON.stringify(rawMail?.['resources.ARN'])).toContain(`"${logicalId(stack, stack.ingress.bucket)}","Arn"]},"/inbound/"`);
  });

  it('keeps its log files as long as the policy keeps evidence, and lets only this trail encrypt them', () => {
    const bucket = template.findResources('AWS::S3::Bucket')[logicalId(stack, stack.audit.bucket)]?.Properties as { LifecycleConfiguration: { Rules: { ExpirationInDays?: number }[] } };
    expect(bucket.LifecycleConfiguration.Rules[0]?.ExpirationInDays).toBe(stack.config.retention.classes.evidence.retentionDays);
    const key = template.findResources('AWS::KMS::Key')[logicalId(stack, stack.keys.dataKey)]?.Properties as { KeyPolicy: { Statement: { Sid?: string; Condition?: unknown }[] } };
    const statement = key.KeyPolicy.Statement.find((candidate) => candidate.Sid === 'AllowCloudTrailLogFilesOfAuditTrail');
    expect(JSON.stringify(statement?.Condition)).toContain(':trail/AnshinRelay-audit');
  });
});
