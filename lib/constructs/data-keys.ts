import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { logsServicePrincipalName } from '../secure-defaults';

export interface DataKeysProps {
  /**
   * Days a key scheduled for deletion can still be cancelled. Deleting a key makes every ciphertext and
   * address hash made with it unusable, so the longest window KMS allows is the default.
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
}

/**
 * The two customer-managed keys of the service:
 * - `dataKey` (symmetric, rotated yearly) encrypts real addresses and every store at rest: tables,
 *   inbound bucket, topic, queues and log groups.
 * - `hmacKey` (HMAC_256) computes the keyed hash of real addresses and derives aliases. Its secret never
 *   leaves KMS, so it appears in no template, environment variable or log.
 *
 * Both are retained when the stack is deleted: without them the stored data can no longer be read, and
 * deleting them is a decision for the destruction procedure, not for `cdk destroy`.
 */
export class DataKeys extends Construct {
  readonly dataKey: Key;
  readonly hmacKey: Key;

  constructor(scope: Construct, id: string, props: DataKeysProps = {}) {
    super(scope, id);
    const pendingWindow = props.pendingWindow ?? Duration.days(30);
    const stack = Stack.of(this);

    this.dataKey = new Key(this, 'DataKey', {
      description: 'anshin-relay: encrypts real addresses and every data store at rest',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow,
    });

    // CloudWatch Logs encrypts with the key itself and needs a key-policy grant; the encryption
    // context condition limits it to log groups of this account and region.
    this.dataKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccount',
        principals: [new ServicePrincipal(logsServicePrincipalName(stack.region))],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          },
        },
      }),
    );

    this.hmacKey = new Key(this, 'HmacKey', {
      description: 'anshin-relay: keyed hash (HMAC-SHA-256) of real addresses and alias derivation',
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow,
    });
    Validations.of(this.hmacKey).acknowledge({
      id: 'AwsSolutions-KMS5',
      reason:
        'KMS cannot rotate HMAC keys automatically, and rotating by hand would change every address hash and derived alias; the key never leaves KMS and only GenerateMac is granted.',
    });
  }
}
