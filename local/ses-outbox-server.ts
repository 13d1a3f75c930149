import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type * as SesV2Local from 'aws-ses-v2-local';
import { closeServer, LOOPBACK, PortInUseError, reservePort } from './listen';

// Loaded through require: the package is CommonJS with an `exports.default`, which Node's ESM
// loader would hand over as `{ default }` under some runners and as the function under others.
const require = createRequire(import.meta.url);
const { default: startSesV2Local } = require('aws-ses-v2-local') as typeof SesV2Local;

/** SES v2 sends raw messages of up to 40 MB, headers and encoded attachments included (SES quotas, "Message size"). */
export const SES_MAX_RAW_MESSAGE_BYTES = 40 * 1024 * 1024;

/**
 * Largest SendEmail request body read: a 40 MB raw message as base64 in the JSON body (4/3 of it)
 * plus room for the envelope fields. aws-ses-v2-local parses every body with express.json's 25 MB
 * limit, below what SES accepts, so SendEmail bodies are read here instead.
 */
const MAX_SEND_EMAIL_REQUEST_BYTES = Math.ceil(SES_MAX_RAW_MESSAGE_BYTES / 3) * 4 + 1024 * 1024;

const SEND_EMAIL_PATH = '/v2/email/outbound-emails';

export interface SesOutboxServer {
  /** SES v2 API endpoint and the web inbox a person browses. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Destinations on the reserved `.invalid` TLD (RFC 2606) are refused as SES refuses an address it
 * will not send to, so a permanent refusal of one recipient can be tried locally.
 */
const REFUSED_DESTINATION = /\.invalid$/i;

/**
 * aws-ses-v2-local in-process on loopback: it accepts SendEmail and shows what was sent. SendEmail
 * accepts and refuses by size as SES does: up to 40 MB of raw message, above that a 400
 * `MessageRejected`; and a destination on `.invalid` is refused with `MessageRejected` too.
 */
export async function startSesOutboxServer(port: number): Promise<SesOutboxServer> {
  const service = 'SES outbox (aws-ses-v2-local)';
  // It resolves even when listening failed, so the port is checked first and the result after.
  const chosen = await reservePort(service, port);
  const server = await startSesV2Local({ host: LOOPBACK, port: chosen });
  if (!server.listening) throw new PortInUseError(service, chosen);
  // The package builds its express app inside and only returns the server, so its request listener
  // is wrapped: SendEmail bodies arrive parsed, and its body parser skips a request already read.
  const app = server.listeners('request')[0] as RequestListener | undefined;
  if (!app) throw new Error(`${service} has no request listener`);
  server.removeListener('request', app);
  const suppressed = new Map<string, { readonly reason: string; readonly at: Date }>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    if (req.method === 'POST' && path === SEND_EMAIL_PATH) void acceptSendEmail(req, res, app);
    else if (path === SUPPRESSION_PATH || path.startsWith(`${SUPPRESSION_PATH}/`)) void answerSuppression(req, res, path, suppressed);
    else app(req, res);
  });
  return { url: `http://${LOOPBACK}:${chosen}`, close: () => closeServer(server) };
}

async function acceptSendEmail(req: IncomingMessage, res: ServerResponse, app: RequestListener): Promise<void> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    // The whole body is read even past the limit, so the client sees the answer, not a reset.
    for await (const chunk of req as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length <= MAX_SEND_EMAIL_REQUEST_BYTES) chunks.push(chunk);
    }
  } catch {
    res.destroy();
    return;
  }
  if (length > MAX_SEND_EMAIL_REQUEST_BYTES) {
    messageRejected(res, `Message length is more than ${SES_MAX_RAW_MESSAGE_BYTES} bytes long.`);
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks, length).toString('utf8'));
  } catch {
    sendError(res, 400, 'BadRequestException', 'The request body is not valid JSON.');
    return;
  }
  const data = rawData(body);
  if (data !== undefined) {
    const size = Buffer.byteLength(data, 'base64');
    // Worded as SES's raw-send size refusal ("Message length is more than … bytes long").
    if (size > SES_MAX_RAW_MESSAGE_BYTES) {
      messageRejected(res, `Message length is more than ${SES_MAX_RAW_MESSAGE_BYTES} bytes long: '${size}'.`);
      return;
    }
  }
  if (destinations(body).some((address) => REFUSED_DESTINATION.test(address))) {
    messageRejected(res, 'Illegal address');
    return;
  }
  Object.assign(req, { body });
  app(req, res);
}

/** The account-level suppression list of SES v2 (`PutSuppressedDestination` and friends). */
const SUPPRESSION_PATH = '/v2/email/suppression/addresses';

/**
 * The account-level suppression list, which aws-ses-v2-local lacks: SES puts hard-bounced and
 * complaining addresses on it and keeps them until deleted, so destruction must take a customer off
 * it. Kept in memory for the stack's life; put, get and delete one address as SES v2 does.
 */
async function answerSuppression(req: IncomingMessage, res: ServerResponse, path: string, list: Map<string, { reason: string; at: Date }>): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const address = decodeURIComponent(path.slice(SUPPRESSION_PATH.length + 1)).toLowerCase();
  const ok = (body: unknown): void => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (req.method === 'PUT' && path === SUPPRESSION_PATH) {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { EmailAddress?: unknown; Reason?: unknown };
    if (typeof body.EmailAddress !== 'string' || (body.Reason !== 'BOUNCE' && body.Reason !== 'COMPLAINT')) {
      sendError(res, 400, 'BadRequestException', 'EmailAddress and Reason (BOUNCE or COMPLAINT) are required.');
      return;
    }
    list.set(body.EmailAddress.toLowerCase(), { reason: body.Reason, at: new Date() });
    ok({});
    return;
  }
  if (req.method === 'GET' && path === SUPPRESSION_PATH) {
    // ListSuppressedDestinations: entries last updated up to EndDate, a page at a time.
    const query = new URL(req.url ?? '/', 'http://local').searchParams;
    const endDate = query.get('EndDate');
    const until = endDate === null ? Number.POSITIVE_INFINITY : Date.parse(endDate);
    const offset = Number(query.get('NextToken') ?? 0) || 0;
    const size = Number(query.get('PageSize') ?? 1000) || 1000;
    const matching = [...list].filter(([, item]) => item.at.getTime() <= until);
    const page = matching.slice(offset, offset + size);
    ok({
      SuppressedDestinationSummaries: page.map(([email, item]) => ({ EmailAddress: email, Reason: item.reason, LastUpdateTime: item.at.getTime() / 1000 })),
      ...(offset + size < matching.length ? { NextToken: String(offset + size) } : {}),
    });
    return;
  }
  const entry = list.get(address);
  if (!entry || path === SUPPRESSION_PATH) {
    sendError(res, 404, 'NotFoundException', `Email address ${address} does not exist on your suppression list.`);
    return;
  }
  if (req.method === 'GET') ok({ SuppressedDestination: { EmailAddress: address, Reason: entry.reason, LastUpdateTime: entry.at.getTime() / 1000 } });
  else if (req.method === 'DELETE') {
    list.delete(address);
    ok({});
  } else sendError(res, 405, 'BadRequestException', `${req.method ?? ''} is not supported here.`);
}

function destinations(body: unknown): string[] {
  const to = (body as { Destination?: { ToAddresses?: unknown } } | null)?.Destination?.ToAddresses;
  return Array.isArray(to) ? to.filter((address): address is string => typeof address === 'string') : [];
}

function rawData(body: unknown): string | undefined {
  const data = (body as { Content?: { Raw?: { Data?: unknown } } } | null)?.Content?.Raw?.Data;
  return typeof data === 'string' ? data : undefined;
}

function messageRejected(res: ServerResponse, message: string): void {
  sendError(res, 400, 'MessageRejected', message);
}

/** SES v2 speaks REST-JSON: the error type in `x-amzn-ErrorType`, the text in the body's `message`. */
function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ message }));
}
