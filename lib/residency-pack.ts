/**
 * `AnshinResidency`: a cdk-nag rule pack of the project's own, run at synthesis beside AwsSolutions
 * and Serverless. Each rule flags one way user data could leave ap-northeast-1: a delivery to
 * another region or to an endpoint outside AWS, a copy or replica elsewhere, a global edge service,
 * or a grant on a resource in another region. Acknowledging a finding needs a reason, like any other.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, NagRuleCompliance } from 'cdk-nag';
import type { NagPackProps } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { HOME_REGION } from './config';

type Compliance = NagRuleCompliance.COMPLIANT | NagRuleCompliance.NON_COMPLIANT | NagRuleCompliance.NOT_APPLICABLE;

/** The resource's properties as the template will hold them (PascalCase), tokens resolved to intrinsics. */
function propertiesOf(node: CfnResource): Record<string, unknown> {
  const rendered = (node as unknown as { _toCloudFormation(): { Resources: Record<string, { Properties?: Record<string, unknown> }> } })._toCloudFormation();
  const resolved = Stack.of(node).resolve(rendered) as typeof rendered;
  return Object.values(resolved.Resources)[0]?.Properties ?? {};
}

function resolvedText(node: CfnResource): string {
  return JSON.stringify(propertiesOf(node));
}

/**
 * Regions named in ARNs anywhere in the text (`…:<service>:<region>:…`, also when the partition is
 * a reference), other than the home region.
 */
function foreignRegions(text: string): string[] {
  return [...text.matchAll(/:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):/g)].map((match) => match[1] ?? '').filter((region) => region !== HOME_REGION);
}

const verdict = (violates: boolean): Compliance => (violates ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT);

/** Resource types that exist to put data or traffic outside the region. */
const GLOBAL_OR_EDGE = /^AWS::(CloudFront|GlobalAccelerator)::|^AWS::Route53::(?!RecordSet$|RecordSetGroup$)|^AWS::Route53(Resolver|RecoveryControl|RecoveryReadiness)::/;

interface ResidencyRule {
  readonly suffix: string;
  readonly info: string;
  readonly explanation: string;
  readonly rule: (node: CfnResource) => Compliance;
}

export const RESIDENCY_RULES: readonly ResidencyRule[] = [
  {
    suffix: 'SubscriptionLeavesRegion',
    info: 'The SNS subscription delivers by a protocol other than SQS, or to an endpoint or region other than ap-northeast-1.',
    explanation: 'Topics carry user data (receipt notifications, bounce events); only queues in the home region may receive them.',
    rule: (node) => {
      if (node.cfnResourceType !== 'AWS::SNS::Subscription') return NagRuleCompliance.NOT_APPLICABLE;
      const properties = propertiesOf(node);
      const region = properties.Region;
      return verdict(properties.Protocol !== 'sqs' || (region !== undefined && region !== HOME_REGION) || foreignRegions(JSON.stringify(properties)).length > 0);
    },
  },
  {
    suffix: 'EventTargetLeavesRegion',
    info: 'The EventBridge rule or destination sends events to another region or to an HTTP(S) endpoint.',
    explanation: 'Events may carry user data (destruction requests); their targets must be resources in ap-northeast-1.',
    rule: (node) => {
      if (node.cfnResourceType === 'AWS::Events::ApiDestination' || node.cfnResourceType === 'AWS::Events::Connection') return NagRuleCompliance.NON_COMPLIANT;
      if (node.cfnResourceType !== 'AWS::Events::Rule') return NagRuleCompliance.NOT_APPLICABLE;
      const text = resolvedText(node);
      return verdict(foreignRegions(text).length > 0 || text.includes('HttpParameters') || text.includes(':api-destination/'));
    },
  },
  {
    suffix: 'LogsLeaveRegion',
    info: 'A log subscription or destination sends log events to another region or account.',
    explanation: 'Logs name aliases, stores and IPs; they may not be streamed out of ap-northeast-1.',
    rule: (node) => {
      if (node.cfnResourceType === 'AWS::Logs::Destination') return NagRuleCompliance.NON_COMPLIANT;
      if (node.cfnResourceType !== 'AWS::Logs::SubscriptionFilter' && node.cfnResourceType !== 'AWS::Logs::AccountPolicy') return NagRuleCompliance.NOT_APPLICABLE;
      return verdict(foreignRegions(resolvedText(node)).length > 0);
    },
  },
  {
    suffix: 'BackupCopiedElsewhere',
    info: 'An AWS Backup plan copies recovery points to another region.',
    explanation: 'Backups are copies of user data and stay in ap-northeast-1 with everything else.',
    rule: (node) => {
      if (node.cfnResourceType !== 'AWS::Backup::BackupPlan') return NagRuleCompliance.NOT_APPLICABLE;
      const text = resolvedText(node);
      return verdict(text.includes('CopyActions') && (foreignRegions(text).length > 0 || !text.includes(`:${HOME_REGION}:`)));
    },
  },
  {
    suffix: 'GlobalOrEdgeService',
    info: 'The resource is a global or edge service (CloudFront, Global Accelerator, Route 53 other than records).',
    explanation: 'Edge services cache or route traffic outside ap-northeast-1; the service serves from the region only.',
    rule: (node) => (GLOBAL_OR_EDGE.test(node.cfnResourceType) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.NOT_APPLICABLE),
  },
  {
    suffix: 'ReplicatedElsewhere',
    info: 'The resource replicates data to another region: S3 replication or a multi-region access point, a DynamoDB replica, a multi-region or replica KMS key.',
    explanation: 'User data and the keys that protect it exist in ap-northeast-1 only.',
    rule: (node) => {
      const type = node.cfnResourceType;
      if (type === 'AWS::S3::MultiRegionAccessPoint' || type === 'AWS::KMS::ReplicaKey' || type === 'Custom::DynamoDBReplica') return NagRuleCompliance.NON_COMPLIANT;
      if (type !== 'AWS::S3::Bucket' && type !== 'AWS::KMS::Key' && type !== 'AWS::DynamoDB::GlobalTable') return NagRuleCompliance.NOT_APPLICABLE;
      const properties = propertiesOf(node);
      if (type === 'AWS::S3::Bucket') return verdict(properties.ReplicationConfiguration !== undefined);
      if (type === 'AWS::KMS::Key') return verdict(properties.MultiRegion === true);
      const regions = ((properties.Replicas ?? []) as { Region?: unknown }[]).map((replica) => replica.Region);
      return verdict(regions.some((region) => region !== HOME_REGION));
    },
  },
  {
    suffix: 'CrossRegionReference',
    info: 'The stack reads or writes a value of a stack in another region.',
    explanation: 'A cross-region reference ties the stack to resources outside ap-northeast-1.',
    rule: (node) => (/^Custom::CrossRegionExport(Writer|Reader)$/.test(node.cfnResourceType) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.NOT_APPLICABLE),
  },
  {
    suffix: 'GrantInAnotherRegion',
    info: 'An IAM or resource policy names a resource in another region (an SES identity, a queue, a key, …).',
    explanation: 'Every role is bounded to ap-northeast-1; a grant elsewhere would be a path for data out of the region.',
    rule: (node) => {
      if (!/^AWS::(IAM::(Policy|ManagedPolicy|Role)|KMS::Key|SQS::QueuePolicy|SNS::TopicPolicy|S3::BucketPolicy|Events::EventBusPolicy)$/.test(node.cfnResourceType)) return NagRuleCompliance.NOT_APPLICABLE;
      return verdict(foreignRegions(resolvedText(node)).length > 0);
    },
  },
];

export class AnshinResidencyChecks extends NagPack {
  readonly name = 'AnshinResidency';

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'AnshinResidency';
  }

  protected checkResource(node: CfnResource): void {
    if (!CfnResource.isCfnResource(node)) return;
    for (const rule of RESIDENCY_RULES) {
      this.applyRule({ ruleSuffixOverride: rule.suffix, info: rule.info, explanation: rule.explanation, level: NagMessageLevel.ERROR, rule: rule.rule, node });
    }
  }
}
