import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccountRootPrincipal, ArnPrincipal, PolicyDocument, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { customerAddressContext, storeContactContext } from '../../lambdas/aliases/encryption-contexts';
import { HOME_REGION } from '../config';
import { logsServicePrincipalName } from '../secure-defaults';

export interface DataKeysProps {
  /**
   * Days a key scheduled for deletion can still be cancelled. Deleting a key makes every ciphertext and
   * address hash made with it unusable, so the longest window KMS allows is the default.
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
  /**
   * The one role besides the functions that may decrypt addresses: for an emergency, with its use
   * recorded by the audit trail. None by default.
   */
  readonly breakGlassRoleArn?: string;
}

/**
 * What the account may do with a key: manage it (its policy, rotation, aliases, tags, deletion), never
 * use it. `kms:CreateGrant` is left out: a grant would give a principal use without the key policy.
 */
const ADMINISTRATION_ACTIONS = [
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:UpdateAlias',
  'kms:Describe*',
  'kms:List*',
  'kms:Get*',
  'kms:Put*',
  'kms:Update*',
  'kms:Enable*',
  'kms:Disable*',
  'kms:RevokeGrant',
  'kms:RetireGrant',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];

/** A key policy with administration for the account and no use by anyone yet. */
function administeredOnly(): PolicyDocument {
  return new PolicyDocument({
    statements: [new PolicyStatement({ sid: 'AccountAdministersTheKey', principals: [new AccountRootPrincipal()], actions: ADMINISTRATION_ACTIONS, resources: ['*'] })],
  });
}

/**
 * The three customer-managed keys of the service, each with a key policy that separates
 * administration (the account) from use (named principals only; no `kms:*` for anyone):
 * - `addressKey` (symmetric, rotated yearly) encrypts real addresses and nothing else. Only the
 *   function roles that need it may use it, each for the encryption contexts it uses, and the
 *   break-glass role if one is configured.
 * - `dataKey` (symmetric, rotated yearly) encrypts every store at rest: tables, buckets, topics,
 *   queues, log groups, the audit trail. Principals of the account may use it only through those
 *   services (DynamoDB, SQS, SNS, S3 in the home region), never directly.
 * - `hmacKey` (HMAC_256) computes the keyed hash of real addresses and derives aliases; only the
 *   function roles named may use it. Its secret never leaves KMS.
 * - `receiptKey` (ECC_NIST_P256) signs receipts; only the retention and destruction roles may sign,
 *   and the account may read its public key (`kms:GetPublicKey`) to verify them.
 * - `pseudonymKey` (HMAC_256) derives the pseudonym key of a named investigation's analysis export;
 *   only the export function may use it. A separate key, so nothing that pseudonymises can compute
 *   an address hash or an alias.
 *
 * All are retained when the stack is deleted: without them the stored data can no longer be read, and
 * deleting them is a decision for the destruction procedure, not for `cdk destroy`.
 */
export class DataKeys extends Construct {
  readonly addressKey: Key;
  readonly dataKey: Key;
  readonly hmacKey: Key;
  /** Signs receipts (ECDSA P-256); its public key is all a verifier needs. */
  readonly receiptKey: Key;
  readonly pseudonymKey: Key;

  constructor(scope: Construct, id: string, props: DataKeysProps = {}) {
    super(scope, id);
    const pendingWindow = props.pendingWindow ?? Duration.days(30);
    const stack = Stack.of(this);

    this.addressKey = new Key(this, 'AddressKey', {
      description: 'anshin-relay: encrypts real addresses, and only them',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow,
      policy: administeredOnly(),
    });
    if (props.breakGlassRoleArn !== undefined) {
      this.addressKey.addToResourcePolicy(
        new PolicyStatement({ sid: 'BreakGlassMayDecryptAddresses', principals: [new ArnPrincipal(props.breakGlassRoleArn)], actions: ['kms:Decrypt'], resources: ['*'] }),
      );
    }

    this.dataKey = new Key(this, 'DataKey', {
      description: 'anshin-relay: encrypts every data store at rest (tables, buckets, topics, queues, logs)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow,
      policy: administeredOnly(),
    });
    this.dataKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AccountUsesTheKeyOnlyThroughDataServices',
        principals: [new AccountRootPrincipal()],
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'kms:CallerAccount': stack.account,
            'kms:ViaService': ['dynamodb', 'sqs', 'sns', 's3'].map((service) => `${service}.${HOME_REGION}.amazonaws.com`),
          },
        },
      }),
    );

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
      policy: administeredOnly(),
    });
    this.receiptKey = new Key(this, 'ReceiptKey', {
      description: 'anshin-relay: signs retention, destruction and termination receipts',
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow,
      policy: administeredOnly(),
    });
    this.pseudonymKey = new Key(this, 'PseudonymKey', {
      description: "anshin-relay: derives the pseudonym keys of named investigations' analysis exports",
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow,
      policy: administeredOnly(),
    });
    Validations.of(this.pseudonymKey).acknowledge({
      id: 'AwsSolutions-KMS5',
      reason: "KMS cannot rotate HMAC keys automatically; rotating by hand would change every open investigation's pseudonyms. Only GenerateMac is granted, to the export function.",
    });
    Validations.of(this.receiptKey).acknowledge({
      id: 'AwsSolutions-KMS5',
      reason: 'KMS does not rotate asymmetric keys; a new key would leave the receipts signed so far verifiable only with the old public key.',
    });
    Validations.of(this.hmacKey).acknowledge({
      id: 'AwsSolutions-KMS5',
      reason:
        'KMS cannot rotate HMAC keys automatically, and rotating by hand would change every address hash and derived alias; the key never leaves KMS and only GenerateMac is granted.',
    });
  }
  /**
   * CloudWatch publishes alarms to the encrypted alarm topic: it may use the data key for that,
   * for this account's alarms only.
   */
  allowCloudWatchAlarms(): void {
    this.dataKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
  }

  /**
   * Names a role as a user of a key in the key's own policy: with no account-wide use, the key
   * policy is what lets a role use the address and HMAC keys at all.
   */
  static allowUse(key: Key, role: IRole, actions: readonly string[], conditions?: Record<string, unknown>): void {
    key.addToResourcePolicy(new PolicyStatement({ principals: [role], actions: [...actions], resources: ['*'], ...(conditions ? { conditions } : {}) }));
  }
}

/**
 * Key-policy conditions that hold only for a customer's address: its encryption context has exactly
 * the keys the code binds it with (`lambdas/aliases/encryption-contexts.ts`).
 */
export function customerAddressCondition(): Record<string, unknown> {
  const [key = 'alias'] = Object.keys(customerAddressContext('c-x'));
  return { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [key] }, Null: { [`kms:EncryptionContext:${key}`]: 'false' } };
}

/** Conditions that hold only for a store's addresses of the given purposes (`contact`, `sender`). */
export function storeAddressCondition(purposes: readonly ('contact' | 'sender')[]): Record<string, unknown> {
  const keys = Object.keys(storeContactContext('s'));
  return {
    'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': keys },
    StringEquals: { 'kms:EncryptionContext:purpose': [...purposes] },
    Null: Object.fromEntries(keys.map((key) => [`kms:EncryptionContext:${key}`, 'false'])),
  };
}
