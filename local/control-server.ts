import { randomUUID } from 'node:crypto';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Mailer, OutboundMessage } from '../lambdas/relay/ports';
import { notificationOutlived } from '../lambdas/relay/replay';
import type { StoredDeadLetter } from './dead-letter-store';
import { HANDLED_NOTIFICATIONS, moveToHandled } from './ingress/smtp-ingress';
import { closeServer, listen, LOOPBACK } from './listen';
import type { LocalLog } from './log';
import { sqsEventOf } from './sqs-event';

/** One dead letter looked at by a replay, locally or on AWS; IDs, reasons and ages only, never an address. */
export interface ReplayItem {
  /** Dead-letter file name without `.json` (locally) or the SQS message ID (AWS). */
  readonly id: string;
  readonly sesMessageId?: string;
  /** The `reason` the relay dead-lettered it with; absent for messages SQS moved after five receives. */
  readonly reason?: string;
  /** Seconds since it was dead-lettered. */
  readonly ageSeconds?: number;
  /**
   * `replayed`: handed back to the relay (and gone from the dead letters); `would_replay`: a dry
   * run's listing; `failed`: the relay failed it again or the move failed; `skipped`: not a
   * dead letter that can be replayed; `expired`: its mail arrived longer ago than the content
   * retention, so it is deleted rather than replayed (a dry run only names it).
   */
  readonly status: 'replayed' | 'would_replay' | 'failed' | 'skipped' | 'expired';
  /** Why it failed or was skipped, as a name (`dead_lettered_again`, an error name), never a message text. */
  readonly detail?: string;
}

interface ReplayRequest {
  readonly dryRun?: boolean;
  readonly limit?: number;
  /** Only these dead letters (file names without `.json`); lets a client replay one at a time. */
  readonly ids?: readonly string[];
}

export interface ReplayResponse {
  readonly dryRun: boolean;
  readonly items: readonly ReplayItem[];
}

/** What one delivery of a stored notification came to. */
export interface RedeliveryAttempt {
  readonly attempt: number;
  /**
   * `sent`: the relay sent mail; `dead_lettered`: it gave the message up to the dead letters;
   * `nothing_sent`: handled without sending (a duplicate, or a refusal); `failed`: a batch item
   * failure or a throw.
   */
  readonly outcome: 'sent' | 'dead_lettered' | 'nothing_sent' | 'failed';
  /** Messages the relay handed to SES during this delivery. */
  readonly sent: number;
}

export interface RedeliverResponse {
  readonly messageId: string;
  readonly attempts: readonly RedeliveryAttempt[];
}

/** Counts what the relay hands to SES, so a redelivery can say whether it sent anything. */
export class CountingMailer implements Mailer {
  sent = 0;

  constructor(private readonly inner: Mailer) {}

  async send(message: OutboundMessage): Promise<{ messageId: string }> {
    const result = await this.inner.send(message);
    this.sent += 1;
    return result;
  }
}

export interface ControlServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly deadLettersDir: string;
  readonly notificationsDir: string;
  /** The relay handler, as the ingress calls it. */
  readonly deliver: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  readonly mailer: CountingMailer;
  readonly queueArn: string;
  readonly region: string;
  readonly log: LocalLog;
  readonly clock?: () => Date;
  /** Days raw mail is kept: a dead letter whose mail is older is deleted, never replayed. */
  readonly contentRetentionDays?: number;
}

export interface ControlServer {
  /** e.g. `http://127.0.0.1:4510` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Names come from files and requests, so only plain IDs are accepted: no path can be built from anything else. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_BODY_BYTES = 64 * 1024;
const MAX_TIMES = 100;
const REPLAYING = '.replaying';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}


function isStoredDeadLetter(value: unknown): value is StoredDeadLetter {
  const v = value as Partial<StoredDeadLetter> | null;
  return typeof v?.body === 'string' && typeof v.attributes === 'object' && v.attributes !== null && typeof v.attributes.reason === 'string';
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof SyntaxError) return null;
    throw error;
  }
}

function isLoopback(address: string | undefined): boolean {
  return address === LOOPBACK || address === '::1' || address === `::ffff:${LOOPBACK}`;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
}

function positiveInteger(value: unknown, field: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) throw new HttpError(400, `${field} must be an integer from 1 to ${max}`);
  return value;
}

/**
 * The local stack's control endpoint, for the `anshin` CLI: replays dead letters through the relay
 * handler and delivers a stored notification again, as a DLQ redrive or a duplicate from SES or SQS
 * would. No authentication: like every other local server it listens on loopback only, and it
 * refuses requests from elsewhere, requests for another Host (DNS rebinding) and anything but JSON
 * (a web page cannot send that cross-origin without a CORS preflight, which is never answered).
 */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const clock = options.clock ?? (() => new Date());
  let port = options.port;
  // One operation at a time: a replay moves files the relay may write again.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(operation: () => Promise<T>): Promise<T> => {
    const run = queue.then(operation, operation);
    queue = run.catch(() => undefined);
    return run;
  };

  const deliverOnce = async (event: SQSEvent): Promise<{ handled: boolean; errorName?: string }> => {
    try {
      const response = await options.deliver(event);
      return { handled: (response?.batchItemFailures.length ?? 0) === 0 };
    } catch (error) {
      return { handled: false, errorName: error instanceof Error ? error.name : 'unknown' };
    }
  };

  const replayOne = async (id: string, ageSeconds: number, dryRun: boolean): Promise<ReplayItem> => {
    const path = join(options.deadLettersDir, `${id}.json`);
    const letter = await readJson(path);
    if (letter === undefined) return { id, status: 'skipped', detail: 'gone' };
    if (!isStoredDeadLetter(letter)) return { id, ageSeconds, status: 'skipped', detail: 'not_a_dead_letter' };
    const { sesMessageId, reason } = letter.attributes;
    const described = { id, ...(sesMessageId === undefined ? {} : { sesMessageId }), reason, ageSeconds };
    if (options.contentRetentionDays !== undefined && notificationOutlived(letter.body, clock(), options.contentRetentionDays)) {
      if (dryRun) return { ...described, status: 'expired', detail: 'would_delete' };
      await rm(path, { force: true });
      options.log('dead_letter_expired', { id });
      return { ...described, status: 'expired', detail: 'content_retention_passed' };
    }
    if (dryRun) return { ...described, status: 'would_replay' };

    // Set aside first: the relay writes `<id>.json` again if it dead-letters the notification again.
    const aside = `${path}${REPLAYING}`;
    await rename(path, aside);
    const outcome = await deliverOnce(sqsEventOf(letter.body, { queueArn: options.queueArn, region: options.region }, { messageId: id, replay: true }));
    const again = await readJson(path);
    if (!outcome.handled) {
      if (again === undefined) await rename(aside, path);
      else await rm(aside, { force: true });
      options.log('dead_letter_replay_failed', { id, ...(outcome.errorName ? { errorName: outcome.errorName } : {}) });
      return { ...described, status: 'failed', detail: outcome.errorName ?? 'batch_item_failure' };
    }
    await rm(aside, { force: true });
    if (again !== undefined) {
      const newReason = isStoredDeadLetter(again) ? again.attributes.reason : reason;
      options.log('dead_letter_replay_failed', { id, reason: newReason });
      return { ...described, reason: newReason, status: 'failed', detail: 'dead_lettered_again' };
    }
    options.log('dead_letter_replayed', { id });
    return { ...described, status: 'replayed' };
  };

  const replay = async (request: ReplayRequest): Promise<ReplayResponse> => {
    const dryRun = request.dryRun === true;
    const limit = positiveInteger(request.limit, 'limit', Number.MAX_SAFE_INTEGER);
    if (request.ids !== undefined && (!Array.isArray(request.ids) || !request.ids.every((id) => typeof id === 'string' && SAFE_ID.test(id)))) {
      throw new HttpError(400, 'ids must be a list of dead-letter IDs');
    }
    const wanted = request.ids === undefined ? undefined : new Set(request.ids);
    const names = await readdir(options.deadLettersDir).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    });
    const now = clock().getTime();
    const letters: { id: string; mtimeMs: number }[] = [];
    for (const name of names) {
      const id = name.slice(0, -'.json'.length);
      if (!name.endsWith('.json') || !SAFE_ID.test(id) || (wanted && !wanted.has(id))) continue;
      const info = await stat(join(options.deadLettersDir, name)).catch(() => undefined);
      if (info?.isFile()) letters.push({ id, mtimeMs: info.mtimeMs });
    }
    // Oldest first: the ones closest to their raw mail's expiry.
    letters.sort((a, b) => a.mtimeMs - b.mtimeMs || a.id.localeCompare(b.id));
    const items: ReplayItem[] = [];
    for (const { id, mtimeMs } of letters.slice(0, limit)) {
      items.push(await replayOne(id, Math.max(0, Math.round((now - mtimeMs) / 1000)), dryRun));
    }
    return { dryRun, items };
  };

  const redeliver = async (request: { messageId?: unknown; times?: unknown }): Promise<RedeliverResponse> => {
    const { messageId } = request;
    if (typeof messageId !== 'string' || !SAFE_ID.test(messageId)) throw new HttpError(400, 'messageId must be an SES message ID');
    const times = positiveInteger(request.times, 'times', 1, MAX_TIMES);
    const pendingPath = join(options.notificationsDir, `${messageId}.json`);
    const pending = await readJson(pendingPath);
    const notification = pending ?? (await readJson(join(options.notificationsDir, HANDLED_NOTIFICATIONS, `${messageId}.json`)));
    if (notification === undefined || notification === null) throw new HttpError(404, `no stored notification for message ${messageId}`);
    const body = JSON.stringify(notification);
    const attempts: RedeliveryAttempt[] = [];
    // A dead letter the attempt wrote is told apart by its file's time.
    const deadLetterPath = join(options.deadLettersDir, `${messageId}.json`);
    const deadLetterWritten = async (): Promise<number | undefined> => (await stat(deadLetterPath).catch(() => undefined))?.mtimeMs;
    for (let attempt = 1; attempt <= times; attempt += 1) {
      const before = options.mailer.sent;
      const letterBefore = await deadLetterWritten();
      const outcome = await deliverOnce(sqsEventOf(body, { queueArn: options.queueArn, region: options.region }, { messageId: randomUUID() }));
      const sent = options.mailer.sent - before;
      const letterAfter = await deadLetterWritten();
      const deadLettered = letterAfter !== undefined && letterAfter !== letterBefore;
      attempts.push({ attempt, outcome: !outcome.handled ? 'failed' : sent > 0 ? 'sent' : deadLettered ? 'dead_lettered' : 'nothing_sent', sent });
    }
    if (pending !== undefined && attempts.some((a) => a.outcome !== 'failed')) await moveToHandled(options.notificationsDir, messageId);
    options.log('notification_redelivered', { messageId, times });
    return { messageId, attempts };
  };

  const routes: Record<string, (body: unknown) => Promise<object>> = {
    '/dead-letters/replay': (body) => exclusive(() => replay(body as ReplayRequest)),
    '/redeliver': (body) => exclusive(() => redeliver(body as { messageId?: unknown; times?: unknown })),
  };

  const handle = async (req: IncomingMessage): Promise<{ status: number; body: object }> => {
    if (!isLoopback(req.socket.remoteAddress)) throw new HttpError(403, 'loopback only');
    const host = req.headers.host ?? '';
    if (![`${LOOPBACK}:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase())) throw new HttpError(403, 'unexpected Host');
    const route = routes[new URL(req.url ?? '/', 'http://control').pathname];
    if (!route) throw new HttpError(404, 'no such route');
    if (req.method !== 'POST') throw new HttpError(405, 'POST only');
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'Content-Type must be application/json');
    const body = await readBody(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'request body must be a JSON object');
    return { status: 200, body: await route(body) };
  };

  const respond = (res: ServerResponse, status: number, body: object): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(body)}\n`);
  };

  const server = createServer((req, res) => {
    handle(req).then(
      ({ status, body }) => respond(res, status, body),
      (error: unknown) => {
        if (error instanceof HttpError) {
          respond(res, error.status, { error: error.message });
          return;
        }
        options.log('control_request_failed', { errorName: error instanceof Error ? error.name : 'unknown' });
        respond(res, 500, { error: error instanceof Error ? error.name : 'internal error' });
      },
    );
  });
  port = await listen(server, 'control endpoint', options.port);
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    close: async () => {
      await closeServer(server);
      await queue;
    },
  };
}
