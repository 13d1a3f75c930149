import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { RAW_MAIL_PREFIX } from '../secure-defaults';
import type { AnshinFunction } from './anshin-function';

/**
 * Lets a function erase raw mail for good: list the object versions and delete markers below
 * `inbound/` and delete them version by version, since in a versioned bucket a plain deletion only
 * hides the mail behind a delete marker. Listing is allowed only with a prefix inside `inbound/`;
 * the function can neither read the mail nor touch anything else in the bucket. S3 needs no key for
 * listing or deleting, so none is granted here.
 */
export function allowRawMailErasure(fn: AnshinFunction, bucket: Bucket): void {
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:ListBucket', 's3:ListBucketVersions'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${RAW_MAIL_PREFIX}*`] } },
    }),
  );
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], resources: [bucket.arnForObjects(`${RAW_MAIL_PREFIX}*`)] }),
  );
  const bucketLogicalId: unknown = Stack.of(bucket).resolve((bucket.node.defaultChild as CfnBucket).logicalId);
  const policy = fn.role.node.tryFindChild('DefaultPolicy');
  if (policy !== undefined) {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${String(bucketLogicalId)}.Arn>/${RAW_MAIL_PREFIX}*]`,
      reason: 'Raw mail object keys are SES message IDs, unknown in advance; deletion is limited to the prefix SES writes to.',
    });
  }
}
