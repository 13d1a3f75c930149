import { randomBytes } from 'node:crypto';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { Router } from '@aws-lambda-powertools/event-handler/http';
import type { RequestContext } from '@aws-lambda-powertools/event-handler/types';
import { Logger } from '@aws-lambda-powertools/logger';
import { NO_METRICS, statusClass } from '../aws/metrics';
import type { FunctionMetrics } from '../aws/metrics';
import { DIMENSION, METRIC, SERVICES } from '../metric-names';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import * as z from 'zod';
import { addressMacInput } from '../aliases/address';
import { disableAlias, getAliasView, listCustomerAliases } from '../aliases/administration';
import { DynamoAliasStore } from '../aliases/aws/dynamo-alias-store';
import { DynamoStoreDirectory } from '../aliases/aws/dynamo-store-directory';
import { issueAlias } from '../aliases/issuance';
import { storeContactContext } from '../aliases/encryption-contexts';
import { addSender, getStoreView, listStores, putStore, removeSender, requireStoreId, StoreNotFoundError, StoreTerminatedError } from '../aliases/stores';
import { isStoreGone } from '../aliases/lifecycle';
import { CognitoIdentityProvider } from '../menu/aws/cognito-identity-provider';
import { inviteStore } from '../menu/invitations';
import { ComposedNoticeMailer } from '../menu/notice-mailer';
import type { InvitationDeps } from '../menu/invitations';
import { SesMailer } from '../relay/aws/ses-mailer';
import type { Mailer } from '../relay/ports';
import { KmsKeyService } from '../keys/aws/kms-key-service';
import { CachingKeyService } from '../keys/caching-key-service';
import type { KeyService } from '../keys/ports';
import { DynamoDeletionRequests } from '../records/aws/dynamo-deletion-requests';
import { DynamoReceiptLog } from '../records/aws/dynamo-receipt-log';
import { newRequestId } from '../records/deletion-requests';
import type { DeletionRequestLog } from '../records/deletion-requests';
import type { ReceiptLog } from '../records/receipts';
import { epochSecondsAfter } from '../records/retention-policy';
import { DynamoIdempotencyKeys } from './aws/dynamo-idempotency-keys';
import { LambdaDestructionStarter } from './aws/lambda-destruction-starter';
import { aliasRequestFingerprint, IDEMPOTENCY_WINDOW_MS } from './idempotency';
import type { IdempotencyKeys } from './idempotency';
import { PROBLEM_JSON } from './openapi';
import type { DestructionStarter } from './ports';
import { DeletionRequestNotFoundError, MalformedBodyError, problemOf } from './problems';
import { requesterOf } from './requester';
import { ROUTES } from './routes';
import type { Route } from './routes';
import { AliasBody, DEFAULT_PAGE_LIMIT, DeletionRequestBody, PageQuery, PauseBody, SenderBody, StoreBody, StoreLimitsBody } from './schemas';
import { pauseStore, setStoreLimits, unpauseStore } from '../aliases/store-controls';

interface ApiSettings {
  readonly aliasesTable: string;
  readonly storesTable: string;
  readonly receiptsTable: string;
  readonly dataKeyId: string;
  readonly hmacKeyId: string;
  readonly relayDomain: string;
  /** Days an issued alias relays, and days it is kept after (the address class's periods). */
  readonly aliasValidityDays: number;
  readonly aliasSupportDays: number;
  /** Days a deletion request is kept: as long as the receipt it leads to (evidence). */
  readonly evidenceRetentionDays: number;
  /** The destruction function deletion requests are handed to (`destructions` replaces it). */
  readonly destructionFunctionName?: string;
  /** The stores' menu accounts: a new store gets one, invited by mail to its contact address. */
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  readonly menuUrl: string;
  readonly noticeSender: string;
}

export interface ApiDependencies {
  readonly clients: {
    readonly dynamodb: DynamoDBClient;
    readonly kms: KMSClient;
    readonly cognito: CognitoIdentityProviderClient;
    readonly ses: SESv2Client;
    readonly lambda?: LambdaClient;
  };
  readonly settings: ApiSettings;
  /** Defaults to invoking `settings.destructionFunctionName` with the `lambda` client. */
  readonly destructions?: DestructionStarter;
  /** Replaces the SES mailer of invitations (the local stack keeps a copy of what is sent). */
  readonly mailer?: Mailer;
  readonly clock?: () => Date;
  readonly logger?: Logger;
  readonly metrics?: FunctionMetrics;
}

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

interface ApiPorts {
  readonly aliases: DynamoAliasStore;
  readonly stores: DynamoStoreDirectory;
  readonly keys: KeyService;
  readonly idempotency: IdempotencyKeys;
  readonly requests: DeletionRequestLog;
  readonly receipts: ReceiptLog;
  readonly destructions: DestructionStarter;
  readonly invitations: InvitationDeps;
}

function createApiPorts(deps: ApiDependencies): ApiPorts {
  const { clients, settings } = deps;
  const destructions = deps.destructions ?? lambdaStarter(deps);
  return {
    aliases: new DynamoAliasStore(clients.dynamodb, settings.aliasesTable),
    stores: new DynamoStoreDirectory(clients.dynamodb, settings.storesTable),
    // Issuing an alias hashes the customer's address for the Idempotency-Key fingerprint and again for the record: once to KMS.
    keys: new CachingKeyService(new KmsKeyService(clients.kms, { dataKeyId: settings.dataKeyId, hmacKeyId: settings.hmacKeyId })),
    idempotency: new DynamoIdempotencyKeys(clients.dynamodb, settings.aliasesTable),
    requests: new DynamoDeletionRequests(clients.dynamodb, settings.receiptsTable),
    receipts: new DynamoReceiptLog(clients.dynamodb, settings.receiptsTable),
    destructions,
    invitations: {
      identity: new CognitoIdentityProvider(clients.cognito, { userPoolId: settings.userPoolId, clientId: settings.userPoolClientId }),
      mailer: new ComposedNoticeMailer(deps.mailer ?? new SesMailer(clients.ses), settings.noticeSender),
      menuUrl: settings.menuUrl,
    },
  };
}

function lambdaStarter(deps: ApiDependencies): DestructionStarter {
  const { lambda } = deps.clients;
  const name = deps.settings.destructionFunctionName;
  if (!lambda || !name) throw new Error('the API needs the destruction function (settings.destructionFunctionName and a lambda client) or a destruction starter');
  return new LambdaDestructionStarter(lambda, name);
}

const json = (status: number, body: unknown): Response => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

async function bodyOf<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await req.text());
  } catch {
    throw new MalformedBodyError('the body is not JSON');
  }
  return schema.parse(parsed);
}

/** A listing's page, from its query string: validated as the OpenAPI document describes it. */
function pageOf(req: Request): { readonly limit: number; readonly cursor?: string } {
  const query = Object.fromEntries(new URL(req.url).searchParams);
  const { limit, cursor } = z.object(PageQuery).parse({ limit: query.limit, cursor: query.cursor });
  return { limit: limit === undefined ? DEFAULT_PAGE_LIMIT : Number(limit), ...(cursor === undefined ? {} : { cursor }) };
}

/**
 * Who a deletion request names. An alias must be on record now: once it is gone the customer can no
 * longer be found through it, and the caller should hear so at once rather than from a failed run.
 */
async function deletionSubjectOf(body: z.infer<typeof DeletionRequestBody>, aliases: DynamoAliasStore, now: Date): Promise<Parameters<DestructionStarter['start']>[0]['subject']> {
  if ('storeId' in body) return { kind: 'store', storeId: body.storeId };
  if ('customerEmail' in body) return { kind: 'customer', email: body.customerEmail };
  const view = await getAliasView(body.customerAlias, { aliases, now });
  return { kind: 'customer', alias: view.alias };
}

/** `/stores/{storeId}` → `/stores/:storeId`, the router's form. */
function routerPath(route: Route): `/${string}` {
  return route.path.replace(/\{(\w+)\}/g, ':$1') as `/${string}`;
}

type Handler = (reqCtx: RequestContext) => Promise<Response>;

/**
 * The marketplace API as one Lambda behind API Gateway: each route of {@link ROUTES} validated with
 * its schema, carried out by the aliases and stores contexts, and answered as JSON, or as an RFC 9457
 * problem naming the field at fault. Answers, log lines and errors never hold a real address.
 */
export function createApiHandler(deps: ApiDependencies): ApiHandler {
  const ports = createApiPorts(deps);
  const { settings } = deps;
  const clock = deps.clock ?? (() => new Date());
  const logger = deps.logger ?? new Logger({ serviceName: SERVICES.api });
  const metrics = deps.metrics ?? NO_METRICS;
  const random = (): string => randomBytes(8).toString('hex');

  const handlers: Record<(typeof ROUTES)[number]['operationId'], Handler> = {
    putStore: async ({ req, params }) => {
      const body = await bodyOf(req, StoreBody);
      const { store, created } = await putStore({ storeId: params.storeId ?? '', ...body }, { stores: ports.stores, keys: ports.keys, now: clock(), random });
      if (created) await inviteStore(store.storeId, body.contact, ports.invitations);
      return json(created ? 201 : 200, store);
    },
    setStoreLimits: async ({ req, params }) => {
      const body = await bodyOf(req, StoreLimitsBody);
      return json(200, await setStoreLimits(params.storeId ?? '', body, { stores: ports.stores, now: clock() }));
    },
    pauseStore: async ({ req, params }) => {
      const body = await bodyOf(req, PauseBody);
      return json(200, await pauseStore(params.storeId ?? '', body.reason ?? 'operator', { stores: ports.stores, now: clock() }));
    },
    unpauseStore: async ({ params }) => json(200, await unpauseStore(params.storeId ?? '', { stores: ports.stores, now: clock() })),
    listStores: async ({ req }) => {
      const page = await listStores(pageOf(req), { stores: ports.stores, now: clock() });
      return json(200, { stores: page.items, ...(page.cursor === undefined ? {} : { nextCursor: page.cursor }) });
    },
    listStoreAliases: async ({ req, params }) => {
      const page = await listCustomerAliases(params.storeId ?? '', pageOf(req), { administration: ports.aliases, stores: ports.stores, now: clock() });
      return json(200, { aliases: page.items, ...(page.cursor === undefined ? {} : { nextCursor: page.cursor }) });
    },
    getStore: async ({ params }) => {
      const now = clock();
      const store = await getStoreView(params.storeId ?? '', { stores: ports.stores, now });
      return json(200, { ...store, liveAliasCount: await ports.aliases.countLiveCustomerAliases(store.storeId, now) });
    },
    addSender: async ({ req, params }) => {
      const body = await bodyOf(req, SenderBody);
      const { senderId, created } = await addSender(params.storeId ?? '', body.address, { stores: ports.stores, keys: ports.keys, now: clock(), random });
      return json(created ? 201 : 200, { senderId });
    },
    removeSender: async ({ params }) => {
      await removeSender(params.storeId ?? '', params.senderId ?? '', { stores: ports.stores, now: clock() });
      return new Response(null, { status: 204 });
    },
    inviteStore: async ({ params }) => {
      const storeId = requireStoreId(params.storeId ?? '');
      const store = await ports.stores.getStore(storeId);
      if (!store) throw new StoreNotFoundError(`store ${storeId} does not exist`);
      if (isStoreGone(store, clock())) throw new StoreTerminatedError(`store ${storeId} was terminated`);
      const contact = await ports.keys.decrypt(store.contactCipher, storeContactContext(storeId));
      const { temporaryPassword, created } = await inviteStore(storeId, contact, ports.invitations);
      return json(201, { storeId, temporaryPassword, created });
    },
    terminateStore: async ({ params, event }) => {
      const storeId = requireStoreId(params.storeId ?? '');
      await getStoreView(storeId, { stores: ports.stores, now: clock() });
      return json(200, await ports.destructions.terminate(storeId, requesterOf(event as APIGatewayProxyEvent)));
    },
    issueAlias: async ({ req }) => {
      const body = await bodyOf(req, AliasBody);
      const now = clock();
      const key = req.headers.get('idempotency-key');
      const customerHash = await ports.keys.mac(addressMacInput(body.customerEmail));
      const taken = key ? await ports.idempotency.take(key, aliasRequestFingerprint(body.storeId, body.orderId, customerHash), new Date(now.getTime() + IDEMPOTENCY_WINDOW_MS)) : {};
      const issued = await issueAlias(
        { storeId: body.storeId, orderId: body.orderId, customer: body.customerEmail },
        {
          aliases: ports.aliases,
          stores: ports.stores,
          keys: ports.keys,
          now,
          relayDomain: settings.relayDomain,
          validityDays: settings.aliasValidityDays,
          supportDays: settings.aliasSupportDays,
        },
      );
      const status = taken.firstStatus ?? (issued.created ? 201 : 200);
      if (key && taken.firstStatus === undefined) await ports.idempotency.answered(key, status);
      return json(status, { alias: issued.address, expiresAt: issued.expiresAt });
    },
    getAlias: async ({ params }) => json(200, await getAliasView(params.alias ?? '', { aliases: ports.aliases, now: clock() })),
    disableAlias: async ({ params }) =>
      json(200, await disableAlias(params.alias ?? '', { aliases: ports.aliases, administration: ports.aliases, keys: ports.keys, now: clock() })),
    requestDeletion: async ({ req, event }) => {
      const body = await bodyOf(req, DeletionRequestBody);
      const now = clock();
      const requestId = newRequestId();
      const requestedBy = requesterOf(event as APIGatewayProxyEvent);
      const subject = await deletionSubjectOf(body, ports.aliases, now);
      await ports.requests.accept({
        requestId,
        subjectKind: subject.kind,
        requestedBy,
        acceptedAt: now.toISOString(),
        status: 'accepted',
        purgeAt: epochSecondsAfter(now, settings.evidenceRetentionDays),
      });
      await ports.destructions.start({ requestId, subject, requestedBy });
      return json(202, { requestId, status: 'accepted' });
    },
    getDeletionRequest: async ({ params }) => {
      const record = await ports.requests.get(params.requestId ?? '');
      if (!record) throw new DeletionRequestNotFoundError(`no deletion request ${String(params.requestId).slice(0, 40)}`);
      const receipt = record.receiptId === undefined ? undefined : await ports.receipts.get('destruction', record.receiptId);
      return json(200, { requestId: record.requestId, status: record.status, ...(receipt ? { receipt } : {}) });
    },
  };

  const app = new Router({ logger });
  for (const route of ROUTES as readonly Route[]) {
    const handler = handlers[route.operationId as keyof typeof handlers];
    const register = { GET: app.get, PUT: app.put, POST: app.post, DELETE: app.delete }[route.method].bind(app);
    register(routerPath(route), async (reqCtx: RequestContext) => {
      try {
        return await handler(reqCtx);
      } catch (error) {
        const problem = problemOf(error);
        // Names only: a message from a dependency could quote what it was given.
        if (problem.status >= 500) logger.error('api_failed', { operationId: route.operationId, errorName: error instanceof Error ? error.name : 'unknown' });
        else logger.info('api_refused', { operationId: route.operationId, status: problem.status, type: problem.type });
        return new Response(JSON.stringify(problem), { status: problem.status, headers: { 'content-type': PROBLEM_JSON } });
      }
    });
  }
  app.notFound(async () => new Response(JSON.stringify(problemOf(new DeletionRequestNotFoundError("no such operation"))), { status: 404, headers: { "content-type": PROBLEM_JSON } }));

  return async (event, context) => {
    const result = await app.resolve(event, context);
    logger.info('api_request', { method: event.httpMethod, resource: event.resource, status: result.statusCode });
    metrics.countBy(METRIC.requests, DIMENSION.result, statusClass(result.statusCode));
    metrics.publish();
    return result;
  };
}
