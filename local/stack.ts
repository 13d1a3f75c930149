import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { RelayClients, RelayDependencies, RelayHandler, RelaySettings } from '../lambdas/relay/app';
import { DEFAULT_CONFIG, HOME_REGION } from '../lib/config';
import { CountingMailer, startControlServer } from './control-server';
import { LocalDeadLetterStore } from './dead-letter-store';
import { startDynamoDbLocal } from './dynamodb-local';
import { removeLocalEndpoints, writeLocalEndpoints } from './endpoints';
import type { LocalEndpoints } from './endpoints';
import { startSmtpIngress } from './ingress/smtp-ingress';
import type { SmtpIngress } from './ingress/smtp-ingress';
import { LOCAL_ACCOUNT_ID } from './kms/keyring';
import { startKmsServer } from './kms/server';
import { jsonLinesLog } from './log';
import type { LocalLog } from './log';
import { OutboxMailer } from './outbox-mailer';
import { MailauthDkimVerifier } from '../lambdas/relay/aws/mailauth-dkim-verifier';
import { SesMailer } from '../lambdas/relay/aws/ses-mailer';
import { localDnsResolver } from './dns-map';
import { startLocalApi } from './api-server';
import { startLocalCognito } from './cognito';
import { assertPortsFree } from './listen';
import { startLocalMenu } from './menu-server';
import { createMenuHandler } from '../lambdas/menu/app';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { localDestructions } from './destructions';
import { createApiHandler } from '../lambdas/api/app';
import { Logger } from '@aws-lambda-powertools/logger';
import { localS3Client } from './s3-client';
import { startS3Server } from './s3-server';
import { LocalHeldMail } from './held-mail';
import type { RateLimits } from '../lambdas/relay/rate-limits';
import { startSesOutboxServer } from './ses-outbox-server';
import { ensureTables, LOCAL_TABLE_NAMES } from './tables';
import { serviceMetrics } from '../lambdas/aws/metrics';
import { SERVICES } from '../lambdas/metric-names';

/** Ports `npm start` uses; SMTP and outbox are part of the local stack contract (DESIGN.md). */
export const LOCAL_PORTS = { smtp: 2525, outbox: 8005, dynamodb: 8000, s3: 4569, kms: 4599, control: 4510, api: 4580, menu: 4590, cognito: 9229 } as const;
type LocalService = keyof typeof LOCAL_PORTS;

/** What each port serves, as a refusal to start names it. */
const SERVICE_NAMES: Readonly<Record<LocalService, string>> = {
  smtp: 'SMTP ingress',
  outbox: 'SES outbox',
  dynamodb: 'DynamoDB Local',
  s3: 'S3',
  kms: 'KMS',
  control: 'control endpoint',
  api: 'marketplace API',
  menu: 'merchant menu',
  cognito: 'Cognito',
};

/** {@link LOCAL_PORTS}, each moved by `offset`: a second stack beside the first. */
export function localPorts(offset = 0): Record<LocalService, number> {
  return Object.fromEntries(Object.entries(LOCAL_PORTS).map(([service, port]) => [service, port + offset])) as Record<LocalService, number>;
}

export const INBOUND_BUCKET = 'anshin-inbound';
/** The local analysis bucket: `anshin analysis export` writes the day's Parquet here. */
const ANALYSIS_BUCKET = 'anshin-analysis';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface LocalStackOptions {
  /** Directory for everything the stack keeps: S3 objects, keys, outbox, notifications, dead letters, endpoints.json. */
  readonly dataDir: string;
  /**
   * Port per service; 0 or absent picks a free one (what tests want). `npm start` passes {@link LOCAL_PORTS}.
   * @default all free ports
   */
  readonly ports?: Readonly<Partial<Record<LocalService, number>>>;
  /**
   * Keep DynamoDB's data on disk under `<dataDir>/dynamodb`; otherwise it lives in memory and is
   * gone when the stack stops. S3 objects and keys are always kept in `dataDir`.
   * @default false
   */
  readonly persistent?: boolean;
  /** @default JSON lines on stderr */
  readonly log?: LocalLog;
  /**
   * Builds the handler the SMTP ingress hands notifications to; tests can wrap or replace the relay.
   * @default createRelayHandler, the relay Lambda's own code
   */
  readonly createRelay?: (deps: RelayDependencies) => RelayHandler;
  /**
   * Largest message the relay sends (`RelaySettings.maxOutboundBytes`), so tests can see the
   * over-size refusal without 40 MB mail. The SMTP ingress and the SES outbox keep SES's 40 MB.
   * @default SES v2's 40 MB
   */
  readonly maxOutboundBytes?: number;
  /**
   * The relay's rate limits, so tests and benchmarks that send more than a store would can lift them.
   * @default the configuration's defaults
   */
  readonly rateLimits?: RateLimits;
}

export interface LocalStack {
  readonly endpoints: LocalEndpoints;
  readonly settings: RelaySettings;
  readonly clients: RelayClients;
  readonly relay: RelayHandler;
  readonly ingress: SmtpIngress;
  /** Mail held back by a rate limit or a paused store, waiting to be handed to the relay again. */
  readonly heldMail: LocalHeldMail;
  /** Stops every server and the DynamoDB Local process and removes endpoints.json; safe to call twice. */
  stop(): Promise<void>;
}

type Stop = () => Promise<void>;

async function stopAll(stops: readonly Stop[], log: LocalLog): Promise<void> {
  for (const stop of [...stops].reverse()) {
    try {
      await stop();
    } catch (error) {
      log('local_stop_failed', { errorName: error instanceof Error ? error.name : 'unknown' });
    }
  }
}

/**
 * Runs the relay on loopback: DynamoDB Local (tables from the shared schema), s3rver with the
 * inbound bucket, the local KMS endpoint, aws-ses-v2-local as the outbox, and an SMTP ingress that
 * turns each received mail into SES's S3 object and receipt notification and hands it to the relay
 * handler, the same code the Lambda runs. Writes `<dataDir>/endpoints.json` once all of it listens.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir);
  const log = options.log ?? jsonLinesLog;
  const ports = options.ports ?? {};
  const region = HOME_REGION;
  await assertPortsFree(Object.entries(ports).map(([service, port]) => ({ service: SERVICE_NAMES[service as LocalService], port })));
  await mkdir(dataDir, { recursive: true });
  const stops: Stop[] = [];

  const started = <T extends { close: Stop }>(starting: Promise<T>): Promise<T> =>
    starting.then((service) => {
      stops.push(service.close);
      return service;
    });
  // Independent services start together; if one fails, the others are stopped before rethrowing.
  const starting = [
    started(startKmsServer({ keyringPath: join(dataDir, 'kms-keys.json'), region, port: ports.kms ?? 0 })),
    started(
      startDynamoDbLocal({
        port: ports.dynamodb ?? 0,
        region,
        credentials: LOCAL_CREDENTIALS,
        log,
        ...(options.persistent ? { dbPath: join(dataDir, 'dynamodb') } : {}),
      }),
    ),
    started(startS3Server({ directory: join(dataDir, 's3'), buckets: [INBOUND_BUCKET, ANALYSIS_BUCKET], port: ports.s3 ?? 0, credentials: LOCAL_CREDENTIALS })),
    started(startSesOutboxServer(ports.outbox ?? 0, { outboxDir: join(dataDir, 'outbox') })),
    started(startLocalCognito({ directory: join(dataDir, 'cognito'), port: ports.cognito ?? 0, region, log })),
  ] as const;
  const failures = (await Promise.allSettled(starting)).filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failures.length > 0) {
    await stopAll(stops, log);
    // Every taken port at once, rather than one per attempt.
    throw failures.length === 1 ? failures[0] : new AggregateError(failures, failures.map((f) => (f instanceof Error ? f.message : String(f))).join('; '));
  }
  const [kms, dynamodb, s3, outbox, cognito] = await Promise.all(starting);

  try {
    // A fresh credentials object per client: the SDK annotates the one it is given.
    const common = () => ({ region, credentials: { ...LOCAL_CREDENTIALS } });
    const clients: RelayClients = {
      dynamodb: new DynamoDBClient({ ...common(), endpoint: dynamodb.url }),
      kms: new KMSClient({ ...common(), endpoint: kms.url }),
      s3: localS3Client({ ...common(), endpoint: s3.url }),
      sesv2: new SESv2Client({ ...common(), endpoint: outbox.url }),
    };
    const cognitoClient = new CognitoIdentityProviderClient({ ...common(), endpoint: cognito.url });
    stops.push(async () => {
      for (const client of [...Object.values(clients), cognitoClient]) client.destroy();
    });
    await ensureTables(clients.dynamodb);

    // The menu listens first: its URL goes into the invitation mails the API sends, and into the
    // List-Unsubscribe of store mail the relay sends; it answers once its handler is made below.
    const menu = await startLocalMenu({ port: ports.menu ?? 0, log });
    stops.push(menu.close);
    const menuUrl = menu.url;
    const settings: RelaySettings = {
      aliasesTable: LOCAL_TABLE_NAMES.aliases,
      storesTable: LOCAL_TABLE_NAMES.stores,
      transmissionsTable: LOCAL_TABLE_NAMES.transmissions,
      dataKeyId: kms.dataKey.arn,
      hmacKeyId: kms.hmacKey.arn,
      relayDomain: DEFAULT_CONFIG.relayDomain,
      transmissionRetentionDays: DEFAULT_CONFIG.retention.classes.transmission.retentionDays,
      contentRetentionDays: DEFAULT_CONFIG.retention.classes.content.retentionDays,
      menuUrl,
      ...(options.maxOutboundBytes === undefined ? {} : { maxOutboundBytes: options.maxOutboundBytes }),
      rateLimits: options.rateLimits ?? DEFAULT_CONFIG.rateLimits,
    };
    const outboxDir = join(dataDir, 'outbox');
    await mkdir(outboxDir, { recursive: true });
    // Loaded only when needed, so a stack with a stand-in relay does not depend on the relay's code.
    const createRelay = options.createRelay ?? (await import('../lambdas/relay/app')).createRelayHandler;
    const mailer = new CountingMailer(new OutboxMailer(new SesMailer(clients.sesv2), outboxDir));
    const deadLettersDir = join(dataDir, 'dead-letters');
    const notificationsDir = join(dataDir, 'notifications');
    const queueArn = `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${INBOUND_BUCKET}`;
    // No retry backoff locally: the ingress keeps a failed notification for redelivery instead.
    const dnsResolver = localDnsResolver(dataDir);
    const heldMail = new LocalHeldMail(queueArn, region, log);
    stops.push(async () => heldMail.close());
    // The relay's metrics go to stdout as embedded metric format lines, beside its log lines, as in Lambda.
    const metrics = serviceMetrics(SERVICES.relay);
    const relay = createRelay({ clients, settings, mailer, deadLetters: new LocalDeadLetterStore(deadLettersDir), holds: heldMail, dnsResolver, metrics });
    heldMail.deliverTo(relay);

    const ingress = await startSmtpIngress({
      port: ports.smtp ?? 0,
      relayDomain: settings.relayDomain,
      region,
      s3: clients.s3,
      bucket: INBOUND_BUCKET,
      topicArn: `arn:aws:sns:${region}:${LOCAL_ACCOUNT_ID}:${INBOUND_BUCKET}`,
      queueArn,
      notificationsDir,
      dkim: new MailauthDkimVerifier(dnsResolver),
      deliver: relay,
      log,
    });
    stops.push(ingress.close);

    const control = await startControlServer({
      port: ports.control ?? 0,
      deadLettersDir,
      notificationsDir,
      deliver: relay,
      mailer,
      queueArn,
      region,
      log,
      contentRetentionDays: DEFAULT_CONFIG.retention.classes.content.retentionDays,
    });
    stops.push(control.close);

    // Invitations and verification links go to the outbox like relayed mail, but are not counted as relayed.
    const noticeMailer = new OutboxMailer(new SesMailer(clients.sesv2), outboxDir);
    const accounts = { userPoolId: cognito.userPoolId, userPoolClientId: cognito.clientId, menuUrl, noticeSender: `no-reply@${settings.relayDomain}` };
    menu.serve(
      createMenuHandler({
        clients: { dynamodb: clients.dynamodb, kms: clients.kms, cognito: cognitoClient, ses: clients.sesv2 },
        settings: {
          ...accounts,
          aliasesTable: LOCAL_TABLE_NAMES.aliases,
          storesTable: LOCAL_TABLE_NAMES.stores,
          transmissionsTable: LOCAL_TABLE_NAMES.transmissions,
          accessTable: LOCAL_TABLE_NAMES.access,
          dataKeyId: kms.dataKey.arn,
          hmacKeyId: kms.hmacKey.arn,
          accessRetentionDays: DEFAULT_CONFIG.retention.classes.access.retentionDays,
          // Plain HTTP on loopback: a Secure cookie would never come back.
          secureCookies: false,
        },
        mailer: noticeMailer,
        logger: new Logger({ serviceName: 'anshin-menu', logLevel: 'SILENT' }),
      }),
    );

    const api = await startLocalApi({
      port: ports.api ?? 0,
      region,
      credentials: LOCAL_CREDENTIALS,
      handler: createApiHandler({
        clients: { dynamodb: clients.dynamodb, kms: clients.kms, cognito: cognitoClient, ses: clients.sesv2 },
        mailer: noticeMailer,
        settings: {
          ...accounts,
          aliasesTable: LOCAL_TABLE_NAMES.aliases,
          storesTable: LOCAL_TABLE_NAMES.stores,
          receiptsTable: LOCAL_TABLE_NAMES.receipts,
          dataKeyId: kms.dataKey.arn,
          hmacKeyId: kms.hmacKey.arn,
          relayDomain: settings.relayDomain,
          aliasValidityDays: DEFAULT_CONFIG.retention.classes.address.retentionDays,
          aliasSupportDays: DEFAULT_CONFIG.retention.classes.address.supportDays,
          evidenceRetentionDays: DEFAULT_CONFIG.retention.classes.evidence.retentionDays,
        },
        destructions: localDestructions({
          clients: { ...clients, cognito: cognitoClient, ses: clients.sesv2 },
          inboundBucket: INBOUND_BUCKET,
          addressKeyId: kms.dataKey.arn,
          hmacKeyId: kms.hmacKey.arn,
          receiptKeyId: kms.receiptKey.arn,
          userPoolId: cognito.userPoolId,
        }),
        logger: new Logger({ serviceName: 'anshin-api', logLevel: 'SILENT' }),
      }),
      log,
    });
    stops.push(api.close);

    const endpoints: LocalEndpoints = {
      smtp: ingress.url,
      outbox: outbox.url,
      dynamodb: dynamodb.url,
      s3: s3.url,
      kms: kms.url,
      control: control.url,
      api: api.url,
      menu: menu.url,
      cognito: { url: cognito.url, userPoolId: cognito.userPoolId, clientId: cognito.clientId },
      relayDomain: settings.relayDomain,
      region,
      outboxDir,
      inboundBucket: INBOUND_BUCKET,
      analysisBucket: ANALYSIS_BUCKET,
      tables: { ...LOCAL_TABLE_NAMES },
      keys: { data: kms.dataKey.arn, hmac: kms.hmacKey.arn, receipts: kms.receiptKey.arn, pseudonym: kms.pseudonymKey.arn },
      credentials: { accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey },
    };
    // Removed first on stop, so a reader never finds endpoints of servers already gone.
    stops.push(() => removeLocalEndpoints(dataDir));
    await writeLocalEndpoints(dataDir, endpoints);

    let stopped: Promise<void> | undefined;
    return {
      endpoints,
      settings,
      clients,
      relay,
      ingress,
      heldMail,
      stop: () => (stopped ??= stopAll(stops, log)),
    };
  } catch (error) {
    await stopAll(stops, log);
    throw error;
  }
}
