/**
 * Data residency guard: user data of this service may only exist in {@link HOME_REGION}. The stack's
 * region is checked when the stack is created; features that copy data to another region are
 * rejected by an aspect that walks the whole construct tree at synthesis, so a construct added later
 * (or by a library) cannot slip one in.
 */
import { CfnResource, Stack, Token, Validations } from 'aws-cdk-lib';
import { Effect, ManagedPolicy, PermissionsBoundary, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IAspect } from 'aws-cdk-lib';
import { CfnGlobalTable } from 'aws-cdk-lib/aws-dynamodb';
import { CfnKey } from 'aws-cdk-lib/aws-kms';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { HOME_REGION } from './config';

export class ResidencyError extends Error {
  override readonly name = 'ResidencyError';
}

/** Resource types that exist to span regions, whatever their properties. */
const CROSS_REGION_RESOURCES: Readonly<Record<string, string>> = {
  'AWS::KMS::ReplicaKey': 'a KMS replica key copies key material to another region',
  'AWS::S3::MultiRegionAccessPoint': 'an S3 multi-region access point spans regions',
  'Custom::DynamoDBReplica': 'a DynamoDB replica (Table.replicationRegions)',
  'Custom::CrossRegionExportWriter': 'a cross-region stack reference',
  'Custom::CrossRegionExportReader': 'a cross-region stack reference',
};

/** Fails unless the stack is bound to exactly the home region. */
export function assertHomeRegion(stack: Stack): void {
  const region = stack.region;
  if (Token.isUnresolved(region)) {
    throw new ResidencyError(
      `stack ${stack.node.path} has no concrete region; it must be deployed to ${HOME_REGION} (set env.region, never leave it environment-agnostic)`,
    );
  }
  if (region !== HOME_REGION) {
    throw new ResidencyError(`stack ${stack.node.path} targets ${region}; user data may only live in ${HOME_REGION}`);
  }
}

/**
 * Rejects, at synthesis, every resource that would put data or keys outside {@link HOME_REGION}:
 * DynamoDB global-table replicas, S3 replication and multi-region access points, multi-region and
 * replica KMS keys, cross-region references. A value that is only known at deploy time counts as a
 * violation, because it cannot be shown to stay home.
 */
export class ResidencyGuard implements IAspect {
  visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) return;
    const reason = violation(node);
    if (reason !== undefined) {
      throw new ResidencyError(`${node.node.path}: ${reason}; user data may only live in ${HOME_REGION}`);
    }
  }
}

function violation(resource: CfnResource): string | undefined {
  const crossRegion = CROSS_REGION_RESOURCES[resource.cfnResourceType];
  if (crossRegion !== undefined) return crossRegion;
  const stack = Stack.of(resource);
  if (resource instanceof CfnKey) {
    const multiRegion: unknown = stack.resolve(resource.multiRegion);
    if (multiRegion !== undefined && multiRegion !== false) return 'a multi-region KMS key can be replicated to other regions';
  }
  if (resource instanceof CfnBucket && resource.replicationConfiguration !== undefined) {
    return 'S3 replication copies objects out of the bucket';
  }
  if (resource instanceof CfnGlobalTable) {
    const replicas: unknown = stack.resolve(resource.replicas);
    const regions = Array.isArray(replicas) ? replicas.map((replica: unknown) => (replica as { region?: unknown }).region) : [undefined];
    const foreign = regions.filter((region) => region !== HOME_REGION);
    if (foreign.length > 0) return `a DynamoDB global table replicates to ${foreign.map((region) => JSON.stringify(region)).join(', ')}`;
  }
  return undefined;
}

/**
 * The permissions boundary of every IAM role in the stack, custom-resource roles included: whatever
 * a role's own policies allow, nothing is allowed against another region. No global service is
 * exempted: no function or custom resource of the stack calls IAM, STS, CloudFront or Route 53.
 */
export function boundToHomeRegion(stack: Stack): ManagedPolicy {
  const boundary = new ManagedPolicy(stack, 'HomeRegionBoundary', {
    description: `Permissions boundary of every role of ${stack.stackName}: no action outside ${HOME_REGION}`,
    document: new PolicyDocument({
      statements: [
        // A boundary only caps: each role's own policy still grants exactly what it needs.
        new PolicyStatement({ sid: 'CapAtOwnPolicies', effect: Effect.ALLOW, actions: ['*'], resources: ['*'] }),
        new PolicyStatement({
          sid: 'DenyOutsideHomeRegion',
          effect: Effect.DENY,
          actions: ['*'],
          resources: ['*'],
          conditions: { StringNotEquals: { 'aws:RequestedRegion': HOME_REGION } },
        }),
      ],
    }),
  });
  PermissionsBoundary.of(stack).apply(boundary);
  const reason = "A permissions boundary, attached to no role as a policy: its Allow * only caps each role at its own policy's grants, and its Deny removes every other region.";
  Validations.of(boundary).acknowledge({ id: 'AwsSolutions-IAM5[Action::*]', reason }, { id: 'AwsSolutions-IAM5[Resource::*]', reason });
  return boundary;
}

