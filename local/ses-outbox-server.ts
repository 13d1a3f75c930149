import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as SesV2Local from 'aws-ses-v2-local';
import { simpleParser } from 'mailparser';
import type { AddressObject } from 'mailparser';
import { closeServer, LOOPBACK, PortInUseError, reservePort } from './listen';
import type { OutboxEnvelope } from './outbox-mailer';

// Loaded through require: the package is CommonJS with an `exports.default`, which Node's ESM
// loader would hand over as `{ default }` under some runners and as the function under others.
const require = createRequire(import.meta.url);
const { default: startSesV2Local } = require('aws-ses-v2-local') as typeof SesV2Local;

/** A message as aws-ses-v2-local keeps it for its web inbox, with the envelope this stand-in adds. */
interface InboxEmail {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string | undefined; html?: string | undefined };
  attachments: unknown[];
  at: number;
  /** Where SES delivered it: the SendEmail destinations, which a relayed mail's To header does not show. */
  envelope?: { destinations: string[] };
}

// The package's in-process store, the one its web inbox reads (the same module instance as above).
const inboxStore = (require('aws-ses-v2-local/dist/store.js') as { getStoreReadonly(): { emails: InboxEmail[] } }).getStoreReadonly();

/** The web inbox's line for the To header; the envelope's line is added after it. */
const INBOX_TO_LINE = "${e.destination.to.length ? `<p><b>To:</b> ${escape(e.destination.to.join(', '))}</p>` : ''}";
const INBOX_ENVELOPE_LINE = "${e.envelope ? `<p><b>配送先 / Delivered to (envelope):</b> ${escape(e.envelope.destinations.join(', '))}</p>` : ''}";

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
export async function startSesOutboxServer(port: number, options: { readonly outboxDir?: string } = {}): Promise<SesOutboxServer> {
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
  if (options.outboxDir !== undefined) await reloadInbox(options.outboxDir);
  const inboxPage = await inboxPageWithEnvelope();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    if (req.method === 'GET' && path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(inboxPage);
    else if (req.method === 'POST' && path === SEND_EMAIL_PATH) void acceptSendEmail(req, res, app);
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
  const envelope = destinations(body);
  if (envelope.some((address) => REFUSED_DESTINATION.test(address))) {
    messageRejected(res, 'Illegal address');
    return;
  }
  Object.assign(req, { body });
  recordEnvelope(res, envelope);
  app(req, res);
}

/**
 * Adds the SendEmail destinations to the stored message once the package answers with its ID: the
 * package stores only the To header, which for a relayed reply names the reverse alias, not the
 * store's contact it was delivered to.
 */
function recordEnvelope(res: ServerResponse, envelope: readonly string[]): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    const [chunk] = args;
    if (res.statusCode === 200 && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) {
      const messageId = (JSON.parse(chunk.toString()) as { MessageId?: string }).MessageId;
      const stored = inboxStore.emails.find((email) => email.messageId === messageId);
      if (stored) stored.envelope = { destinations: [...envelope] };
    }
    return end(...args);
  }) as ServerResponse['end'];
}

/** The package's web inbox page, with a line for the envelope destinations under the To line. */
async function inboxPageWithEnvelope(): Promise<string> {
  const page = await readFile(require.resolve('aws-ses-v2-local/static/index.html'), 'utf8');
  if (!page.includes(INBOX_TO_LINE)) throw new Error('aws-ses-v2-local changed its web inbox page: the envelope line has no place to go');
  return page.replace(INBOX_TO_LINE, `${INBOX_TO_LINE}\n                    ${INBOX_ENVELOPE_LINE}`);
}

const addressTexts = (field: AddressObject | AddressObject[] | undefined): string[] => (field === undefined ? [] : (Array.isArray(field) ? field : [field]).map((address) => address.text));

/**
 * Puts back what the outbox holds (`<id>.eml` and its `<id>.json` envelope) into the web inbox,
 * oldest first, as the package would have stored it: its store lives in memory and starts empty.
 */
async function reloadInbox(outboxDir: string): Promise<void> {
  const names = await readdir(outboxDir).catch(() => [] as string[]);
  const envelopes = await Promise.all(
    names.filter((name) => name.endsWith('.json')).map(async (name) => JSON.parse(await readFile(join(outboxDir, name), 'utf8')) as OutboxEnvelope),
  );
  envelopes.sort((a, b) => a.sentAt.localeCompare(b.sentAt));
  for (const envelope of envelopes) {
    // A second stack in the same process shares the package's store.
    if (inboxStore.emails.some((email) => email.messageId === envelope.messageId)) continue;
    const raw = await readFile(join(outboxDir, `${envelope.messageId}.eml`)).catch(() => undefined);
    if (!raw) continue;
    const message = await simpleParser(raw);
    inboxStore.emails.push({
      messageId: envelope.messageId,
      from: message.from?.text ?? envelope.from,
      replyTo: message.replyTo ? [message.replyTo.text] : [],
      destination: { to: addressTexts(message.to), cc: addressTexts(message.cc), bcc: addressTexts(message.bcc) },
      subject: message.subject ?? '(no subject)',
      body: { text: message.text, html: message.html || undefined },
      attachments: message.attachments.map((attachment) => ({ ...attachment, content: attachment.content.toString('base64') })),
      at: Math.floor(Date.parse(envelope.sentAt) / 1000),
      envelope: { destinations: [...envelope.destinations] },
    });
  }
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
