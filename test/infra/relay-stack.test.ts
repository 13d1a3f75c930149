import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RELAY_ENV } from '../../lambdas/env';
import { TABLES } from '../../lambdas/records/table-schema';
import type { TableKey, TableSchema } from '../../lambdas/records/table-schema';
import { ConfigError, DEFAULT_CONFIG } from '../../lib/config';
import { CONFIG_CONTEXT_KEY, STACK_NAME, addRelayStack } from '../../lib/relay-app';
import { QUEUE_DEFAULTS, RAW_MAIL_PREFIX, RELAY_FUNCTION_DEFAULTS } from '../../lib/secure-defaults';
import { actionsOf, assemblyDir, CDK_JSON_CONFIG, CDK_JSON_POLICY, logicalId, onlyResource, relayApp, relayTemplate, statementsOfRole } from './support';
import type { PolicyStatementJson } from './support';

const DAY = 24 * 60 * 60;

/** Properties of a resource by logical ID. */
function relayFunction(template: ReturnType<typeof relayTemplate>['template'], id: string): Record<string, unknown> {
  return template.toJSON().Resources[id].Properties as Record<string, unknown>;
}

/** The relay role's policy statements, with the logical IDs they refer to. */
function relayStatements() {
  const { stack, template } = relayTemplate({ anshin: { senderIdentity: 'mail.example.jp' } });
  const ids = {
    aliases: logicalId(stack, stack.tables.aliases),
    stores: logicalId(stack, stack.tables.stores),
    transmissions: logicalId(stack, stack.tables.transmissions),
    dataKey: logicalId(stack, stack.keys.dataKey),
    addressKey: logicalId(stack, stack.keys.addressKey),
    hmacKey: logicalId(stack, stack.keys.hmacKey),
    bucket: logicalId(stack, stack.ingress.bucket),
    queue: logicalId(stack, stack.ingress.queue),
    deadLetterQueue: logicalId(stack, stack.ingress.deadLetterQueue),
  };
  return { statements: statementsOfRole(template, logicalId(stack, stack.relay.anshinFunction.role)), ids };
}

/** Actions allowed on a resource given as `Fn::GetAtt [id, Arn]`. */
function actionsOn(statements: readonly PolicyStatementJson[], id: string): string[] {
  const arn = JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] });
  return actionsOf(statements.filter((statement) => [statement.Resource].flat().some((resource) => JSON.stringify(resource) === arn))).sort();
}

describe('DataKeys', () => {
  it('creates a rotated, retained symmetric data key', () => {
    const { stack, template } = relayTemplate();

    const key = template.toJSON().Resources[logicalId(stack, stack.keys.dataKey)];

    expect(key).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(key.Properties.KeySpec).toBeUndefined();
    expect(key.Properties.MultiRegion).toBeUndefined();
  });

  it('creates a retained HMAC_256 key for address hashes', () => {
    const { stack, template } = relayTemplate();

    const hmac = template.toJSON().Resources[logicalId(stack, stack.keys.hmacKey)];

    expect(hmac).toMatchObject({
      Type: 'AWS::KMS::Key',
      Properties: { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' },
      DeletionPolicy: 'Retain',
    });
    expect(hmac.Properties.EnableKeyRotation).not.toBe(true);
  });

  it('lets CloudWatch Logs use the data key only for log groups of this account and region', () => {
    const { stack, template } = relayTemplate();

    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'logs.ap-northeast-1.amazonaws.com' },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
        ]),
      },
    });
    expect(JSON.stringify(template.toJSON().Resources[logicalId(stack, stack.keys.hmacKey)].Properties.KeyPolicy)).not.toContain('logs.');
  });

  it('lets SES use the data key only through S3 and SNS in the home region, for this account', () => {
    const { template } = relayTemplate();

    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowSesThroughS3AndSns',
            Effect: 'Allow',
            Principal: { Service: 'ses.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: '*',
            Condition: {
              StringEquals: {
                'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                'kms:ViaService': ['s3.ap-northeast-1.amazonaws.com', 'sns.ap-northeast-1.amazonaws.com'],
              },
            },
          },
        ]),
      },
    });
  });
});

describe('DataTables', () => {
  const tables = Object.entries(TABLES) as [TableKey, TableSchema][];

  it('builds exactly one table per entry of the shared schema', () => {
    const { template } = relayTemplate();

    template.resourceCountIs('AWS::DynamoDB::Table', tables.length);
  });

  it.each(tables)('builds the %s table from the schema', (key, schema) => {
    // Prepare
    const { stack, template } = relayTemplate();
    const keySchema = [
      { AttributeName: schema.partitionKey, KeyType: 'HASH' },
      ...(schema.sortKey === undefined ? [] : [{ AttributeName: schema.sortKey, KeyType: 'RANGE' }]),
    ];

    // Act
    const table = template.toJSON().Resources[logicalId(stack, stack.tables.tables[key])];

    // Assess
    expect(table.Properties.KeySchema).toEqual(keySchema);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: schema.ttlAttribute, Enabled: true });
    expect(table.Properties.GlobalSecondaryIndexes ?? []).toEqual(
      schema.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          ...(index.sortKey === undefined ? [] : [{ AttributeName: index.sortKey, KeyType: 'RANGE' }]),
        ],
        Projection: { ProjectionType: index.projection === 'keys' ? 'KEYS_ONLY' : 'ALL' },
      })),
    );
    const numberKeys = new Set(schema.indexes.flatMap((index) => (index.sortKeyType === 'number' && index.sortKey !== undefined ? [index.sortKey] : [])));
    for (const definition of table.Properties.AttributeDefinitions) {
      expect(definition.AttributeType, definition.AttributeName).toBe(numberKeys.has(definition.AttributeName) ? 'N' : 'S');
    }
  });

  it.each(tables)('protects the %s table: CMK encryption, PITR, on-demand, deletion protection, retained', (key) => {
    const { stack, template } = relayTemplate();

    const table = template.toJSON().Resources[logicalId(stack, stack.tables.tables[key])];

    expect(table).toMatchObject({
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: CDK_JSON_POLICY.backupDays },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] },
        },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('MailIngress bucket', () => {
  it('encrypts raw mail by default with the data key (SSE-KMS, bucket key) and blocks SSE-C', () => {
    const { stack, template } = relayTemplate();

    const bucket = template.toJSON().Resources[logicalId(stack, stack.ingress.bucket)];

    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      {
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] } },
        BucketKeyEnabled: true,
        BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] },
      },
    ]);
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  it('blocks all public access, is versioned and logs access to the log bucket', () => {
    const { stack, template } = relayTemplate();

    const bucket = template.toJSON().Resources[logicalId(stack, stack.ingress.bucket)];

    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(stack, stack.ingress.accessLogBucket) } },
    });
  });

  it('denies every request not made over TLS', () => {
    const { stack, template } = relayTemplate();

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack, stack.ingress.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('lets SES write below inbound/ for this account, and only from this stack’s receipt rule', () => {
    const { stack, template } = relayTemplate();

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack, stack.ingress.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenySesWritesFromOtherReceiptRules',
            Effect: 'Deny',
            Principal: { Service: 'ses.amazonaws.com' },
            Condition: {
              ArnNotEquals: {
                'aws:SourceArn': {
                  'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':receipt-rule-set/AnshinRelay-inbound:receipt-rule/relay-domain$')])],
                },
              },
            },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'ses.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });

  it.each([
    ['the cdk.json default', {}, CDK_JSON_POLICY.classes.content.retentionDays],
    ['a configured period', { retention: { classes: { content: { retentionDays: 3 } } } }, 3],
  ])('expires raw mail after %s and its old versions a day later', (_label, anshin, days) => {
    const { stack, template } = relayTemplate({ anshin });

    const bucket = template.toJSON().Resources[logicalId(stack, stack.ingress.bucket)];

    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Prefix: RAW_MAIL_PREFIX,
          Status: 'Enabled',
          ExpirationInDays: days,
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        }),
        expect.objectContaining({ Prefix: RAW_MAIL_PREFIX, Status: 'Enabled', ExpiredObjectDeleteMarker: true }),
      ]),
    );
  });

  it('keeps S3 access logs SSE-S3 encrypted (the only encryption log delivery accepts) for logDays', () => {
    const { stack, template } = relayTemplate({ anshin: { retention: { logDays: 90 } } });

    const logs = template.toJSON().Resources[logicalId(stack, stack.ingress.accessLogBucket)];

    expect(logs.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 90 })] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
  });
});

describe('MailIngress receipt rule', () => {
  it('receives mail for the relay domain only, with scanning and TLS required', () => {
    const { template } = relayTemplate({ anshin: { relayDomain: 'mail.shop.example.jp' } });

    const rule = onlyResource(template, 'AWS::SES::ReceiptRule').properties.Rule as Record<string, unknown>;

    expect(rule).toMatchObject({ Name: 'relay-domain', Enabled: true, Recipients: ['mail.shop.example.jp'], ScanEnabled: true, TlsPolicy: 'Require' });
  });

  it('stores the raw mail below inbound/ without client-side encryption, notifies the topic, then stops', () => {
    const { stack, template } = relayTemplate();

    const actions = (onlyResource(template, 'AWS::SES::ReceiptRule').properties.Rule as { Actions: Record<string, Record<string, unknown>>[] }).Actions;

    expect(actions).toHaveLength(2);
    expect(actions[0]?.S3Action).toEqual({
      BucketName: { Ref: logicalId(stack, stack.ingress.bucket) },
      ObjectKeyPrefix: RAW_MAIL_PREFIX,
      TopicArn: { Ref: logicalId(stack, stack.ingress.topic) },
    });
    expect(actions[0]?.S3Action).not.toHaveProperty('KmsKeyArn');
    expect(actions[1]).toEqual({ StopAction: { Scope: 'RuleSet' } });
  });

  it('is created after the policies SES needs, because SES tests its access when the rule is created', () => {
    const { stack, template } = relayTemplate();

    const rule = template.toJSON().Resources[onlyResource(template, 'AWS::SES::ReceiptRule').logicalId];

    expect(rule.DependsOn).toEqual(
      expect.arrayContaining([
        logicalId(stack, stack.ingress.topic),
        logicalId(stack, stack.keys.dataKey),
        expect.stringMatching(/^IngressInboundPolicy/),
        expect.stringMatching(/^IngressReceiptsPolicy/),
      ]),
    );
  });

  it('activates the rule set through a custom resource, and deactivates it on deletion', () => {
    const { template } = relayTemplate({ anshin: { activateReceiptRuleSet: true } });

    const activation = onlyResource(template, 'Custom::AWS').properties;

    expect(JSON.parse(activation.Create as string)).toEqual({
      service: 'SES',
      action: 'SetActiveReceiptRuleSet',
      parameters: { RuleSetName: 'AnshinRelay-inbound' },
      physicalResourceId: { id: 'AnshinRelay-inbound' },
    });
    expect(JSON.parse(activation.Update as string)).toEqual(JSON.parse(activation.Create as string));
    expect(JSON.parse(activation.Delete as string)).toEqual({ service: 'SES', action: 'SetActiveReceiptRuleSet', parameters: {} });
    expect(activation.InstallLatestAwsSdk).toBe(false);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'ses:SetActiveReceiptRuleSet', Resource: '*' }] },
    });
  });

  it('leaves the rule set inactive when activation is turned off', () => {
    const { template } = relayTemplate({ anshin: { activateReceiptRuleSet: false } });

    template.resourceCountIs('Custom::AWS', 0);
    template.resourceCountIs('AWS::SES::ReceiptRuleSet', 1);
    template.resourcePropertiesCountIs('AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'ses:SetActiveReceiptRuleSet' })]) } }, 0);
  });
});

describe('MailIngress topic and queues', () => {
  it('encrypts the topic with the data key and only accepts TLS', () => {
    const { stack, template } = relayTemplate();

    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('lets SES publish to the topic only for this account’s receipt rule', () => {
    const { template } = relayTemplate();

    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'ses.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: {
                'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                'aws:SourceArn': { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('receipt-rule-set/AnshinRelay-inbound:receipt-rule/relay-domain$')])] },
              },
            },
          }),
        ]),
      },
    });
  });

  it('encrypts both queues (and every other) with the data key and denies non-TLS access to each', () => {
    const { stack, template } = relayTemplate();
    const keyArn = { 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] };

    const queues = template.findResources('AWS::SQS::Queue');
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));

    expect(Object.keys(queues)).toEqual(expect.arrayContaining([logicalId(stack, stack.ingress.queue), logicalId(stack, stack.ingress.deadLetterQueue)]));
    for (const [id, queue] of Object.entries(queues)) {
      expect(queue.Properties.KmsMasterKeyId).toEqual(keyArn);
      const policy = policies.find((candidate) => JSON.stringify(candidate.Properties.Queues).includes(`"${id}"`));
      expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('moves a notification to the dead-letter queue after five receives', () => {
    const { stack, template } = relayTemplate();

    const queue = template.toJSON().Resources[logicalId(stack, stack.ingress.queue)];

    expect(queue.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, stack.ingress.deadLetterQueue), 'Arn'] },
      maxReceiveCount: QUEUE_DEFAULTS.maxReceiveCount,
    });
  });

  it('hides a received batch for at least six times the relay timeout', () => {
    const { stack, template } = relayTemplate();

    const queue = template.toJSON().Resources[logicalId(stack, stack.ingress.queue)];

    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * RELAY_FUNCTION_DEFAULTS.timeout.toSeconds());
  });

  it.each([
    [3, 3],
    [30, 14],
  ])('keeps notifications no longer than raw mail (content retention %i -> %i days), as SQS allows', (retentionDays, days) => {
    const { stack, template } = relayTemplate({ anshin: { retention: { classes: { content: { retentionDays } } } } });
    const resources = template.toJSON().Resources;

    for (const queue of [stack.ingress.queue, stack.ingress.deadLetterQueue]) {
      expect(resources[logicalId(stack, queue)].Properties.MessageRetentionPeriod).toBe(days * DAY);
    }
  });

  it('delivers raw SES notifications from the topic to the relay queue, with the dead-letter queue for failed deliveries', () => {
    const { stack, template } = relayTemplate();

    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      TopicArn: { Ref: logicalId(stack, stack.ingress.topic) },
      Endpoint: { 'Fn::GetAtt': [logicalId(stack, stack.ingress.queue), 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, stack.ingress.deadLetterQueue), 'Arn'] } },
    });
  });
});

describe('RelayFunction runtime', () => {
  it('runs the relay handler on Node.js 24, ARM64, with tracing, 512 MB and a 60 s timeout', () => {
    const { stack, template } = relayTemplate();

    const fn = relayFunction(template, logicalId(stack, stack.relay.function));

    expect(fn).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: RELAY_FUNCTION_DEFAULTS.memorySize,
      Timeout: RELAY_FUNCTION_DEFAULTS.timeout.toSeconds(),
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('logs to its own KMS-encrypted log group kept for logDays', () => {
    const { stack, template } = relayTemplate({ anshin: { retention: { logDays: 14 } } });

    const fn = relayFunction(template, logicalId(stack, stack.relay.function));
    const logGroup = template.toJSON().Resources[logicalId(stack, stack.relay.anshinFunction.logGroup)];

    expect(fn.LoggingConfig).toEqual({ LogGroup: { Ref: logicalId(stack, stack.relay.anshinFunction.logGroup) } });
    expect(logGroup.Properties).toEqual({
      RetentionInDays: 14,
      KmsKeyId: { 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] },
    });
  });

  it('sets every relay environment variable, from the configuration and the stack’s resources', () => {
    const { stack, template } = relayTemplate({ anshin: { relayDomain: 'relay.shop.example.jp', retention: { classes: { transmission: { retentionDays: 45 } } } } });

    const variables = (relayFunction(template, logicalId(stack, stack.relay.function)).Environment as { Variables: Record<string, unknown> }).Variables;

    expect(Object.keys(variables)).toEqual(expect.arrayContaining(Object.values(RELAY_ENV)));
    expect(variables).toMatchObject({
      [RELAY_ENV.aliasesTable]: { Ref: logicalId(stack, stack.tables.aliases) },
      [RELAY_ENV.storesTable]: { Ref: logicalId(stack, stack.tables.stores) },
      [RELAY_ENV.transmissionsTable]: { Ref: logicalId(stack, stack.tables.transmissions) },
      [RELAY_ENV.addressKeyId]: { 'Fn::GetAtt': [logicalId(stack, stack.keys.addressKey), 'Arn'] },
      [RELAY_ENV.hmacKeyId]: { 'Fn::GetAtt': [logicalId(stack, stack.keys.hmacKey), 'Arn'] },
      [RELAY_ENV.relayDomain]: 'relay.shop.example.jp',
      [RELAY_ENV.transmissionRetentionDays]: '45',
      [RELAY_ENV.rateLimits]: JSON.stringify(DEFAULT_CONFIG.rateLimits),
      POWERTOOLS_SERVICE_NAME: 'anshin-relay',
      NODE_OPTIONS: '--enable-source-maps',
    });
    // The List-Unsubscribe of store mail points at the menu's own API.
    expect(JSON.stringify(variables[RELAY_ENV.menuUrl])).toContain(logicalId(stack, stack.menu.api));
  });

  it.each([
    [{}, 'drop'],
    [{ spamVerdictAction: 'drop' }, 'drop'],
    [{ spamVerdictAction: 'quarantine' }, 'quarantine'],
  ])('passes the spam verdict action of %j to the relay as %s', (anshin, action) => {
    const { stack, template } = relayTemplate({ anshin });
    const variables = (relayFunction(template, logicalId(stack, stack.relay.function)).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables[RELAY_ENV.spamVerdictAction]).toBe(action);
  });

  it('defaults to dropping spam in lib/config.ts and cdk.json alike', () => {
    expect(DEFAULT_CONFIG.spamVerdictAction).toBe('drop');
    expect(CDK_JSON_CONFIG.spamVerdictAction).toBe(DEFAULT_CONFIG.spamVerdictAction);
  });

  it.each(['reject', 'Quarantine', '', 1, true])('fails synthesis with the field name when spamVerdictAction is %j', (value) => {
    expect(() => relayApp({ anshin: { spamVerdictAction: value } })).toThrow(ConfigError);
    expect(() => relayApp({ anshin: { spamVerdictAction: value } })).toThrow(/anshin\.spamVerdictAction must be one of drop, quarantine/);
  });

  it('names the relay queue (for backoff) and its dead-letter queue by URL', () => {
    const { stack, template } = relayTemplate();

    const variables = (relayFunction(template, logicalId(stack, stack.relay.function)).Environment as { Variables: Record<string, unknown> }).Variables;

    expect(variables[RELAY_ENV.relayQueueUrl]).toEqual({ Ref: logicalId(stack, stack.ingress.queue) });
    expect(variables[RELAY_ENV.deadLetterQueueUrl]).toEqual({ Ref: logicalId(stack, stack.ingress.deadLetterQueue) });
  });

  it('reads the relay queue in batches, reporting item failures, with the configured concurrency bound', () => {
    const { stack, template } = relayTemplate({ anshin: { relayMaxConcurrency: 7 } });

    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack, stack.relay.function) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, stack.ingress.queue), 'Arn'] },
      BatchSize: RELAY_FUNCTION_DEFAULTS.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 7 },
    });
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: logicalId(stack, stack.relay.function) } } }));
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties.DestinationConfig).toBeUndefined();
  });

  it('fails synthesis with the field name when the concurrency bound is below what SQS event sources accept', () => {
    expect(() => relayApp({ anshin: { relayMaxConcurrency: 1 } })).toThrow(ConfigError);
    expect(() => relayApp({ anshin: { relayMaxConcurrency: 1 } })).toThrow(/anshin\.relayMaxConcurrency/);
  });
});

describe('RelayFunction permissions', () => {
  it('may delete nothing, encrypt nothing, and uses no wildcard action', () => {
    const { statements } = relayStatements();

    const actions = actionsOf(statements);

    expect(actions).not.toContain('dynamodb:DeleteItem');
    expect(actions).not.toContain('dynamodb:BatchWriteItem');
    expect(actions).not.toContain('kms:Encrypt');
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    expect(actions.filter((action) => /Delete|Encrypt|Scan/.test(action) && action !== 'sqs:DeleteMessage')).toEqual([]);
  });

  it('reads aliases and stores, creates aliases, and records transmissions, on those tables only', () => {
    const { statements, ids } = relayStatements();

    expect(actionsOn(statements, ids.aliases)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(actionsOn(statements, ids.stores)).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(actionsOn(statements, ids.transmissions)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    // The indexes it queries: relayed messages by their copy's SendEmail ID and by their original ID, to thread replies.
    const onIndex = statements.filter((statement) => JSON.stringify(statement.Resource).includes('/index/'));
    expect(onIndex.map((statement) => statement.Action)).toEqual(['dynamodb:Query']);
    const indexes = ([] as string[]).concat(onIndex[0]?.Resource as string | string[]).map((resource) => JSON.stringify(resource).replace(/.*\/index\/(\w+).*/, '$1'));
    expect(indexes.sort()).toEqual(['byOriginalMessage', 'byOutboundMessage']);
    expect(actionsOf(statements).filter((action) => action.startsWith('dynamodb:'))).toHaveLength(8);
  });

  it('may decrypt addresses only under their encryption contexts, and compute MACs with the HMAC key, nothing more', () => {
    const { statements, ids } = relayStatements();

    const onAddressKey = statements.filter((statement) => JSON.stringify(statement.Resource).includes(ids.addressKey));
    expect(onAddressKey.map((statement) => [statement.Action, statement.Condition])).toEqual([
      ['kms:Decrypt', { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['alias'] }, Null: { 'kms:EncryptionContext:alias': 'false' } }],
      [
        'kms:Decrypt',
        {
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['store', 'purpose'] },
          StringEquals: { 'kms:EncryptionContext:purpose': ['contact', 'sender'] },
          Null: { 'kms:EncryptionContext:store': 'false', 'kms:EncryptionContext:purpose': 'false' },
        },
      ],
    ]);
    expect(actionsOn(statements, ids.hmacKey)).toEqual(['kms:GenerateMac']);
    // The data key's own policy admits its use through DynamoDB, SQS, SNS and S3 only: the event
    // source's Decrypt reads the queue, GenerateDataKey (via SQS) writes the dead-letter queue.
    expect(actionsOn(statements, ids.dataKey)).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect([...new Set(actionsOf(statements).filter((action) => action.startsWith('kms:')))].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateMac']);
  });

  it('may create reverse aliases (`m-…`) and no other alias item, and overwrite none', () => {
    const { statements, ids } = relayStatements();

    const onAliases = statements.filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify({ 'Fn::GetAtt': [ids.aliases, 'Arn'] }));
    expect(onAliases.map((statement) => [statement.Action, statement.Condition])).toEqual([
      ['dynamodb:GetItem', undefined],
      ['dynamodb:PutItem', { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['m-*'] } }],
    ]);
  });

  it('may have a data key generated only by SQS, for messages it sends to the encrypted dead-letter queue', () => {
    const { statements, ids } = relayStatements();

    const generate = statements.filter((statement) => actionsOf([statement]).includes('kms:GenerateDataKey'));

    expect(generate).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: { 'Fn::GetAtt': [ids.dataKey, 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': 'sqs.ap-northeast-1.amazonaws.com' } },
      },
    ]);
  });

  it('sends only to the dead-letter queue and (held mail) its own queue, and reads and deletes nothing in the dead-letter queue', () => {
    const { statements, ids } = relayStatements();

    const sending = statements.filter((statement) => actionsOf([statement]).includes('sqs:SendMessage'));

    expect(actionsOn(statements, ids.deadLetterQueue)).toEqual(['sqs:SendMessage']);
    expect(sending).toEqual([
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: [{ 'Fn::GetAtt': [ids.deadLetterQueue, 'Arn'] }, { 'Fn::GetAtt': [ids.queue, 'Arn'] }] },
    ]);
  });

  it('reads raw mail below inbound/ only', () => {
    const { statements, ids } = relayStatements();

    const s3 = statements.filter((statement) => actionsOf([statement]).some((action) => action.startsWith('s3:')));

    expect(s3).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.bucket, 'Arn'] }, `/${RAW_MAIL_PREFIX}*`]] } },
    ]);
  });

  it('sends only as the sender identity in ap-northeast-1, through its configuration set', () => {
    const { statements } = relayStatements();

    const ses = statements.filter((statement) => actionsOf([statement]).some((action) => action.startsWith('ses:')));

    expect(ses).toEqual([
      {
        Effect: 'Allow',
        Action: ['ses:SendEmail', 'ses:SendRawEmail'],
        Resource: [
          { 'Fn::Join': ['', ['arn:aws:ses:ap-northeast-1:', { Ref: 'AWS::AccountId' }, ':configuration-set/AnshinRelay-sending']] },
          { 'Fn::Join': ['', ['arn:aws:ses:ap-northeast-1:', { Ref: 'AWS::AccountId' }, ':identity/mail.example.jp']] },
        ],
      },
    ]);
  });

  it('consumes the relay queue, puts held mail back on it, and writes only its own log group', () => {
    const { stack, template } = relayTemplate();
    const statements = statementsOfRole(template, logicalId(stack, stack.relay.anshinFunction.role));

    expect(actionsOn(statements, logicalId(stack, stack.ingress.queue))).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
    ]);
    expect(actionsOn(statements, logicalId(stack, stack.relay.anshinFunction.logGroup))).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    // Backoff changes the visibility of failed messages; the event source's grant covers it, once.
    expect(actionsOf(statements).filter((action) => action === 'sqs:ChangeMessageVisibility')).toHaveLength(1);
    expect(actionsOf(statements).filter((action) => action.startsWith('sqs:Delete'))).toEqual(['sqs:DeleteMessage']);
    template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: Match.anyValue() }, 0);
  });
});

describe('AnshinRelayStack outputs', () => {
  it('publishes what the operator CLI reads, under fixed names and without exports', () => {
    const { stack, template } = relayTemplate({ anshin: { relayDomain: 'relay.shop.example.jp' } });

    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Export?: unknown }>;

    expect(outputs).toMatchObject({
      AliasesTableName: { Value: { Ref: logicalId(stack, stack.tables.aliases) } },
      StoresTableName: { Value: { Ref: logicalId(stack, stack.tables.stores) } },
      TransmissionsTableName: { Value: { Ref: logicalId(stack, stack.tables.transmissions) } },
      DataKeyArn: { Value: { 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] } },
      HmacKeyArn: { Value: { 'Fn::GetAtt': [logicalId(stack, stack.keys.hmacKey), 'Arn'] } },
      InboundBucketName: { Value: { Ref: logicalId(stack, stack.ingress.bucket) } },
      InboundTopicArn: { Value: { Ref: logicalId(stack, stack.ingress.topic) } },
      RelayQueueUrl: { Value: { Ref: logicalId(stack, stack.ingress.queue) } },
      DeadLetterQueueUrl: { Value: { Ref: logicalId(stack, stack.ingress.deadLetterQueue) } },
      RelayFunctionName: { Value: { Ref: logicalId(stack, stack.relay.function) } },
      ReceiptRuleSetName: { Value: `${STACK_NAME}-inbound` },
      RelayDomain: { Value: 'relay.shop.example.jp' },
      RetentionFunctionName: { Value: { Ref: logicalId(stack, stack.retention.function) } },
      DestructionFunctionName: { Value: { Ref: logicalId(stack, stack.destruction.function) } },
      AccessTableName: { Value: { Ref: logicalId(stack, stack.tables.access) } },
      ReceiptsTableName: { Value: { Ref: logicalId(stack, stack.tables.receipts) } },
    });
    for (const output of Object.values(outputs)) expect(output.Export).toBeUndefined();
  });

  it('exposes the outputs on the stack object as well', () => {
    const { stack } = relayTemplate();

    expect(stack.resolve(stack.dataKeyArn.value)).toEqual({ 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] });
    expect(stack.resolve(stack.receiptRuleSetName.value)).toBe(`${STACK_NAME}-inbound`);
  });

  it('retains every store of user data when the stack is deleted', () => {
    const { template } = relayTemplate();

    const resources = Object.values(template.toJSON().Resources) as { Type: string; DeletionPolicy?: string }[];
    const stores = resources.filter((resource) => ['AWS::KMS::Key', 'AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::Logs::LogGroup'].includes(resource.Type));

    expect(stores.length).toBeGreaterThanOrEqual(9);
    for (const store of stores) expect(store.DeletionPolicy).toBe('Retain');
  });

  it('encrypts every log group with the data key', () => {
    const { stack, template } = relayTemplate();

    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));

    expect(logGroups.length).toBeGreaterThan(0);
    for (const logGroup of logGroups) expect(logGroup.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [logicalId(stack, stack.keys.dataKey), 'Arn'] });
  });
});

describe('addRelayStack', () => {
  it('accepts the configuration as a JSON string, as `cdk synth -c anshin=…` passes it', () => {
    const app = new App({ outdir: assemblyDir(), context: { [CONFIG_CONTEXT_KEY]: '{"relayDomain":"cli.example.jp"}', 'aws:cdk:bundling-stacks': [] } });

    const stack = addRelayStack(app);

    expect(stack.config.relayDomain).toBe('cli.example.jp');
  });

  it('fails with the context key’s name when the string is not JSON', () => {
    const app = new App({ outdir: assemblyDir(), context: { [CONFIG_CONTEXT_KEY]: 'relayDomain=cli.example.jp', 'aws:cdk:bundling-stacks': [] } });

    expect(() => addRelayStack(app)).toThrow(ConfigError);
    expect(() => addRelayStack(new App({ outdir: assemblyDir(), context: { [CONFIG_CONTEXT_KEY]: '{', 'aws:cdk:bundling-stacks': [] } }))).toThrow(/-c anshin=/);
  });
});
