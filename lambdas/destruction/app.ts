import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, NO_METRICS } from '../aws/metrics';
import type { FunctionMetrics } from '../aws/metrics';
import { DIMENSION, METRIC, SERVICES } from '../metric-names';
import { DynamoDeletionRequests } from '../records/aws/dynamo-deletion-requests';
import { DynamoReceiptLog } from '../records/aws/dynamo-receipt-log';
import { KmsReceiptSigner } from '../records/aws/kms-receipt-signer';
import type { DeletionRequestLog } from '../records/deletion-requests';
import { CognitoIdentityProvider } from '../menu/aws/cognito-identity-provider';
import { SesSuppressionList } from './aws/ses-suppression-list';
import { DynamoSubjectAccessRecords } from '../menu/aws/dynamo-subject-access';
import { DynamoSubjectAliases } from '../aliases/aws/dynamo-subject-aliases';
import { DynamoSubjectStoreItems } from '../aliases/aws/dynamo-subject-stores';
import { DynamoSubjectTransmissions } from '../relay/aws/dynamo-subject-transmissions';
import { KmsKeyService, KmsMacService } from '../keys/aws/kms-key-service';
import { DynamoAliasStore } from '../aliases/aws/dynamo-alias-store';
import { customerOfAlias } from './customer-alias';
import type { CustomerAliasLookup } from './customer-alias';
import { S3RawMailArchive } from '../records/aws/s3-raw-mail-archive';
import { destroySubject } from './destruction';
import type { DestructionReceipt } from './destruction';
import type { SubjectPorts } from './ports';
import { isCustomerByAlias, parseDestructionEvent } from './request';
import type { DestructionTarget } from './request';
import type { DestructionProgress } from './steps';
import type { RawMailArchive } from '../records/ports';
import type { Receipt } from '../records/receipts';
import type { RetentionPolicy } from '../records/retention-policy';
import { terminateStore } from './termination';
import type { TableKey } from '../records/table-schema';

export type { DestructionStep } from './steps';

interface DestructionSettings {
  readonly tables: Readonly<Record<TableKey, string>>;
  readonly inboundBucket: string;
  readonly hmacKeyId: string;
  /** The address key: a customer named by alias is found by decrypting the alias's address. */
  readonly addressKeyId: string;
  readonly policy: RetentionPolicy;
  /** The stores' user pool: a store's menu account is erased with it. */
  readonly userPoolId: string;
  /** The asymmetric key every receipt is signed with. */
  readonly receiptKeyId: string;
}

export interface DestructionDependencies {
  readonly clients: {
    readonly dynamodb: DynamoDBClient;
    readonly kms: KMSClient;
    readonly s3: S3Client;
    readonly cognito: CognitoIdentityProviderClient;
    /** SES's suppression list, which a customer's destruction clears. */
    readonly ses: SESv2Client;
  };
  readonly settings: DestructionSettings;
  /** Defaults to the inbound bucket through `clients.s3`. */
  readonly rawMail?: RawMailArchive;
  readonly clock?: () => Date;
  readonly logger?: Logger;
  readonly metrics?: FunctionMetrics;
}

export interface Destruction {
  /** Erases everything about the subject now and returns the receipt; every count 0 when nothing was left. */
  destroy(target: DestructionTarget, requestedBy: string, progress?: DestructionProgress): Promise<DestructionReceipt>;
  /** Stops the store at once and dates the erasure of its data to the end of the support period. */
  terminate(storeId: string, requestedBy: string): Promise<Receipt>;
}

function createSubjectPorts(deps: DestructionDependencies): SubjectPorts {
  const { clients, settings } = deps;
  // Destruction only looks accounts up and deletes them: no sign-in, so no app client.
  const accounts = new CognitoIdentityProvider(clients.cognito, { userPoolId: settings.userPoolId, clientId: '' });
  return {
    // The HMAC key, for the look-up hash of a customer's address and the receipt's subject hash. The
    // only decryption destruction does is of the address behind an alias it was named by.
    keys: new KmsMacService(clients.kms, settings.hmacKeyId),
    aliases: new DynamoSubjectAliases(clients.dynamodb, settings.tables.aliases),
    stores: new DynamoSubjectStoreItems(clients.dynamodb, settings.tables.stores),
    transmissions: new DynamoSubjectTransmissions(clients.dynamodb, settings.tables.transmissions),
    access: new DynamoSubjectAccessRecords(clients.dynamodb, settings.tables.access),
    menuAccounts: { exists: (storeId) => accounts.hasAccount(storeId), remove: (storeId) => accounts.deleteAccount(storeId) },
    suppressions: new SesSuppressionList(clients.ses),
    rawMail: deps.rawMail ?? new S3RawMailArchive(clients.s3, settings.inboundBucket),
    receipts: new DynamoReceiptLog(clients.dynamodb, settings.tables.receipts, new KmsReceiptSigner(clients.kms, settings.receiptKeyId)),
  };
}

function createAliasLookup({ clients, settings }: DestructionDependencies): CustomerAliasLookup {
  return {
    aliases: new DynamoAliasStore(clients.dynamodb, settings.tables.aliases),
    keys: new KmsKeyService(clients.kms, { dataKeyId: settings.addressKeyId, hmacKeyId: settings.hmacKeyId }),
  };
}

/** Used by the Lambda handler and, in-process against the local stack, by the CLI. */
export function createDestruction(deps: DestructionDependencies): Destruction {
  const ports = createSubjectPorts(deps);
  const aliasLookup = createAliasLookup(deps);
  const clock = deps.clock ?? (() => new Date());
  const logger = deps.logger ?? new Logger({ serviceName: SERVICES.destruction });
  const options = { policy: deps.settings.policy, clock };

  return {
    async destroy(target, requestedBy, progress) {
      const subject = isCustomerByAlias(target) ? await customerOfAlias(target.alias, aliasLookup) : target;
      const receipt = await destroySubject(subject, requestedBy, ports, { ...options, ...(progress ? { progress } : {}) });
      // The subject is logged by its receipt hash (and a store by its ID), never by an address.
      logger.info('subject_destroyed', {
        subjectKind: subject.kind,
        subjectHash: receipt.subject?.hash,
        ...(subject.kind === 'store' ? { storeId: subject.storeId } : {}),
        requestedBy,
        counts: receipt.counts,
        ...(receipt.keptStoreContacts === undefined ? {} : { keptStoreContacts: receipt.keptStoreContacts }),
        receiptId: receipt.receiptId,
      });
      return receipt;
    },
    async terminate(storeId, requestedBy) {
      const receipt = await terminateStore(storeId, requestedBy, ports, options);
      logger.info('store_terminated', { storeId, requestedBy, counts: receipt.counts, eraseAt: receipt.eraseAt, receiptId: receipt.receiptId });
      return receipt;
    },
  };
}

/** Reads one invocation or marketplace event (see `parseDestructionEvent`) and carries it out. */
export async function handleDestructionEvent(destruction: Destruction, event: unknown, requests?: DeletionRequestLog): Promise<Receipt> {
  const request = parseDestructionEvent(event);
  if (request.action === 'terminate') return destruction.terminate(request.storeId, request.requestedBy);
  const receipt = await destruction.destroy(request.subject, request.requestedBy);
  if (request.requestId !== undefined) await requests?.markDone(request.requestId, receipt.receiptId);
  return receipt;
}

export function createDestructionHandler(deps: DestructionDependencies): (event: unknown) => Promise<Receipt> {
  const logger = deps.logger ?? new Logger({ serviceName: SERVICES.destruction });
  const metrics = deps.metrics ?? NO_METRICS;
  const destruction = createDestruction({ ...deps, logger });
  const requests = new DynamoDeletionRequests(deps.clients.dynamodb, deps.settings.tables.receipts);
  return async (event) => {
    const started = performance.now();
    try {
      const receipt = await handleDestructionEvent(destruction, event, requests);
      metrics.countBy(METRIC.destructions, DIMENSION.kind, receipt.kind === 'termination' ? 'termination' : (receipt.subject?.kind ?? 'unknown'));
      metrics.add(METRIC.destructionDuration, (performance.now() - started) / 1000, MetricUnit.Seconds);
      return receipt;
    } catch (error) {
      // The name only: a message from a dependency could quote what it was given.
      logger.error('destruction_failed', { errorName: error instanceof Error ? error.name : 'unknown' });
      metrics.add(METRIC.destructionFailed, 1);
      throw error;
    } finally {
      metrics.publish();
    }
  };
}
