import { Logger } from '@aws-lambda-powertools/logger';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { DestructionStarter } from '../lambdas/api/ports';
import { createDestruction, handleDestructionEvent } from '../lambdas/destruction/app';
import { DynamoDeletionRequests } from '../lambdas/records/aws/dynamo-deletion-requests';
import { DEFAULT_CONFIG } from '../lib/config';
import { LOCAL_TABLE_NAMES } from './tables';

/**
 * The local API's destruction function: the deployed function's own code, run in-process on the
 * local servers. A deletion request is carried out before the API answers 202, so its receipt is
 * there when the caller asks.
 */
export function localDestructions(deps: {
  readonly clients: { dynamodb: DynamoDBClient; kms: KMSClient; s3: S3Client; cognito: CognitoIdentityProviderClient; ses: SESv2Client };
  readonly inboundBucket: string;
  readonly addressKeyId: string;
  readonly hmacKeyId: string;
  readonly receiptKeyId: string;
  readonly userPoolId: string;
}): DestructionStarter {
  const destruction = createDestruction({
    logger: new Logger({ serviceName: 'anshin-destruction', logLevel: 'SILENT' }),
    clients: deps.clients,
    settings: { tables: LOCAL_TABLE_NAMES, inboundBucket: deps.inboundBucket, hmacKeyId: deps.hmacKeyId, addressKeyId: deps.addressKeyId, receiptKeyId: deps.receiptKeyId, userPoolId: deps.userPoolId, policy: DEFAULT_CONFIG.retention },
  });
  const requests = new DynamoDeletionRequests(deps.clients.dynamodb, LOCAL_TABLE_NAMES.receipts);
  return {
    start: async (request) => {
      await handleDestructionEvent(destruction, { action: 'destroy', ...request }, requests);
    },
    terminate: (storeId, requestedBy) => destruction.terminate(storeId, requestedBy),
  };
}
