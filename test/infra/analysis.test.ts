import { describe, expect, it } from 'vitest';
import { ANALYSIS_COLUMNS } from '../../lambdas/analysis/columns';
import { STACK_NAME } from '../../lib/relay-app';
import { ATHENA_RESULT_DAYS } from '../../lib/secure-defaults';
import { CDK_JSON_POLICY, logicalId, onlyResource, relayTemplate } from './support';
import type { PolicyStatementJson } from './support';

const synth = (() => {
  let cached: ReturnType<typeof relayTemplate> | undefined;
  return () => (cached ??= relayTemplate());
})();

type Resource = { Type: string; Properties: Record<string, unknown> };

function resourceOf(template: ReturnType<typeof relayTemplate>['template'], id: string): Resource {
  const resource = (template.toJSON().Resources as Record<string, Resource>)[id];
  if (!resource) throw new Error(`no resource ${id}`);
  return resource;
}

const bucketRef = (stack: ReturnType<typeof relayTemplate>['stack']): unknown => ({ Ref: logicalId(stack, stack.analysis.bucket) });

describe('the analysis bucket', () => {
  it('is encrypted with the data key, private, TLS-only and unversioned', () => {
    const { stack, template } = synth();
    const bucket = resourceOf(template, logicalId(stack, stack.analysis.bucket)).Properties;

    expect(bucket.BucketEncryption).toMatchObject({
      ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] } } }],
    });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.VersioningConfiguration).toBeUndefined();
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify(bucketRef(stack)));
    const statements = (policy?.Properties.PolicyDocument.Statement ?? []) as (PolicyStatementJson & { Condition?: Record<string, Record<string, unknown>> })[];
    expect(statements.some((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false')).toBe(true);
  });

  it.each([
    ['cdk.json', {}, CDK_JSON_POLICY.classes.analysis.retentionDays],
    ['a shorter analysis period', { classes: { analysis: { retentionDays: 30 } } }, 30],
    ['an analysis period shorter than the query results’', { classes: { analysis: { retentionDays: 3 } } }, 3],
  ])('expires every object at the analysis retention, and query results sooner (%s)', (_name, retention, days) => {
    const { stack, template } = relayTemplate({ anshin: { retention } });
    const rules = (resourceOf(template, logicalId(stack, stack.analysis.bucket)).Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;

    expect(rules).toEqual([
      { Id: 'expire-analysis', Status: 'Enabled', ExpirationInDays: days, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
      { Id: 'expire-query-results', Status: 'Enabled', Prefix: 'query-results/', ExpirationInDays: Math.min(ATHENA_RESULT_DAYS, days) },
    ]);
    // Only days the bucket can still hold are projected.
    const tables = Object.values(template.findResources('AWS::Glue::Table'));
    for (const table of tables) expect(table.Properties.TableInput.Parameters['projection.day.range']).toBe(`NOW-${days}DAYS,NOW`);
  });
});

describe('the Glue tables', () => {
  it('describe the documented columns as Parquet, partitioned by day with projection', () => {
    const { stack, template } = synth();
    const input = resourceOf(template, stack.resolve(stack.analysis.recordsTable.logicalId) as string).Properties.TableInput as Record<string, Record<string, unknown>>;

    expect(input.Name).toBe('records');
    expect(input.StorageDescriptor?.Columns).toEqual(ANALYSIS_COLUMNS.map((column) => ({ Name: column.name, Type: column.type, Comment: column.comment })));
    expect(input.StorageDescriptor?.SerdeInfo).toEqual({ SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' });
    expect(input.PartitionKeys).toEqual([{ Name: 'day', Type: 'date', Comment: expect.any(String) }]);
    expect(input.Parameters).toMatchObject({
      classification: 'parquet',
      'projection.enabled': 'true',
      'projection.day.type': 'date',
      'projection.day.format': 'yyyy-MM-dd',
      'storage.location.template': { 'Fn::Join': ['', ['s3://', bucketRef(stack), '/records/day=${day}/']] },
    });
  });

  it('keep investigations apart, by an investigation partition every query must name', () => {
    const { stack, template } = synth();
    const input = resourceOf(template, stack.resolve(stack.analysis.investigationsTable.logicalId) as string).Properties.TableInput as Record<string, Record<string, unknown>>;

    expect(input.Name).toBe('investigation_records');
    expect((input.PartitionKeys as unknown as { Name: string }[]).map((key) => key.Name)).toEqual(['investigation', 'day']);
    expect(input.Parameters).toMatchObject({
      'projection.investigation.type': 'injected',
      'storage.location.template': { 'Fn::Join': ['', ['s3://', bucketRef(stack), '/investigations/investigation=${investigation}/day=${day}/']] },
    });
  });
});

describe('the Athena workgroup', () => {
  it('enforces its settings: results encrypted with the data key, in the analysis bucket, a scan limit', () => {
    const { stack, template } = synth();
    const workGroup = onlyResource(template, 'AWS::Athena::WorkGroup').properties;

    expect(workGroup).toMatchObject({
      Name: `${STACK_NAME}-analysis`,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: expect.any(Number),
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', bucketRef(stack), '/query-results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] } },
        },
      },
    });
  });

  it('gives analysts a policy for that workgroup, the analysis tables, the export objects and nothing else', () => {
    const { stack, template } = synth();
    const policy = resourceOf(template, logicalId(stack, stack.analysis.analystPolicy)).Properties as { PolicyDocument: { Statement: PolicyStatementJson[] } };
    const text = JSON.stringify(policy.PolicyDocument);

    const actions = policy.PolicyDocument.Statement.flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    expect(actions.filter((action) => /^(dynamodb|lambda|sqs|ses|cognito)/.test(action))).toEqual([]);
    // No object of the manifests (who asked for an investigation) and none of the raw-mail bucket.
    expect(text).not.toContain('manifests/');
    expect(text).not.toContain(logicalId(stack, stack.ingress.bucket));
    expect(text).toContain('"kms:ViaService":"s3.ap-northeast-1.amazonaws.com"');
  });
});
