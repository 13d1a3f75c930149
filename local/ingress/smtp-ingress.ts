import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import addressparser from 'nodemailer/lib/addressparser';
import { SMTPServer } from 'smtp-server';
import type { DkimVerifier } from '../../lambdas/relay/ports';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { RAW_MAIL_PREFIX, rawMailKey } from '../../lambdas/records/raw-mail';
import { listen, LOOPBACK } from '../listen';
import type { LocalLog } from '../log';
import { headerValue, parseHeaderFields } from './message-headers';
import type { HeaderField } from './message-headers';
import { buildReceiptNotification, newSesMessageId, sesAddedHeaders, toSqsEvent } from './ses-receipt';
import type { SmtpDelivery } from './ses-receipt';
import { simulatedVerdicts, VerdictHeaderError } from './simulated-verdicts';

/** SES's limit for a received message, headers included. */
const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;
/** The refusal of a message over the limit, at MAIL FROM (declared SIZE) or at the end of DATA. */
const MESSAGE_TOO_BIG = '5.3.4 Message size exceeds fixed maximum message size';
/** Where this ingress stores raw mail, as SES does; `bench/soak.ts` stores its mail there too. */
export const OBJECT_KEY_PREFIX = RAW_MAIL_PREFIX;

export interface SmtpIngressOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly relayDomain: string;
  readonly region: string;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly topicArn: string;
  readonly queueArn: string;
  /**
   * Where notifications the relay did not finish are kept for redelivery; handled ones move to
   * `handled/` below it, so the control endpoint can deliver them again as SES or SQS might.
   */
  readonly notificationsDir: string;
  /** Verifies DKIM signatures of submitted mail against the local DNS map, for the verdicts. */
  readonly dkim: DkimVerifier;
  /** Receives each notification as the relay Lambda would: one SQS record. */
  readonly deliver: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  readonly log: LocalLog;
  readonly clock?: () => Date;
}

/** The envelope, the one From address and the DKIM signatures that verify, for the simulated verdicts. */
async function observeAuthentication(fields: readonly HeaderField[], raw: Buffer, envelopeSender: string, dkim: DkimVerifier) {
  const from = addressparser(headerValue(fields, 'From') ?? '', { flatten: true });
  const signed = fields.some((field) => field.name.toLowerCase() === 'dkim-signature');
  return {
    envelopeSender,
    ...(from.length === 1 && from[0]?.address ? { fromAddress: from[0].address } : {}),
    ...(signed ? { dkimDomains: (await dkim.verify(raw)).passingDomains } : {}),
  };
}

/** What became of one accepted mail once the relay had it. */
interface ProcessedMail {
  /** SES message ID; the raw mail is at `inbound/<messageId>` in the bucket. */
  readonly messageId: string;
  /**
   * `handled`: the relay returned without a batch item failure. `failed`: it reported one or threw;
   * the notification stays in `<dataDir>/notifications/<messageId>.json` for redelivery.
   */
  readonly outcome: 'handled' | 'failed';
}

export interface SmtpIngress {
  /** e.g. `smtp://127.0.0.1:2525` */
  readonly url: string;
  readonly port: number;
  /**
   * Waits until every mail accepted so far has been handed to the relay and its outcome is known,
   * then resolves with the outcome of each mail since the ingress started, oldest first. The SMTP
   * transaction ends (250) as soon as the mail is stored, as with SES, so this is how a test waits
   * for the relay: send, `await ingress.whenIdle()`, then look at the outbox.
   */
  whenIdle(): Promise<readonly ProcessedMail[]>;
  close(): Promise<void>;
}

class SmtpReply extends Error {
  override readonly name = 'SmtpReply';

  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

const HISTORY_LIMIT = 1000;

function readAll(stream: SMTPServerDataStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Sub-folder of the notifications directory holding the notifications the relay has handled. */
export const HANDLED_NOTIFICATIONS = 'handled';

/**
 * Moves `<dir>/<messageId>.json` to `<dir>/handled/`. Kept rather than deleted, no more sensitive
 * than the raw mail kept beside it, until the stack's data directory is wiped.
 */
export async function moveToHandled(notificationsDir: string, messageId: string): Promise<void> {
  const handledDir = join(notificationsDir, HANDLED_NOTIFICATIONS);
  await mkdir(handledDir, { recursive: true });
  await rename(join(notificationsDir, `${messageId}.json`), join(handledDir, `${messageId}.json`)).catch((error: unknown) => {
    // Already moved by a concurrent delivery of the same notification.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  });
}

function domainOf(address: string): string {
  return (address.split('@').pop() ?? '').toLowerCase();
}

function plainAddress(remoteAddress: string): string {
  return remoteAddress.replace(/^::ffff:/, '');
}

/**
 * SMTP ingress standing in for SES receiving: accepts mail for the relay domain only (550 at RCPT
 * for anything else), stores each message in S3 at `inbound/<messageId>` with the header fields
 * SES adds, answers 250, and then hands SES's receipt notification, wrapped in an SQS event, to the
 * relay. Plain SMTP without AUTH or STARTTLS: it listens on loopback only.
 */
export async function startSmtpIngress(options: SmtpIngressOptions): Promise<SmtpIngress> {
  const clock = options.clock ?? (() => new Date());
  const relayDomain = options.relayDomain.toLowerCase();
  const inFlight = new Set<Promise<void>>();
  const history: ProcessedMail[] = [];

  const record = (processed: ProcessedMail): void => {
    history.push(processed);
    if (history.length > HISTORY_LIMIT) history.shift();
  };

  const handOver = async (delivery: SmtpDelivery, storedMail: Buffer, verdicts: ReturnType<typeof simulatedVerdicts>): Promise<void> => {
    const notification = buildReceiptNotification({
      delivery,
      verdicts,
      storedMail,
      target: { topicArn: options.topicArn, bucketName: options.bucket, objectKeyPrefix: OBJECT_KEY_PREFIX },
      actionAt: clock(),
    });
    // Kept until the relay has finished with it, as the queue keeps a message until it is deleted.
    const notificationPath = join(options.notificationsDir, `${delivery.messageId}.json`);
    await mkdir(options.notificationsDir, { recursive: true });
    await writeFile(notificationPath, `${JSON.stringify(notification, null, 2)}\n`);
    let outcome: ProcessedMail['outcome'] = 'failed';
    try {
      const response = await options.deliver(toSqsEvent(notification, options.queueArn, options.region));
      const failures = response?.batchItemFailures.length ?? 0;
      if (failures === 0) outcome = 'handled';
      else options.log('relay_batch_item_failure', { messageId: delivery.messageId });
    } catch (error) {
      options.log('relay_threw', { messageId: delivery.messageId, errorName: error instanceof Error ? error.name : 'unknown' });
    }
    if (outcome === 'handled') await moveToHandled(options.notificationsDir, delivery.messageId);
    else options.log('notification_kept_for_redelivery', { messageId: delivery.messageId });
    record({ messageId: delivery.messageId, outcome });
  };

  const receive = async (stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> => {
    const raw = await readAll(stream);
    if (stream.sizeExceeded) throw new SmtpReply(552, MESSAGE_TOO_BIG);
    let verdicts: ReturnType<typeof simulatedVerdicts>;
    const fields = parseHeaderFields(raw);
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    try {
      verdicts = simulatedVerdicts(fields, await observeAuthentication(fields, raw, mailFrom, options.dkim));
    } catch (error) {
      if (error instanceof VerdictHeaderError) throw new SmtpReply(554, `5.6.0 ${error.message}`);
      throw error;
    }
    const remoteAddress = plainAddress(session.remoteAddress);
    const delivery: SmtpDelivery = {
      messageId: newSesMessageId(),
      receivedAt: clock(),
      mailFrom,
      recipients: session.envelope.rcptTo.map((r) => r.address),
      heloName: session.hostNameAppearsAs || remoteAddress,
      clientHostname: remoteAddress === LOOPBACK || remoteAddress === '::1' ? 'localhost' : session.clientHostname,
      remoteAddress,
      region: options.region,
    };
    const storedMail = Buffer.concat([Buffer.from(sesAddedHeaders(delivery, verdicts), 'utf8'), raw]);
    await options.s3.send(
      new PutObjectCommand({ Bucket: options.bucket, Key: rawMailKey(delivery.messageId), Body: storedMail, ContentType: 'message/rfc822' }),
    );
    options.log('mail_received', { messageId: delivery.messageId, recipients: delivery.recipients.length, bytes: storedMail.length });
    const processing = handOver(delivery, storedMail, verdicts).catch((error: unknown) => {
      options.log('handover_failed', { messageId: delivery.messageId, errorName: error instanceof Error ? error.name : 'unknown' });
      record({ messageId: delivery.messageId, outcome: 'failed' });
    });
    inFlight.add(processing);
    void processing.finally(() => inFlight.delete(processing));
    return `Ok ${delivery.messageId}`;
  };

  const server = new SMTPServer({
    name: `inbound-smtp.${options.region}.amazonaws.com`,
    banner: 'anshin-relay local SES receiving stand-in',
    logger: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    size: MAX_MESSAGE_BYTES,
    // smtp-server's own refusal of a declared SIZE has no enhanced status code; hiding the size
    // turns that check off (EHLO then says a bare `SIZE`), and onMailFrom refuses it as SES does.
    hideSize: true,
    onMailFrom(address, _session, callback) {
      const declared = Number((address.args as Record<string, string> | false | undefined || {}).SIZE ?? 0);
      callback(declared > MAX_MESSAGE_BYTES ? Object.assign(new Error(MESSAGE_TOO_BIG), { responseCode: 552 }) : undefined);
    },
    // Open sessions get this long to finish when the stack stops.
    closeTimeout: 2000,
    onRcptTo(address, _session, callback) {
      if (domainOf(address.address) === relayDomain) {
        callback();
        return;
      }
      callback(Object.assign(new Error(`5.1.1 Recipient address rejected: not a ${relayDomain} address`), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      receive(stream, session).then(
        (message) => callback(null, message),
        (error: unknown) => {
          if (error instanceof SmtpReply) {
            callback(Object.assign(new Error(error.message), { responseCode: error.responseCode }));
            return;
          }
          options.log('mail_store_failed', { errorName: error instanceof Error ? error.name : 'unknown' });
          callback(Object.assign(new Error('4.3.0 Temporary failure storing the message, try again'), { responseCode: 451 }));
        },
      );
    },
  });
  server.on('error', (error: Error) => options.log('smtp_server_error', { errorName: error.name }));

  const port = await listen(server.server, 'SMTP ingress', options.port);
  return {
    url: `smtp://${LOOPBACK}:${port}`,
    port,
    whenIdle: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      return [...history];
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
