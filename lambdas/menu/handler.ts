import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { MENU_ENV, requireEnv, requireHomeRegion, requirePositiveIntegerEnv } from '../env';
import { createMenuHandler } from './app';
import { serviceMetrics } from '../aws/metrics';
import { SERVICES } from '../metric-names';

requireHomeRegion();

// Clients and configuration are created once per container and reused across invocations.
export const handler = createMenuHandler({
  metrics: serviceMetrics(SERVICES.menu),
  clients: { dynamodb: new DynamoDBClient({}), kms: new KMSClient({}), cognito: new CognitoIdentityProviderClient({}), ses: new SESv2Client({}) },
  settings: {
    aliasesTable: requireEnv(MENU_ENV.aliasesTable),
    storesTable: requireEnv(MENU_ENV.storesTable),
    transmissionsTable: requireEnv(MENU_ENV.transmissionsTable),
    accessTable: requireEnv(MENU_ENV.accessTable),
    dataKeyId: requireEnv(MENU_ENV.addressKeyId),
    hmacKeyId: requireEnv(MENU_ENV.hmacKeyId),
    userPoolId: requireEnv(MENU_ENV.userPoolId),
    userPoolClientId: requireEnv(MENU_ENV.userPoolClientId),
    menuUrl: requireEnv(MENU_ENV.menuUrl),
    noticeSender: requireEnv(MENU_ENV.noticeSender),
    accessRetentionDays: requirePositiveIntegerEnv(MENU_ENV.accessRetentionDays),
    secureCookies: true,
  },
});
