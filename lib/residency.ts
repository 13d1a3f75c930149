/**
 * Data residency: user data of this service may only exist in {@link HOME_REGION}. The stack's
 * region is checked when the stack is created, and every role is bounded to the region. Resources
 * that would copy data elsewhere are flagged at synthesis by the `AnshinResidency` rule pack
 * (`residency-pack.ts`), which walks the whole construct tree, so a construct added later (or by a
 * library) cannot slip one in.
 */
import { Token, Validations } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import { Effect, ManagedPolicy, PermissionsBoundary, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { HOME_REGION } from './config';

export class ResidencyError extends Error {
  override readonly name = 'ResidencyError';
}

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

