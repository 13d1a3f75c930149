import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { API_ENV, requireEnv, requireHomeRegion, requirePositiveIntegerEnv } from '../env';
import { createApiHandler } from './app';
import { serviceMetrics } from '../aws/metrics';
import { SERVICES } from '../metric-names';

requireHomeRegion();

// Clients and configuration are created once per container and reused across invocations.
export const handler = createApiHandler({
  metrics: serviceMetrics(SERVICES.api),
  clients: { dynamodb: new DynamoDBClient({}), kms: new KMSClient({}), cognito: new CognitoIdentityProviderClient({}), ses: new SESv2Client({}), lambda: new LambdaClient({}) },
  settings: {
    aliasesTable: requireEnv(API_ENV.aliasesTable),
    storesTable: requireEnv(API_ENV.storesTable),
    receiptsTable: requireEnv(API_ENV.receiptsTable),
    dataKeyId: requireEnv(API_ENV.addressKeyId),
    hmacKeyId: requireEnv(API_ENV.hmacKeyId),
    relayDomain: requireEnv(API_ENV.relayDomain),
    aliasValidityDays: requirePositiveIntegerEnv(API_ENV.aliasValidityDays),
    aliasSupportDays: requirePositiveIntegerEnv(API_ENV.aliasSupportDays),
    evidenceRetentionDays: requirePositiveIntegerEnv(API_ENV.evidenceRetentionDays),
    destructionFunctionName: requireEnv(API_ENV.destructionFunctionName),
    userPoolId: requireEnv(API_ENV.userPoolId),
    userPoolClientId: requireEnv(API_ENV.userPoolClientId),
    menuUrl: requireEnv(API_ENV.menuUrl),
    noticeSender: requireEnv(API_ENV.noticeSender),
  },
});
