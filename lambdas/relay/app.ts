import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoAliasStore } from '../adapters/dynamo-alias-store';
import { DynamoStoreDirectory } from '../adapters/dynamo-store-directory';
import { DynamoTransmissionLog } from '../adapters/dynamo-transmission-log';
import { KmsKeyService } from '../adapters/kms-key-service';
import { S3RawMailSource } from '../adapters/s3-raw-mail-source';
import { SesMailer } from '../adapters/ses-mailer';
import type { Mailer } from '../core/ports';
import { relayInboundMail } from '../core/relay-inbound-mail';
import type { DeliveryResult, RelayOptions, RelayPorts } from '../core/relay-inbound-mail';
import { parseSesNotification } from './ses-notification';

export interface RelaySettings {
  readonly aliasesTable: string;
  readonly storesTable: string;
  readonly transmissionsTable: string;
  readonly dataKeyId: string;
  readonly hmacKeyId: string;
  readonly relayDomain: string;
  readonly transmissionRetentionDays: number;
  /**
   * Largest rewritten message the relay sends; larger ones are refused as `message_too_large`.
   * @default MAX_OUTBOUND_BYTES, SES v2's 40 MB
   */
  readonly maxOutboundBytes?: number;
}

export interface RelayClients {
  readonly dynamodb: DynamoDBClient;
  readonly kms: KMSClient;
  readonly s3: S3Client;
  readonly sesv2: SESv2Client;
}

export interface RelayDependencies {
  readonly clients: RelayClients;
  readonly settings: RelaySettings;
  /** Defaults to sending through SES v2 with the given client. */
  readonly mailer?: Mailer;
  readonly clock?: () => Date;
  readonly logger?: Logger;
}

export type RelayHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** Builds the adapters over the given clients; used by the Lambda handler and the local stack alike. */
export function createRelayPorts(deps: RelayDependencies): RelayPorts {
  const { clients, settings } = deps;
  return {
    aliases: new DynamoAliasStore(clients.dynamodb, settings.aliasesTable),
    stores: new DynamoStoreDirectory(clients.dynamodb, settings.storesTable),
    transmissions: new DynamoTransmissionLog(clients.dynamodb, settings.transmissionsTable),
    keys: new KmsKeyService(clients.kms, { dataKeyId: settings.dataKeyId, hmacKeyId: settings.hmacKeyId }),
    rawMail: new S3RawMailSource(clients.s3),
    mailer: deps.mailer ?? new SesMailer(clients.sesv2),
  };
}

/** Log attributes of a delivery: alias IDs, store IDs and reasons only, never an address or a subject. */
function logDelivery(logger: Logger, sesMessageId: string, result: DeliveryResult): void {
  if (result.status === 'relayed') logger.info('mail_relayed', { sesMessageId, ...result });
  else if (result.status === 'refused') logger.warn('mail_refused', { sesMessageId, ...result });
  else logger.info('duplicate_delivery_skipped', { sesMessageId, transmissionId: result.transmissionId });
}

/**
 * The relay as an SQS batch handler: each record is one SES receipt notification. Records fail
 * individually (partial batch response), so one bad message never holds back the others.
 */
export function createRelayHandler(deps: RelayDependencies): RelayHandler {
  const ports = createRelayPorts(deps);
  const logger = deps.logger ?? new Logger({ serviceName: 'anshin-relay' });
  const clock = deps.clock ?? (() => new Date());
  const processor = new BatchProcessor(EventType.SQS);
  const options: RelayOptions = {
    relayDomain: deps.settings.relayDomain,
    transmissionRetentionDays: deps.settings.transmissionRetentionDays,
    clock,
    ...(deps.settings.maxOutboundBytes === undefined ? {} : { maxOutboundBytes: deps.settings.maxOutboundBytes }),
  };

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    let sesMessageId: string | undefined;
    try {
      const mail = parseSesNotification(record.body);
      sesMessageId = mail.sesMessageId;
      const results = await relayInboundMail(mail, ports, options);
      for (const result of results) logDelivery(logger, mail.sesMessageId, result);
    } catch (error) {
      logger.error('relay_failed', {
        sqsMessageId: record.messageId,
        sesMessageId,
        errorName: error instanceof Error ? error.name : 'unknown',
      });
      throw error;
    }
  };

  // One record at a time: a record can carry a 40 MB message, which takes about 4.4 times its size
  // to relay (bench/relay-memory.ts); ten of them at once would not fit the function's memory.
  return (event) => processPartialResponse(event, handleRecord, processor, { throwOnFullBatchFailure: false, processInParallel: false });
}
