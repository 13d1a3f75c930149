import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import libmime from 'libmime';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { buildProgram } from '../../../cli/program';
import { documentClient } from '../../../lambdas/aws/dynamo-document';
import { createRelayHandler } from '../../../lambdas/relay/app';
import type { Mailer } from '../../../lambdas/relay/ports';
import { DynamoAliasStore } from '../../../lambdas/aliases/aws/dynamo-alias-store';
import { DynamoStoreDirectory } from '../../../lambdas/aliases/aws/dynamo-store-directory';
import { issueAlias } from '../../../lambdas/aliases/issuance';
import type { IssueAliasResult } from '../../../lambdas/aliases/issuance';
import { KmsKeyService } from '../../../lambdas/keys/aws/kms-key-service';
import { DEFAULT_CONFIG } from '../../../lib/config';
import type { TransmissionRecord } from '../../../lambdas/relay/transmission';
import type { StoredDeadLetter } from '../../../local/dead-letter-store';
import { startLocalStack } from '../../../local/stack';
import type { LocalStack, LocalStackOptions } from '../../../local/stack';

export interface SentMail {
  readonly sesMessageId: string;
  readonly event: SQSEvent;
  /** What the relay answered the ingress. */
  readonly response: SQSBatchResponse;
}

export interface Outbound {
  readonly raw: Buffer;
  readonly headerText: string;
  readonly body: Buffer;
  readonly envelope: { messageId: string; from: string; destinations: string[] };
}

/** Splits at the first empty line, independently of the code under test. */
export function splitAtBlankLine(raw: Buffer): { header: Buffer; body: Buffer } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { header: raw.subarray(0, crlf), body: raw.subarray(crlf + 4) };
  if (lf >= 0) return { header: raw.subarray(0, lf), body: raw.subarray(lf + 2) };
  return { header: raw, body: Buffer.alloc(0) };
}

/** Header text with folding undone and every RFC 2047 word decoded, for searching. */
export function decodedHeaders(headerText: string): string {
  return libmime.decodeWords(headerText.replace(/\r?\n[ \t]+/g, ' '));
}

/**
 * A local stack in a fresh temporary directory, with helpers to drive it as a person would: the
 * `anshin` CLI for set-up, a real SMTP client for mail, the outbox and tables for what came out.
 */
/** A service notice as its recipient reads it. */
export interface Notice {
  readonly subject: string;
  readonly text: string;
  readonly sentAt: string;
}

export class RelayHarness {
  private constructor(
    readonly stack: LocalStack,
    readonly dir: string,
    /** Every SQS event the relay was given, in order, with its answer once there is one. */
    private readonly capture: readonly { readonly event: SQSEvent; response?: SQSBatchResponse }[],
  ) {}

  /**
   * `leaseSeconds` goes to the relay's settings; `clock` replaces the relay's (a test moves it instead
   * of waiting for a rate-limit window); `mailer`, when given, replaces the stack's (it gets
   * the outbox directory, to record what it sends as the stack's own does); the other options go to
   * {@link startLocalStack} as they are.
   */
  static async start(
    options: Pick<LocalStackOptions, 'maxOutboundBytes' | 'rateLimits'> & { readonly leaseSeconds?: number; readonly mailer?: (outboxDir: string) => Mailer; readonly clock?: () => Date } = {},
  ): Promise<RelayHarness> {
    const dir = await mkdtemp(join(tmpdir(), 'anshin-it-'));
    const calls: { readonly event: SQSEvent; response?: SQSBatchResponse }[] = [];
    const { leaseSeconds, mailer, clock, ...stackOptions } = options;
    const stack = await startLocalStack({
      ...stackOptions,
      dataDir: dir,
      log: () => undefined,
      createRelay: (given) => {
        const deps = { ...given, ...(mailer ? { mailer: mailer(join(dir, 'outbox')) } : {}), ...(clock ? { clock } : {}) };
        const relay = createRelayHandler(leaseSeconds === undefined ? deps : { ...deps, settings: { ...deps.settings, leaseSeconds } });
        return async (event) => {
          const call: (typeof calls)[number] = { event };
          calls.push(call);
          call.response = await relay(event);
          return call.response;
        };
      },
    });
    return new RelayHarness(stack, dir, calls);
  }

  /** The stack's control endpoint (dead-letter replay, redelivery), as endpoints.json names it. */
  get controlUrl(): string {
    return this.stack.endpoints.control;
  }

  async stop(): Promise<void> {
    await this.stack.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Runs `anshin <args> --json` in-process against this stack and returns the parsed output. */
  async cli<T>(args: readonly string[], now?: Date): Promise<T> {
    const out: string[] = [];
    const program = buildProgram({ out: (s) => out.push(s), err: (s) => out.push(s) }, now ? () => now : undefined);
    await program.parseAsync(['--local-dir', this.dir, '--json', ...args], { from: 'user' });
    return JSON.parse(out.join('\n')) as T;
  }

  /**
   * Issues an alias as the API does, but as of `now`: for tests that need an alias issued in the
   * past (the API itself always uses the server's clock).
   */
  async issueAliasAt(request: { storeId: string; orderId: string; customer: string }, now: Date): Promise<IssueAliasResult> {
    const { clients, settings } = this.stack;
    return issueAlias(request, {
      aliases: new DynamoAliasStore(clients.dynamodb, settings.aliasesTable),
      stores: new DynamoStoreDirectory(clients.dynamodb, settings.storesTable),
      keys: new KmsKeyService(clients.kms, { dataKeyId: settings.dataKeyId, hmacKeyId: settings.hmacKeyId }),
      now,
      relayDomain: settings.relayDomain,
      validityDays: DEFAULT_CONFIG.retention.classes.address.retentionDays,
      supportDays: DEFAULT_CONFIG.retention.classes.address.supportDays,
    });
  }

  /** Sends through the SMTP ingress and waits until the relay has dealt with the mail. */
  async send(mail: Mail.Options): Promise<SentMail> {
    const before = (await this.stack.ingress.whenIdle()).length;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: this.stack.ingress.port, secure: false, ignoreTLS: true });
    try {
      await transport.sendMail(mail);
    } finally {
      transport.close();
    }
    const processed = await this.stack.ingress.whenIdle();
    const sesMessageId = processed[before]?.messageId;
    if (!sesMessageId) throw new Error('the ingress did not report the mail');
    const call = this.capture.find((c) => c.event.Records.some((r) => r.body.includes(sesMessageId)));
    if (!call?.response) throw new Error('the relay was not called for the mail');
    return { sesMessageId, event: call.event, response: call.response };
  }

  /** What the local dead-letter store holds under `id` (the SES message ID, or the queue message ID). */
  async deadLetter(id: string): Promise<StoredDeadLetter | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, 'dead-letters', `${id}.json`), 'utf8')) as StoredDeadLetter;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async transmission(sesMessageId: string, recipientIndex = 0): Promise<TransmissionRecord & { state: string }> {
    const { Item } = await documentClient(this.stack.clients.dynamodb).send(
      new GetCommand({ TableName: this.stack.settings.transmissionsTable, Key: { transmissionId: `${sesMessageId}/${recipientIndex}` } }),
    );
    if (!Item) throw new Error(`no transmission record for ${sesMessageId}`);
    return Item as TransmissionRecord & { state: string };
  }

  async inboundRaw(sesMessageId: string): Promise<Buffer> {
    const { Body } = await this.stack.clients.s3.send(new GetObjectCommand({ Bucket: this.stack.endpoints.inboundBucket, Key: `inbound/${sesMessageId}` }));
    return Buffer.from(await Body!.transformToByteArray());
  }

  async outbound(outboundMessageId: string): Promise<Outbound> {
    const raw = await readFile(join(this.stack.endpoints.outboxDir, `${outboundMessageId}.eml`));
    const envelope = JSON.parse(await readFile(join(this.stack.endpoints.outboxDir, `${outboundMessageId}.json`), 'utf8')) as Outbound['envelope'];
    const { header, body } = splitAtBlankLine(raw);
    return { raw, headerText: header.toString('latin1'), body, envelope };
  }

  /** The service's own mails (invitations, verification links) sent to `to`, oldest first. */
  async notices(to: string): Promise<Notice[]> {
    const notices: Notice[] = [];
    for (const id of await this.outboxIds()) {
      const { envelope, raw } = await this.outbound(id);
      if (!envelope.from.startsWith('no-reply@') || !envelope.destinations.includes(to)) continue;
      const parsed = await simpleParser(raw);
      notices.push({ subject: parsed.subject ?? '', text: parsed.text ?? '', sentAt: (envelope as Outbound['envelope'] & { sentAt: string }).sentAt });
    }
    return notices.sort((a, b) => a.sentAt.localeCompare(b.sentAt));
  }

  /** Relayed mail only: the service's own notices are left out. */
  async outboxCount(): Promise<number> {
    return (await this.relayedIds()).length;
  }

  /** Message IDs of everything in the outbox, sorted. */
  async outboxIds(): Promise<string[]> {
    return (await readdir(this.stack.endpoints.outboxDir))
      .filter((f) => f.endsWith('.eml'))
      .map((f) => f.slice(0, -'.eml'.length))
      .sort();
  }

  /** Message IDs of relayed mail in the outbox, sorted: everything but the service's notices. */
  async relayedIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const id of await this.outboxIds()) {
      const envelope = JSON.parse(await readFile(join(this.stack.endpoints.outboxDir, `${id}.json`), 'utf8')) as Outbound['envelope'];
      if (!envelope.from.startsWith('no-reply@')) ids.push(id);
    }
    return ids;
  }
}
