/**
 * The retention policy and the template cannot drift apart: every period the stack deploys (TTL,
 * point-in-time recovery, S3 lifecycle, log and queue retention, the run's schedule, the policy the
 * functions apply) is read back from the synthesised template and compared with the policy, for
 * cdk.json's policy and for others. And only the retention and destruction functions may delete.
 */
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseRetentionPolicy, policyVersion } from '../../lambdas/records/retention-policy';
import type { RetentionPolicy } from '../../lambdas/records/retention-policy';
import { FEEDBACK_ENV } from '../../lambdas/env';
import { RELAY_ENV } from '../../lambdas/env';
import { DESTRUCTION_EVENT_TYPES, MARKETPLACE_EVENT_SOURCE } from '../../lambdas/destruction/events';
import { DATA_ENV } from '../../lambdas/env';
import { PURGE_AT_ATTRIBUTE, TABLES } from '../../lambdas/records/table-schema';
import type { AnshinRelayStack } from '../../lib/anshin-relay-stack';
import { ConfigError, resolveConfig } from '../../lib/config';
import { SCHEDULED_RUN_INPUT, runDays } from '../../lib/constructs/retention-function';
import { STACK_NAME } from '../../lib/relay-app';
import { ASYNC_INVOKE_DEFAULTS, EVENT_DELIVERY_DEFAULTS, RAW_MAIL_PREFIX } from '../../lib/secure-defaults';
import { CDK_JSON_POLICY, logicalId, relayApp, relayTemplate } from './support';
import type { PartialRetention, PolicyStatementJson } from './support';

const DAY = 24 * 60 * 60;

/** Longer, shorter and differently shaped than cdk.json's, so a value copied from a default shows. */
const SHORT_POLICY = {
  classes: {
    address: { retentionDays: 365, supportDays: 30 },
    access: { retentionDays: 60, supportDays: 30 },
    transmission: { retentionDays: 45, supportDays: 14 },
    content: { retentionDays: 3, supportDays: 0 },
    evidence: { retentionDays: 3653, supportDays: 0 },
    analysis: { retentionDays: 400, supportDays: 0 },
  },
  backupDays: 7,
  noncurrentContentDays: 2,
  logDays: 90,
  runIntervalDays: 2,
} satisfies RetentionPolicy;

/** Raw mail kept longer than SQS can keep a message. */
const LONG_CONTENT_POLICY = { classes: { content: { retentionDays: 30 } }, backupDays: 1, logDays: 14 } satisfies PartialRetention;

const POLICIES: readonly [string, PartialRetention, RetentionPolicy][] = [
  ['cdk.json', {}, CDK_JSON_POLICY],
  ['a short policy', SHORT_POLICY, SHORT_POLICY],
  ['a long content period', LONG_CONTENT_POLICY, resolveConfig({ retention: LONG_CONTENT_POLICY }).retention],
];

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Synthesises once per policy, on first use. */
function lazyTemplate(retention: PartialRetention): () => { stack: AnshinRelayStack; template: Template; resources: Resources } {
  let synthesised: { stack: AnshinRelayStack; template: Template; resources: Resources } | undefined;
  return () => {
    if (synthesised === undefined) {
      const { stack, template } = relayTemplate({ anshin: { retention } });
      synthesised = { stack, template, resources: template.toJSON().Resources as Resources };
    }
    return synthesised;
  };
}

function ofType(resources: Resources, type: string): [string, Record<string, unknown>][] {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties]);
}

function environmentOf(resources: Resources, functionId: string): Record<string, unknown> {
  return (resources[functionId]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe.each(POLICIES)('the template derived from %s', (_label, retention, policy) => {
  const synth = lazyTemplate(retention);

  it('expires every table item by purgeAt and keeps point-in-time backups for backupDays', () => {
    const tables = ofType(synth().resources, 'AWS::DynamoDB::Table');

    expect(tables).toHaveLength(Object.keys(TABLES).length);
    for (const [id, table] of tables) {
      expect(table.TimeToLiveSpecification, id).toEqual({ AttributeName: PURGE_AT_ATTRIBUTE, Enabled: true });
      expect(table.PointInTimeRecoverySpecification, id).toEqual({ PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: policy.backupDays });
    }
  });

  it('expires raw mail after the content period and its superseded versions after noncurrentContentDays', () => {
    const { stack, resources } = synth();

    const bucket = resources[logicalId(stack, stack.ingress.bucket)]?.Properties as {
      VersioningConfiguration: unknown;
      LifecycleConfiguration: { Rules: Record<string, unknown>[] };
    };

    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const rawMailRules = bucket.LifecycleConfiguration.Rules.filter((rule) => rule.ExpirationInDays !== undefined);
    expect(rawMailRules).toEqual([
      expect.objectContaining({
        Prefix: RAW_MAIL_PREFIX,
        Status: 'Enabled',
        ExpirationInDays: policy.classes.content.retentionDays,
        NoncurrentVersionExpiration: { NoncurrentDays: policy.noncurrentContentDays },
      }),
    ]);
  });

  it('keeps every log group, and the S3 access logs, for logDays', () => {
    const { stack, resources } = synth();

    const logGroups = ofType(resources, 'AWS::Logs::LogGroup');

    expect(logGroups.length).toBeGreaterThanOrEqual(5);
    for (const [id, logGroup] of logGroups) expect(logGroup.RetentionInDays, id).toBe(policy.logDays);
    const accessLogs = resources[logicalId(stack, stack.ingress.accessLogBucket)]?.Properties as { LifecycleConfiguration: { Rules: unknown[] } };
    expect(accessLogs.LifecycleConfiguration.Rules).toEqual([expect.objectContaining({ ExpirationInDays: policy.logDays })]);
  });

  it('hands the retention and destruction functions exactly this policy, and publishes its version', () => {
    const { stack, template, resources } = synth();

    for (const fn of [stack.retention.function, stack.destruction.function]) {
      const json = environmentOf(resources, logicalId(stack, fn))[DATA_ENV.retentionPolicy];
      expect(typeof json).toBe('string');
      const deployed = parseRetentionPolicy(json as string);
      expect(deployed).toEqual(policy);
      expect(policyVersion(deployed)).toBe(policyVersion(policy));
    }
    template.hasOutput('RetentionPolicyVersion', { Value: policyVersion(policy) });
    const outputs = template.toJSON().Outputs as Record<string, { Value: string }>;
    expect(JSON.parse(outputs.RetentionPolicy?.Value ?? '')).toEqual(policy);
  });

  it('has the relay and the feedback function date transmission records with the transmission period', () => {
    const { stack, resources } = synth();
    const days = String(policy.classes.transmission.retentionDays);

    expect(environmentOf(resources, logicalId(stack, stack.relay.function))[RELAY_ENV.transmissionRetentionDays]).toBe(days);
    expect(environmentOf(resources, logicalId(stack, stack.sending.function))[FEEDBACK_ENV.transmissionRetentionDays]).toBe(days);
  });

  it('keeps no queued message longer than raw mail (nor than SQS allows)', () => {
    const queues = ofType(synth().resources, 'AWS::SQS::Queue');
    const expected = Math.min(policy.classes.content.retentionDays, 14) * DAY;

    expect(queues.length).toBeGreaterThanOrEqual(6);
    for (const [id, queue] of queues) expect(queue.MessageRetentionPeriod, id).toBe(expected);
  });

  it('starts the retention run every runIntervalDays at 03:30 Asia/Tokyo', () => {
    const { stack, resources } = synth();
    const schedules = ofType(resources, 'AWS::Scheduler::Schedule');
    const schedule = schedules.find(([id]) => id === logicalId(stack, stack.retention.schedule));

    // The retention run's, the abuse signals' and the analysis export's.
    expect(schedules.map(([id]) => id).sort()).toEqual([stack.retention.schedule, stack.fraud.schedule, stack.analysis.schedule].map((schedule) => logicalId(stack, schedule)).sort());
    expect(schedule?.[1]).toMatchObject({
      ScheduleExpression: `cron(30 3 ${policy.runIntervalDays === 1 ? '*' : `*/${policy.runIntervalDays}`} * ? *)`,
      ScheduleExpressionTimezone: 'Asia/Tokyo',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [logicalId(stack, stack.retention.function), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [logicalId(stack, stack.retention.scheduleRole), 'Arn'] },
        Input: JSON.stringify(SCHEDULED_RUN_INPUT),
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, stack.retention.failures), 'Arn'] } },
        RetryPolicy: {
          MaximumRetryAttempts: EVENT_DELIVERY_DEFAULTS.retryAttempts,
          MaximumEventAgeInSeconds: EVENT_DELIVERY_DEFAULTS.maxEventAge.toSeconds(),
        },
      },
    });
  });
});

describe('retention configuration', () => {
  it('is daily in cdk.json, the interval the README promises', () => {
    expect(CDK_JSON_POLICY.runIntervalDays).toBe(1);
    expect(runDays(1)).toBe('*');
  });

  it.each([2, 7, 31])('never leaves more than %i days between runs across a month end', (interval) => {
    // Days of the month the cron expression `*/n` fires on, over a leap and a common year.
    const firings: number[] = [];
    for (let day = Date.UTC(2027, 0, 1); day < Date.UTC(2029, 0, 1); day += DAY * 1000) {
      if ((new Date(day).getUTCDate() - 1) % interval === 0) firings.push(day);
    }
    const gaps = firings.slice(1).map((day, index) => (day - (firings[index] ?? day)) / (DAY * 1000));

    expect(runDays(interval)).toBe(`*/${interval}`);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(interval);
  });

  it.each<[string, PartialRetention, RegExp]>([
    ['a period of the former shape', { rawMailDays: 3 }, /anshin\.retention has no field "rawMailDays"/],
    ['an unknown class', { classes: { attachments: { retentionDays: 3 } } }, /anshin\.retention\.classes has no field "attachments"/],
    ['an unknown class field', { classes: { content: { days: 3 } } }, /anshin\.retention\.classes\.content has no field "days"/],
    ['a run interval longer than a month', { runIntervalDays: 32 }, /anshin\.retention\.runIntervalDays must be at most 31/],
  ])('fails synthesis for %s, naming the field', (_label, retention, message) => {
    expect(() => relayApp({ anshin: { retention } })).toThrow(ConfigError);
    expect(() => relayApp({ anshin: { retention } })).toThrow(message);
  });
});

/** Every allowing statement of every IAM policy in the template, with the roles it is attached to. */
function allowStatements(resources: Resources): { roles: string[]; statement: PolicyStatementJson }[] {
  const attached = Object.entries(resources).flatMap(([id, resource]) => {
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      const roles = ((resource.Properties.Roles ?? []) as { Ref: string }[]).map((role) => role.Ref);
      const document = resource.Properties.PolicyDocument as { Statement: PolicyStatementJson[] };
      return document.Statement.map((statement) => ({ roles, statement }));
    }
    if (resource.Type === 'AWS::IAM::Role') {
      const inline = (resource.Properties.Policies ?? []) as { PolicyDocument: { Statement: PolicyStatementJson[] } }[];
      return inline.flatMap((policy) => policy.PolicyDocument.Statement.map((statement) => ({ roles: [id], statement })));
    }
    return [];
  });
  return attached.filter(({ statement }) => statement.Effect === 'Allow');
}

function actionList(statement: PolicyStatementJson): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** Whether an IAM action pattern (with `*` and `?` wildcards, case-insensitive) covers an action. */
function covers(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(action);
}

const DELETING_ACTIONS = ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLDelete', 's3:DeleteObject', 's3:DeleteObjectVersion'];

/** Readable names for the logical IDs a policy refers to. */
function namesOf(stack: AnshinRelayStack): Map<string, string> {
  const named: [string, { node: { defaultChild?: unknown } }][] = [
    ['aliases', stack.tables.aliases],
    ['stores', stack.tables.stores],
    ['transmissions', stack.tables.transmissions],
    ['access', stack.tables.access],
    ['receipts', stack.tables.receipts],
    ['dataKey', stack.keys.dataKey],
    ['addressKey', stack.keys.addressKey],
    ['receiptKey', stack.keys.receiptKey],
    ['hmacKey', stack.keys.hmacKey],
    ['bucket', stack.ingress.bucket],
    ['retentionLogs', stack.retention.anshinFunction.logGroup],
    ['destructionLogs', stack.destruction.anshinFunction.logGroup],
    ['retentionFailures', stack.retention.failures],
    ['destructionFailures', stack.destruction.failures],
    ['retentionFunction', stack.retention.function],
    ['destructionFunction', stack.destruction.function],
    ['userPool', stack.menu.userPool],
    ['fraudLogs', stack.fraud.anshinFunction.logGroup],
    ['fraudFailures', stack.fraud.failures],
    ['menuLogs', stack.menu.anshinFunction.logGroup],
    ['analysisBucket', stack.analysis.bucket],
    ['analysisLogs', stack.analysis.anshinFunction.logGroup],
    ['analysisFailures', stack.analysis.failures],
    ['pseudonymKey', stack.keys.pseudonymKey],
  ];
  return new Map(named.map(([name, construct]) => [logicalId(stack, construct), name]));
}

/** `{Fn::GetAtt: [id, Arn]}` -> `name`, `{Fn::Join: ['', [GetAtt, '/index/x']]}` -> `name/index/x`. */
function resourceLabel(resource: unknown, names: Map<string, string>): string {
  if (typeof resource === 'string') return resource;
  const getAtt = (resource as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt !== undefined) return names.get(getAtt[0]) ?? getAtt[0];
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join !== undefined) return join[1].map((part) => resourceLabel(part, names)).join(join[0]);
  return JSON.stringify(resource);
}

/** A role's grants as `resource [if condition]` -> sorted actions. */
function grantsOf(resources: Resources, stack: AnshinRelayStack, roleId: string): Record<string, string[]> {
  const names = namesOf(stack);
  const grants: Record<string, string[]> = {};
  for (const { roles, statement } of allowStatements(resources)) {
    if (!roles.includes(roleId)) continue;
    const targets = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    const condition = statement.Condition === undefined ? '' : ` if ${JSON.stringify(statement.Condition)}`;
    for (const target of targets) {
      const key = `${resourceLabel(target, names)}${condition}`;
      grants[key] = [...new Set([...(grants[key] ?? []), ...actionList(statement)])].sort();
    }
  }
  return grants;
}

const VIA_DYNAMODB = ' if {"StringEquals":{"kms:ViaService":["dynamodb.ap-northeast-1.amazonaws.com"]}}';
const VIA_SQS = ' if {"StringEquals":{"kms:ViaService":["sqs.ap-northeast-1.amazonaws.com"]}}';
const INBOUND_PREFIX_ONLY = ' if {"StringLike":{"s3:prefix":["inbound/*"]}}';
const STORE_COUNTERS_ONLY = ' if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["rate#store#*"]}}';
const TRACING = { '*': ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'] };

describe('least privilege', () => {
  const synth = lazyTemplate({});

  it('allows no wildcard action in any IAM policy but the region boundary', () => {
    const { stack, resources } = synth();
    // The permissions boundary caps roles; it grants nothing (test/infra/residency.test.ts).
    const { [logicalId(stack, stack.regionBoundary)]: _boundary, ...policies } = resources;
    const actions = allowStatements(policies).flatMap(({ statement }) => actionList(statement));

    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => action === '*' || action.endsWith(':*'))).toEqual([]);
  });

  it('lets only the retention and the destruction function delete, the API function only a store’s senders, the menu only in the store’s own partitions, and the relay and feedback functions not at all', () => {
    const { stack, resources } = synth();

    const deleting = allowStatements(resources).filter(({ statement }) =>
      actionList(statement).some((pattern) => DELETING_ACTIONS.some((action) => covers(pattern, action))),
    );
    const roles = new Set(deleting.flatMap(({ roles: attached }) => attached));

    const api = logicalId(stack, stack.api.anshinFunction.role);
    const menu = logicalId(stack, stack.menu.anshinFunction.role);
    expect([...roles].sort()).toEqual([logicalId(stack, stack.retention.anshinFunction.role), logicalId(stack, stack.destruction.anshinFunction.role), api, menu].sort());
    for (const role of [stack.relay.anshinFunction.role, stack.sending.anshinFunction.role]) expect(roles.has(logicalId(stack, role))).toBe(false);
    // A sender the marketplace removes, or leaves out when it replaces a store's senders, is deleted.
    const apiGrants = grantsOf(resources, stack, api);
    const apiDeletes = Object.entries(apiGrants).filter(([, actions]) => actions.includes('dynamodb:DeleteItem'));
    expect(apiDeletes.map(([resource]) => resource)).toEqual(['stores']);
    // It changes a store in place only in its own rate limits and its pause.
    expect(Object.entries(apiGrants).filter(([resource, actions]) => resource.startsWith('stores') && actions.includes('dynamodb:UpdateItem'))).toEqual([
      ['stores if {"ForAllValues:StringEquals":{"dynamodb:Attributes":["storeId","item","limits","pausedAt","pauseReason"]}}', ['dynamodb:UpdateItem']],
    ]);
    // Its senders and verification links; its sessions and lockout counters.
    const menuDeletes = Object.entries(grantsOf(resources, stack, menu)).filter(([, actions]) => actions.includes('dynamodb:DeleteItem'));
    expect(menuDeletes.map(([resource]) => resource).sort()).toEqual(['access', 'stores']);
  });

  it('lets the menu function read a store’s aliases and records, keep its access log, and use the data key only for senders', () => {
    const { stack, resources } = synth();

    const grants = grantsOf(resources, stack, logicalId(stack, stack.menu.anshinFunction.role));

    expect(grants).toEqual({
      ...TRACING,
      menuLogs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      aliases: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
      'aliases/index/byStore': ['dynamodb:Query'],
      stores: ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      'transmissions/index/byStore': ['dynamodb:Query'],
      'transmissions/index/byAlias': ['dynamodb:Query'],
      access: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      'addressKey if {"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["store","purpose"]},"StringEquals":{"kms:EncryptionContext:purpose":["sender"]},"Null":{"kms:EncryptionContext:store":"false","kms:EncryptionContext:purpose":"false"}}': [
        'kms:Decrypt',
        'kms:Encrypt',
      ],
      [`dataKey${VIA_DYNAMODB}`]: ['kms:Decrypt', 'kms:GenerateDataKey'],
      hmacKey: ['kms:GenerateMac'],
      'arn:aws:ses:ap-northeast-1:{"Ref":"AWS::AccountId"}:identity/relay.example.jp if {"StringEquals":{"ses:FromAddress":"no-reply@relay.example.jp"}}': ['ses:SendEmail', 'ses:SendRawEmail'],
    });
  });

  it('gives the relay and feedback functions nothing on the access and receipts tables', () => {
    const { stack, resources } = synth();

    for (const role of [stack.relay.anshinFunction.role, stack.sending.anshinFunction.role]) {
      const grants = grantsOf(resources, stack, logicalId(stack, role));
      expect(Object.keys(grants).filter((resource) => /^(access|receipts)\b/.test(resource))).toEqual([]);
    }
  });

  it('lets the retention run find due items only through the expiry indexes, delete them, keep retired aliases, its receipts and checkpoint', () => {
    const { stack, resources } = synth();

    const grants = grantsOf(resources, stack, logicalId(stack, stack.retention.anshinFunction.role));

    expect(grants).toEqual({
      // X-Ray, and SES's suppression list (one per account and region: no resource to name).
      '*': ['ses:DeleteSuppressedDestination', 'ses:ListSuppressedDestinations', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
      retentionLogs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      aliases: ['dynamodb:DeleteItem'],
      'aliases if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["retired#*"]}}': ['dynamodb:PutItem'],
      stores: ['dynamodb:DeleteItem'],
      transmissions: ['dynamodb:DeleteItem'],
      access: ['dynamodb:DeleteItem'],
      receipts: ['dynamodb:DeleteItem', 'dynamodb:GetItem'],
      // Its receipts, its checkpoint and its chain's head, each receipt signed.
      'receipts if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["retention","checkpoint","chain#retention","incident","chain#incident"]}}': ['dynamodb:PutItem'],
      receiptKey: ['kms:Sign'],
      'aliases/index/byExpiry': ['dynamodb:Query'],
      'stores/index/byExpiry': ['dynamodb:Query'],
      'transmissions/index/byExpiry': ['dynamodb:Query'],
      'access/index/byExpiry': ['dynamodb:Query'],
      'receipts/index/byExpiry': ['dynamodb:Query'],
      [`bucket${INBOUND_PREFIX_ONLY}`]: ['s3:ListBucket', 's3:ListBucketVersions'],
      [`bucket/${RAW_MAIL_PREFIX}*`]: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
      [`dataKey${VIA_DYNAMODB}`]: ['kms:Decrypt'],
      [`dataKey${VIA_SQS}`]: ['kms:Decrypt', 'kms:GenerateDataKey'],
      destructionFunction: ['lambda:InvokeFunction'],
      retentionFailures: ['sqs:SendMessage'],
    });
  });

  it('lets the destruction function find a subject by address hash, store and alias, erase it and add a receipt', () => {
    const { stack, resources } = synth();

    const grants = grantsOf(resources, stack, logicalId(stack, stack.destruction.anshinFunction.role));

    // Items are read, re-dated and deleted; the only items it creates are its receipts and retired alias names.
    const items = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'];
    expect(grants).toEqual({
      // X-Ray, and SES's suppression list (one per account and region: no resource to name).
      '*': ['ses:DeleteSuppressedDestination', 'ses:GetSuppressedDestination', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
      destructionLogs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      aliases: items,
      'aliases if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["retired#*"]}}': ['dynamodb:PutItem'],
      stores: [...items, 'dynamodb:Query'].sort(),
      transmissions: items,
      access: [...items, 'dynamodb:Query'].sort(),
      'receipts if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["destruction","termination","chain#destruction","chain#termination"]}}': ['dynamodb:PutItem'],
      receiptKey: ['kms:Sign'],
      'receipts if {"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["deletion-request"]}}': ['dynamodb:UpdateItem'],
      'aliases/index/byAddressHash': ['dynamodb:Query'],
      'aliases/index/byStore': ['dynamodb:Query'],
      'stores/index/byAddressHash': ['dynamodb:Query'],
      'transmissions/index/byAlias': ['dynamodb:Query'],
      hmacKey: ['kms:GenerateMac'],
      // A customer's address, to find the customer behind an alias a deletion names; no store's.
      'addressKey if {"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["alias"]},"Null":{"kms:EncryptionContext:alias":"false"}}': ['kms:Decrypt'],
      [`bucket${INBOUND_PREFIX_ONLY}`]: ['s3:ListBucket', 's3:ListBucketVersions'],
      [`bucket/${RAW_MAIL_PREFIX}*`]: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
      [`dataKey${VIA_DYNAMODB}`]: ['kms:Decrypt'],
      [`dataKey${VIA_SQS}`]: ['kms:Decrypt', 'kms:GenerateDataKey'],
      destructionFailures: ['sqs:SendMessage'],
      userPool: ['cognito-idp:AdminDeleteUser', 'cognito-idp:AdminGetUser'],
    });
  });

  it('lets the abuse signals read stores, their records by store and their access log, and set nothing but a pause', () => {
    const { stack, resources } = synth();

    expect(grantsOf(resources, stack, logicalId(stack, stack.fraud.anshinFunction.role))).toEqual({
      ...TRACING,
      fraudLogs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      stores: ['dynamodb:GetItem', 'dynamodb:Scan'],
      'stores if {"ForAllValues:StringEquals":{"dynamodb:Attributes":["storeId","item","pausedAt","pauseReason"]}}': ['dynamodb:UpdateItem'],
      'transmissions/index/byStore': ['dynamodb:Query'],
      [`transmissions${STORE_COUNTERS_ONLY}`]: ['dynamodb:GetItem'],
      access: ['dynamodb:Query'],
      [`dataKey${VIA_DYNAMODB}`]: ['kms:Decrypt'],
      [`dataKey${VIA_SQS}`]: ['kms:Decrypt', 'kms:GenerateDataKey'],
      fraudFailures: ['sqs:SendMessage'],
    });
    const [fraudSchedule] = ofType(resources, 'AWS::Scheduler::Schedule').filter(([id]) => id === logicalId(stack, stack.fraud.schedule));
    expect(fraudSchedule?.[1]).toMatchObject({ ScheduleExpression: 'cron(15 4 * * ? *)', ScheduleExpressionTimezone: 'Asia/Tokyo', Target: { Input: '{}' } });
  });

  it('lets the analysis export read the day’s records by key, the signals’ sources, derive investigation keys and write only its own prefixes', () => {
    const { stack, resources } = synth();

    expect(grantsOf(resources, stack, logicalId(stack, stack.analysis.anshinFunction.role))).toEqual({
      ...TRACING,
      analysisLogs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      transmissions: ['dynamodb:BatchGetItem'],
      'transmissions/index/byExpiry': ['dynamodb:Query'],
      'transmissions/index/byStore': ['dynamodb:Query'],
      [`transmissions${STORE_COUNTERS_ONLY}`]: ['dynamodb:GetItem'],
      stores: ['dynamodb:Scan'],
      access: ['dynamodb:Query'],
      pseudonymKey: ['kms:GenerateMac'],
      'analysisBucket/records/*': ['s3:PutObject'],
      'analysisBucket/investigations/*': ['s3:PutObject'],
      'analysisBucket/manifests/*': ['s3:PutObject'],
      [`dataKey${VIA_DYNAMODB}`]: ['kms:Decrypt'],
      'dataKey if {"StringEquals":{"kms:ViaService":["s3.ap-northeast-1.amazonaws.com"]}}': ['kms:GenerateDataKey'],
      [`dataKey${VIA_SQS}`]: ['kms:Decrypt', 'kms:GenerateDataKey'],
      analysisFailures: ['sqs:SendMessage'],
    });
    const [schedule] = ofType(resources, 'AWS::Scheduler::Schedule').filter(([id]) => id === logicalId(stack, stack.analysis.schedule));
    expect(schedule?.[1]).toMatchObject({ ScheduleExpression: 'cron(45 4 * * ? *)', ScheduleExpressionTimezone: 'Asia/Tokyo', Target: { Input: '{}' } });
  });

  it('lets EventBridge Scheduler, for this account’s default group only, start the run and record undeliverable runs', () => {
    const { stack, resources } = synth();
    const role = resources[logicalId(stack, stack.retention.scheduleRole)]?.Properties as { AssumeRolePolicyDocument: unknown };

    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': { 'Fn::Join': ['', ['arn:aws:scheduler:ap-northeast-1:', { Ref: 'AWS::AccountId' }, ':schedule-group/default']] },
            },
          },
        },
      ],
    });
    expect(grantsOf(resources, stack, logicalId(stack, stack.retention.scheduleRole))).toEqual({
      retentionFunction: ['lambda:InvokeFunction'],
      'retentionFunction:*': ['lambda:InvokeFunction'],
      retentionFailures: ['sqs:SendMessage'],
      'dataKey if {"StringEquals":{"kms:ViaService":"sqs.ap-northeast-1.amazonaws.com"}}': ['kms:Decrypt', 'kms:GenerateDataKey'],
    });
  });
});

describe('destruction requests', () => {
  const synth = lazyTemplate({});

  it('reach the destruction function from the marketplace’s events on a bus of their own, with retries and a dead-letter queue', () => {
    const { stack, resources } = synth();
    const [rule, ...others] = ofType(resources, 'AWS::Events::Rule');

    expect(others).toEqual([]);
    expect(rule?.[1].EventBusName).toEqual({ Ref: logicalId(stack, stack.destruction.bus) });
    expect(rule?.[1]).toMatchObject({
      Name: `${STACK_NAME}-destruction-requests`,
      State: 'ENABLED',
      EventPattern: { source: [MARKETPLACE_EVENT_SOURCE], 'detail-type': Object.values(DESTRUCTION_EVENT_TYPES) },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalId(stack, stack.destruction.function), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, stack.destruction.failures), 'Arn'] } },
          RetryPolicy: {
            MaximumRetryAttempts: EVENT_DELIVERY_DEFAULTS.retryAttempts,
            MaximumEventAgeInSeconds: EVENT_DELIVERY_DEFAULTS.maxEventAge.toSeconds(),
          },
        },
      ],
    });
  });

  it('let EventBridge use the data key only for this rule’s dead letters', () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowEventBridgeDeadLettersOfDestructionRequests',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: '*',
            Condition: {
              ArnEquals: {
                'aws:SourceArn': {
                  'Fn::Join': ['', ['arn:aws:events:ap-northeast-1:', { Ref: 'AWS::AccountId' }, `:rule/${STACK_NAME}-marketplace/${STACK_NAME}-destruction-requests`]],
                },
              },
            },
          },
        ]),
      },
    });
  });
});

describe('the marketplace bus', () => {
  it('admits destruction requests only from the marketplace principals the configuration names', () => {
    const marketplace = 'arn:aws:iam::210987654321:role/marketplace-orders';
    const { template } = relayTemplate({ anshin: { api: { allowedPrincipals: [marketplace] } } });
    const policies = Object.values(template.findResources('AWS::Events::EventBusPolicy')).map((policy) => policy.Properties.Statement as { Principal: unknown; Action: string });
    expect(policies).toEqual([expect.objectContaining({ Principal: { AWS: marketplace }, Action: 'events:PutEvents' })]);
  });
});

describe('retention and destruction functions', () => {
  const synth = lazyTemplate({});

  it.each(['retention', 'destruction'] as const)('runs the %s handler on Node.js 24, ARM64, traced, 512 MB, up to 15 minutes', (name) => {
    const { stack, resources } = synth();
    const fn = name === 'retention' ? stack.retention : stack.destruction;

    expect(resources[logicalId(stack, fn.function)]?.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 900,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: logicalId(stack, fn.anshinFunction.logGroup) } },
    });
  });

  it('names every table, the bucket and the policy to both, the HMAC key to destruction only', () => {
    const { stack, resources } = synth();
    const common = {
      [DATA_ENV.aliasesTable]: { Ref: logicalId(stack, stack.tables.aliases) },
      [DATA_ENV.storesTable]: { Ref: logicalId(stack, stack.tables.stores) },
      [DATA_ENV.transmissionsTable]: { Ref: logicalId(stack, stack.tables.transmissions) },
      [DATA_ENV.accessTable]: { Ref: logicalId(stack, stack.tables.access) },
      [DATA_ENV.receiptsTable]: { Ref: logicalId(stack, stack.tables.receipts) },
      [DATA_ENV.inboundBucket]: { Ref: logicalId(stack, stack.ingress.bucket) },
      [DATA_ENV.retentionPolicy]: JSON.stringify(CDK_JSON_POLICY),
    };

    const retention = environmentOf(resources, logicalId(stack, stack.retention.function));
    const destruction = environmentOf(resources, logicalId(stack, stack.destruction.function));

    expect(retention).toMatchObject({ ...common, POWERTOOLS_SERVICE_NAME: 'anshin-retention' });
    expect(retention[DATA_ENV.hmacKeyId]).toBeUndefined();
    expect(destruction).toMatchObject({
      ...common,
      [DATA_ENV.hmacKeyId]: { 'Fn::GetAtt': [logicalId(stack, stack.keys.hmacKey), 'Arn'] },
      POWERTOOLS_SERVICE_NAME: 'anshin-destruction',
    });
    expect(destruction[DATA_ENV.destructionFunctionName]).toBeUndefined();
  });

  it.each(['retention', 'destruction'] as const)('retries failed asynchronous %s invocations, then records them in the failure queue', (name) => {
    const { stack, resources } = synth();
    const fn = name === 'retention' ? stack.retention : stack.destruction;

    const configs = ofType(resources, 'AWS::Lambda::EventInvokeConfig').filter(([, config]) => JSON.stringify(config.FunctionName) === JSON.stringify({ Ref: logicalId(stack, fn.function) }));

    expect(configs.map(([, config]) => config)).toEqual([
      {
        FunctionName: { Ref: logicalId(stack, fn.function) },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: ASYNC_INVOKE_DEFAULTS.retryAttempts,
        MaximumEventAgeInSeconds: ASYNC_INVOKE_DEFAULTS.maxEventAge.toSeconds(),
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack, fn.failures), 'Arn'] } } },
      },
    ]);
  });

  it('publishes both function names for the operator CLI, and names the destruction function to the retention run', () => {
    const { stack, template, resources } = synth();

    template.hasOutput('RetentionFunctionName', { Value: { Ref: logicalId(stack, stack.retention.function) } });
    template.hasOutput('DestructionFunctionName', { Value: { Ref: logicalId(stack, stack.destruction.function) } });
    expect(environmentOf(resources, logicalId(stack, stack.retention.function))[DATA_ENV.destructionFunctionName]).toEqual({
      Ref: logicalId(stack, stack.destruction.function),
    });
  });
});
