import { addressMacInput, normalizeAddress } from '../aliases/address';
import { aliasAddress, aliasNameFromMac, reverseAliasMacInput, reverseAliasRecord, parseAliasAddress } from '../aliases/names';
import type { ParsedAlias } from '../aliases/names';
import { unsubscribeToken, unsubscribeUrl } from '../aliases/unsubscribe';
import { authenticatedBy, envelopeProven, needsDkimDomains } from './authentication';
import { bounceBudgetMacInput, composeBounce, shouldBounce } from './bounces';
import type { Bounce } from './bounces';
import { customerAddressContext, storeContactContext, storeSenderContext } from '../aliases/encryption-contexts';
import { classifyFailure, MaybeSentError } from './failures';
import type { DeadLetterReason, FailureClassification } from './failures';
import { inspectHeaders, keepableMessageId, LOOP_HEADER, rewriteHeaders, sesMessageIdFor, sesMessageIdOf, splitMessage } from '../mail';
import type { HeaderFacts, Mailbox, SplitMessage } from '../mail';
import { isExpired, isPaused, isPurged, isStoreGone, isVerifiedSender } from '../aliases/lifecycle';
import { REFUSAL_REASONS, screenMessage } from './screening';
import type { RefusalReason, SpamVerdictAction } from './screening';
import type { AliasRecord, AliasStore, StoreDirectory, StoreProfile } from '../aliases/ports';
import type { KeyService } from '../keys/ports';
import type { BounceBudget, DkimVerifier, Mailer, RawMailSource } from './ports';
import type { ClaimResult, TransmissionLog } from './transmission';
import { connectingIpFromReceived, purgeAtEpochSeconds, transmissionId } from './transmission';
import type { Direction, RelayedMessage, RelayedMessages, TransmissionRecord } from './transmission';
import type { Verdicts } from './verdicts';
import { countersFor, DEFAULT_RATE_LIMITS, holdUntil, PAUSE_RECHECK_MS, resumeAfter, storeRateLimit } from './rate-limits';
import type { RateLimiter, RateLimits } from './rate-limits';

export const MAX_OUTBOUND_BYTES = 40 * 1024 * 1024;

/** Shown to the store when a customer's own mail carries no display name. */
const CUSTOMER_FALLBACK_NAME = 'お客様';

/** One inbound message as SES reported it; everything routing needs, nothing read from the body. */
export interface InboundMail {
  readonly sesMessageId: string;
  readonly receivedAt: Date;
  /** Envelope MAIL FROM (`mail.source`); empty for a null sender. */
  readonly envelopeSender: string;
  /** Envelope recipients SES accepted for this rule (`receipt.recipients`); routing never uses To/Cc. */
  readonly recipients: readonly string[];
  readonly verdicts: Verdicts;
  readonly location: { readonly bucket: string; readonly key: string };
  /** The Received field SES prepended, for the connecting IP. */
  readonly sesReceivedHeader?: string;
}

export interface RelayPorts {
  readonly aliases: AliasStore;
  readonly stores: StoreDirectory;
  readonly keys: KeyService;
  readonly rawMail: RawMailSource;
  readonly mailer: Mailer;
  readonly transmissions: TransmissionLog;
  /** Verifies DKIM signatures when SES saw one pass but DMARC did not: is it aligned with From? */
  readonly dkim: DkimVerifier;
  readonly bounceBudget: BounceBudget;
  readonly rateLimiter: RateLimiter;
  /** Without it, replies keep the IDs SES gave the relayed copies and are not translated. */
  readonly relayedMessages?: RelayedMessages;
}

export interface RelayOptions {
  readonly relayDomain: string;
  readonly transmissionRetentionDays: number;
  readonly clock: () => Date;
  /** How long a claimed delivery stays reserved for the invocation that claimed it. */
  readonly leaseSeconds?: number;
  /**
   * Largest rewritten message sent; larger ones are refused as `message_too_large`.
   * @default MAX_OUTBOUND_BYTES
   */
  readonly maxOutboundBytes?: number;
  /**
   * What a failed SES spam verdict does: `drop` refuses it as `spam_detected`, `quarantine` as
   * `spam_quarantined`; neither relays nor bounces it.
   * @default 'drop'
   */
  readonly spamVerdictAction?: SpamVerdictAction;
  /**
   * DSNs one envelope sender may receive per clock hour.
   * @default DEFAULT_BOUNCES_PER_SENDER_PER_HOUR
   */
  readonly bouncesPerSenderPerHour?: number;
  /** @default DEFAULT_RATE_LIMITS */
  readonly rateLimits?: RateLimits;
  /**
   * The merchant menu's URL: store mail to a customer carries a one-click `List-Unsubscribe` to it.
   * Without it, no such header is added.
   */
  readonly menuUrl?: string;
}

export type DeliveryResult =
  | { readonly status: 'relayed'; readonly transmissionId: string; readonly aliasId: string; readonly direction: Direction; readonly storeId: string; readonly sizeBytes: number }
  | {
      readonly status: 'refused';
      readonly transmissionId: string;
      readonly aliasId: string;
      readonly reason: RefusalReason;
      readonly storeId?: string;
      readonly bounced?: true;
      /** The DSN was recorded but SES did not take it (error name); it is not tried again. */
      readonly bounceFailed?: string;
    }
  /**
   * Over a rate limit, or from a paused store: not finished. The notification is to be put back on
   * the queue for `retryAfterSeconds`, when the delivery is judged again.
   */
  | { readonly status: 'held'; readonly transmissionId: string; readonly aliasId: string; readonly storeId: string; readonly reason: HeldReason; readonly retryAfterSeconds: number }
  /** Finished earlier: a duplicate notification, or the same recipient twice in one envelope. */
  | { readonly status: 'duplicate'; readonly transmissionId: string }
  /** Failed permanently and went to the dead-letter queue, now or (`earlier`) on a previous attempt. */
  | { readonly status: 'dead_lettered'; readonly transmissionId: string; readonly reason: DeadLetterReason; readonly errorName: string; readonly earlier?: true };

/** Raised when the message must be retried later; the queue redelivers it. */
export class RetryableDeliveryError extends Error {
  override readonly name = 'RetryableDeliveryError';
}

/**
 * Some deliveries of a message must be tried again; every other one is finished (relayed, refused
 * or dead-lettered) and is skipped when the queue redelivers the notification. `cause` is the first
 * such delivery's own error, which decides how the notification is retried.
 */
export class IncompleteDeliveryError extends Error {
  override readonly name = 'IncompleteDeliveryError';

  constructor(
    /** What became of the deliveries that were finished. */
    readonly results: readonly DeliveryResult[],
    /** Deliveries left for the retry: released, or (SES may have accepted them) held until their lease ends. */
    readonly pending: readonly { readonly transmissionId: string; readonly reason: DeadLetterReason; readonly errorName: string }[],
    cause: unknown,
  ) {
    super(`${pending.length} of the message's deliveries must be retried`, { cause });
  }
}

/** How this attempt at a notification came about, and where a delivery that cannot succeed goes. */
export interface RelayAttempt {
  /** A replay from the dead-letter queue: deliveries dead-lettered before are tried again. */
  readonly replay?: boolean;
  /**
   * Sends the notification to the dead-letter queue, naming the deliveries that failed for good.
   * Without it, such deliveries are released and retried until the queue's own redrive moves the
   * notification.
   */
  readonly deadLetter?: (letter: { readonly deliveries: readonly string[]; readonly reason: DeadLetterReason; readonly errorName: string }) => Promise<void>;
}

interface Routed {
  readonly direction: Direction;
  readonly storeId: string;
  readonly fromAlias: string;
  readonly toAlias: string;
  readonly fallbackDisplayName: string;
  readonly destination: string;
  /** Every address the relay knows of the sending party, beyond those the message itself names. */
  readonly partySecrets: readonly string[];
  /** The customer's one-click way to block the store (store mail to customers only). */
  readonly listUnsubscribe?: string;
}

/** Why a delivery is held back; past the hold window it is refused for the same reason. */
type HeldReason = Extract<RefusalReason, 'rate_limited' | 'store_paused'>;

type Decision =
  | { readonly refused: RefusalReason; readonly storeId?: string }
  | { readonly held: HeldReason; readonly storeId: string; readonly retryAfterSeconds: number }
  | { readonly route: Routed };

const DEFAULT_LEASE_SECONDS = 120;

/**
 * DSNs one envelope sender may receive per hour. A legitimate sender who mistypes an alias hears
 * about it; a stranger who proves an envelope but writes to thousands of made-up aliases makes
 * the relay answer a handful of times, not thousands.
 */
const DEFAULT_BOUNCES_PER_SENDER_PER_HOUR = 10;

/** One envelope recipient, read once. */
interface Recipient {
  readonly index: number;
  readonly transmissionId: string;
  readonly address: string;
  readonly alias: ParsedAlias | undefined;
  /** The recipient alias, or `invalid` when it was not alias-shaped (never the raw string). */
  readonly aliasId: string;
}

/**
 * Relays one inbound message to each of its envelope recipients, each delivery on its own: claims
 * it (exactly once per SES message and recipient), screens, resolves and authorises, rewrites the
 * header block, sends, and records the outcome. A delivery that fails for good is dead-lettered
 * alone; one that may succeed later is left for the queue's redelivery, which skips the finished
 * ones (`IncompleteDeliveryError`).
 */
export async function relayInboundMail(mail: InboundMail, ports: RelayPorts, options: RelayOptions, attempt: RelayAttempt = {}): Promise<DeliveryResult[]> {
  const now = options.clock();
  const purgeAt = purgeAtEpochSeconds(mail.receivedAt, options.transmissionRetentionDays);
  const leaseUntil = new Date(now.getTime() + (options.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000);
  const results: DeliveryResult[] = [];
  const pending: Pending[] = [];
  const claimed: Recipient[] = [];

  for (const recipient of distinctRecipients(mail, options.relayDomain, results)) {
    let claim: ClaimResult;
    try {
      claim = await ports.transmissions.claim({
        transmissionId: recipient.transmissionId,
        sesMessageId: mail.sesMessageId,
        now,
        leaseUntil,
        purgeAt,
        ...(attempt.replay ? { retakeDeadLettered: true } : {}),
      });
    } catch (error) {
      await releaseQuietly(ports.transmissions, claimed);
      throw error;
    }
    if (claim.status === 'claimed') claimed.push(recipient);
    else if (claim.status === 'completed') results.push({ status: 'duplicate', transmissionId: recipient.transmissionId });
    else if (claim.status === 'dead_lettered') results.push({ status: 'dead_lettered', transmissionId: recipient.transmissionId, reason: 'unknown_error', errorName: 'earlier', earlier: true });
    else pending.push(pendingOf(recipient, new RetryableDeliveryError(`delivery ${recipient.transmissionId} is being processed by another invocation`)));
  }

  if (claimed.length > 0) {
    let message: MessageContext;
    try {
      message = new MessageContext(mail, await ports.rawMail.read(mail.location), ports, options, now, purgeAt);
    } catch (error) {
      // Nothing was sent: every claim goes back, and the error decides retry or dead letter.
      await releaseQuietly(ports.transmissions, claimed);
      throw error;
    }
    const failed: { readonly recipient: Recipient; readonly error: unknown }[] = [];
    for (const recipient of claimed) {
      const settled = await runDelivery(message, recipient);
      if ('result' in settled) results.push(settled.result);
      else if ('held' in settled) results.push(settled.held);
      else if ('retry' in settled) pending.push(pendingOf(recipient, settled.retry));
      else failed.push({ recipient, error: settled.failed });
    }
    if (failed.length > 0) await deadLetter(ports.transmissions, attempt, failed, now, results, pending);
  }

  const [first] = pending;
  if (first) throw new IncompleteDeliveryError(results, pending.map(({ transmissionId, failure }) => ({ transmissionId, ...failure })), first.error);
  return results;
}

interface Pending {
  readonly transmissionId: string;
  readonly error: unknown;
  readonly failure: Pick<FailureClassification, 'reason' | 'errorName'>;
}

function pendingOf(recipient: Recipient, error: unknown): Pending {
  const { reason, errorName } = classifyFailure(error);
  return { transmissionId: recipient.transmissionId, error, failure: { reason, errorName } };
}

/**
 * The envelope's recipients, each alias once: `C-ABC@relay` and `c-abc@relay` are one mailbox, so
 * one delivery (the later copies are reported as duplicates and get no record of their own).
 */
function distinctRecipients(mail: InboundMail, relayDomain: string, results: DeliveryResult[]): Recipient[] {
  const seen = new Set<string>();
  const recipients: Recipient[] = [];
  for (const [index, address] of mail.recipients.entries()) {
    const id = transmissionId(mail.sesMessageId, index);
    const key = address.trim().toLowerCase();
    if (seen.has(key)) {
      results.push({ status: 'duplicate', transmissionId: id });
      continue;
    }
    seen.add(key);
    const alias = parseAliasAddress(address, relayDomain);
    recipients.push({ index, transmissionId: id, address, alias, aliasId: alias?.alias ?? 'invalid' });
  }
  return recipients;
}

/**
 * Gives claims back after a failure that sent nothing. A release that fails leaves its claim to
 * run out its lease; it never replaces the error that decides how the message is retried.
 */
async function releaseQuietly(log: TransmissionLog, recipients: readonly Recipient[]): Promise<void> {
  await Promise.allSettled(recipients.map((recipient) => log.release(recipient.transmissionId)));
}

type Settled = { readonly result: DeliveryResult } | { readonly retry: unknown } | { readonly failed: unknown } | { readonly held: DeliveryResult };

/**
 * One delivery from claim to record. The DSN for a refusal goes out only after the record that
 * says so is written, so a failed write never leads to a second DSN; a relayed message whose
 * record could not be written keeps its claim (SES has it), as does one SES may have accepted.
 */
async function runDelivery(message: MessageContext, recipient: Recipient): Promise<Settled> {
  const { ports } = message;
  let outcome: DeliveryOutcome;
  try {
    const delivered = await deliverToRecipient(message, recipient);
    if ('held' in delivered) {
      // Nothing was sent and nothing recorded: the claim goes back for the attempt after the hold.
      await releaseQuietly(ports.transmissions, [recipient]);
      return { held: delivered.held };
    }
    outcome = delivered;
  } catch (error) {
    if (error instanceof MaybeSentError) return { retry: error };
    if (!classifyFailure(error).canRetry) return { failed: error };
    await releaseQuietly(ports.transmissions, [recipient]);
    return { retry: error };
  }
  try {
    await ports.transmissions.complete(outcome.record);
  } catch (error) {
    if (outcome.delivery.status !== 'relayed') await releaseQuietly(ports.transmissions, [recipient]);
    return { retry: error };
  }
  if (!outcome.bounce) return { result: outcome.delivery };
  try {
    await ports.mailer.send({ from: outcome.bounce.from, to: [outcome.bounce.to], parts: [outcome.bounce.raw] });
    return { result: outcome.delivery };
  } catch (error) {
    return { result: { ...outcome.delivery, bounceFailed: classifyFailure(error).errorName } as DeliveryResult };
  }
}

/**
 * Sends the notification to the dead-letter queue once, naming every delivery that failed for
 * good, then marks them so redeliveries skip them and a replay takes them again. When there is no
 * dead-letter queue, or it cannot take the notification, they are released and retried instead:
 * never dropped.
 */
async function deadLetter(
  log: TransmissionLog,
  attempt: RelayAttempt,
  failed: readonly { readonly recipient: Recipient; readonly error: unknown }[],
  now: Date,
  results: DeliveryResult[],
  pending: Pending[],
): Promise<void> {
  const [first] = failed;
  if (!first) return;
  const failure = classifyFailure(first.error);
  const recipients = failed.map(({ recipient }) => recipient);
  try {
    if (!attempt.deadLetter) throw first.error;
    await attempt.deadLetter({ deliveries: recipients.map((r) => r.transmissionId), reason: failure.reason, errorName: failure.errorName });
  } catch {
    await releaseQuietly(log, recipients);
    // Retried with their own (permanent) error named; the retry itself comes from IncompleteDeliveryError.
    for (const { recipient, error } of failed) pending.push(pendingOf(recipient, error));
    return;
  }
  for (const { recipient, error } of failed) {
    const { reason, errorName } = classifyFailure(error);
    // A mark that fails leaves the claim to its lease: a later redelivery tries the delivery again.
    await log.markDeadLettered(recipient.transmissionId, { reason, errorName, at: now }).catch(() => undefined);
    results.push({ status: 'dead_lettered', transmissionId: recipient.transmissionId, reason, errorName });
  }
}

/** What one delivery came to: the result to report, the record to write, and a DSN to send after it. */
interface DeliveryOutcome {
  readonly delivery: DeliveryResult;
  readonly record: TransmissionRecord;
  readonly bounce?: Bounce;
}

type ParsedMessage = { readonly split: SplitMessage; readonly facts: HeaderFacts } | undefined;

function parseMessage(raw: Buffer): ParsedMessage {
  try {
    const split = splitMessage(raw);
    return { split, facts: inspectHeaders(split.header) };
  } catch {
    // A message no parser can read is refused as malformed, never retried forever.
    return undefined;
  }
}

/** How the From address stands, judged once per message. */
interface SenderStanding {
  readonly from?: Mailbox;
  readonly problem?: 'missing_from' | 'ambiguous_from';
  readonly authenticated: boolean;
  /** The envelope sender is proven the sender's own, so a DSN to it is no backscatter. */
  readonly envelopeProven: boolean;
}

/**
 * What every delivery of one message shares, each fact derived once and on first need: the parsed
 * header block, the sender's standing, keyed hashes, DKIM results, store profiles and secrets.
 */
class MessageContext {
  readonly parsed: ParsedMessage;
  readonly #memo = new Map<string, Promise<unknown>>();

  constructor(
    readonly mail: InboundMail,
    readonly raw: Buffer,
    readonly ports: RelayPorts,
    readonly options: RelayOptions,
    /** The one instant every decision and record of this attempt uses. */
    readonly now: Date,
    readonly purgeAt: number,
  ) {
    this.parsed = parseMessage(raw);
  }

  #once<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let value = this.#memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = compute();
      this.#memo.set(key, value);
    }
    return value;
  }

  macOf(address: string): Promise<string> {
    const key = normalizeAddress(address);
    return this.#once(`mac:${key}`, () => this.ports.keys.mac(addressMacInput(key)));
  }

  storeProfile(storeId: string): Promise<StoreProfile> {
    return this.#once(`profile:${storeId}`, () => this.ports.stores.getStoreProfile(storeId));
  }

  /** The store's contact and every registered sender, decrypted: secrets in the store's outbound mail. */
  storeAddresses(profile: StoreProfile): Promise<string[]> {
    const { store, senders } = profile;
    if (!store) return Promise.resolve([]);
    return this.#once(`addresses:${store.storeId}`, () =>
      Promise.all([
        this.ports.keys.decrypt(store.contactCipher, storeContactContext(store.storeId)),
        ...senders.map((sender) => this.ports.keys.decrypt(sender.addressCipher, storeSenderContext(store.storeId))),
      ]),
    );
  }

  sender(): Promise<SenderStanding> {
    return this.#once('sender', () => this.#judgeSender());
  }

  async #judgeSender(): Promise<SenderStanding> {
    const { mail } = this;
    const [from, ...others] = this.parsed?.facts.from ?? [];
    if (!from) return { problem: 'missing_from', authenticated: false, envelopeProven: false };
    if (others.length > 0) return { problem: 'ambiguous_from', authenticated: false, envelopeProven: false };
    const evidence = { verdicts: mail.verdicts, fromAddress: from.address, envelopeSender: mail.envelopeSender };
    let method = authenticatedBy(evidence);
    if (!method && needsDkimDomains(mail.verdicts)) {
      const dkim = await this.ports.dkim.verify(this.raw);
      method = authenticatedBy({ ...evidence, dkimDomains: dkim.passingDomains });
      // A key that could not be fetched may yet prove the sender: try again later rather than refuse.
      if (!method && dkim.temporaryFailure) throw new RetryableDeliveryError('a DKIM key lookup failed temporarily');
    }
    const authenticated = method !== undefined;
    return { from, authenticated, envelopeProven: envelopeProven(evidence, authenticated) };
  }
}

async function deliverToRecipient(message: MessageContext, recipient: Recipient): Promise<DeliveryOutcome | { readonly held: DeliveryResult }> {
  const { mail, parsed, options, now } = message;
  const base = {
    transmissionId: recipient.transmissionId,
    sesMessageId: mail.sesMessageId,
    aliasId: recipient.aliasId,
    verdicts: mail.verdicts,
    sizeBytes: message.raw.length,
    receivedAt: mail.receivedAt.toISOString(),
    purgeAt: message.purgeAt,
    completedAt: now.toISOString(),
    ...optional('connectingIp', connectingIpFromReceived(mail.sesReceivedHeader)),
  };
  const refuse = async (reason: RefusalReason, storeId?: string, direction: Direction = 'unknown'): Promise<DeliveryOutcome> => {
    const bounce = await bounceFor(message, recipient, reason);
    const bounced = bounce ? { bounced: true as const } : {};
    return {
      delivery: { status: 'refused', transmissionId: recipient.transmissionId, aliasId: recipient.aliasId, reason, ...optional('storeId', storeId), ...bounced },
      record: { ...base, direction, outcome: 'refused', reason, ...optional('storeId', storeId), ...bounced },
      ...(bounce ? { bounce } : {}),
    };
  };

  if (!parsed) return refuse('malformed_message');
  const decision = await decide(message, recipient, parsed.facts, parsed.split.body.length);
  if ('refused' in decision) return refuse(decision.refused, decision.storeId);
  if ('held' in decision) {
    const { held: reason, storeId, retryAfterSeconds } = decision;
    return { held: { status: 'held', transmissionId: recipient.transmissionId, aliasId: recipient.aliasId, storeId, reason, retryAfterSeconds } };
  }
  const { route } = decision;

  const secrets = [...parsed.facts.senderAddresses, mail.envelopeSender, route.destination, ...route.partySecrets].filter((a) => a.includes('@'));
  const threadTranslations = await threadTranslationsFor(message, parsed.facts.threadIds, route, recipient.aliasId);
  const header = rewriteHeaders(parsed.split.header, {
    fromAlias: route.fromAlias,
    toAlias: route.toAlias,
    fallbackDisplayName: route.fallbackDisplayName,
    secrets,
    loopHeader: { name: LOOP_HEADER, value: options.relayDomain },
    now,
    ...(route.listUnsubscribe === undefined ? {} : { listUnsubscribe: route.listUnsubscribe }),
    ...(threadTranslations.size === 0 ? {} : { threadTranslations }),
  });
  const outboundSize = header.length + parsed.split.body.length;
  if (outboundSize > maxOutboundBytes(options)) return refuse('message_too_large', route.storeId, route.direction);

  // The body goes out as the part of what S3 returned: no copy of it is made.
  const sent = await message.ports.mailer.send({ from: route.fromAlias, to: [route.destination], parts: [header, parsed.split.body] });
  return {
    delivery: { status: 'relayed', transmissionId: recipient.transmissionId, aliasId: recipient.aliasId, direction: route.direction, storeId: route.storeId, sizeBytes: outboundSize },
    record: {
      ...base,
      storeId: route.storeId,
      direction: route.direction,
      outcome: 'relayed',
      outboundMessageId: sent.messageId,
      ...optional('originalMessageId', keepableMessageId(parsed.facts.messageId, secrets)),
    },
  };
}

/** Relayed copies looked up for one message at most: its parent and the thread's latest. */
const MAX_TRANSLATED_IDS = 10;

/**
 * Threads across the relay, both ways. SES gives every relayed copy its own Message-ID, so a reply
 * names the copy's ID, which its recipient has never seen: each such ID of a copy the relay sent in
 * this conversation, the other way, is mapped back to the ID its author wrote, since the message is
 * going to that author, who knows it. And an author's References name their own earlier messages,
 * which the recipient received as copies: each is mapped to the copy's ID, looked up within this
 * conversation (messages relayed to the same alias). Any other ID is left to the party check of
 * the rewrite.
 */
async function threadTranslationsFor(message: MessageContext, threadIds: readonly string[], route: Routed, recipientAlias: string): Promise<ReadonlyMap<string, string>> {
  const lookup = message.ports.relayedMessages;
  if (!lookup || threadIds.length === 0) return new Map();
  // The parent (In-Reply-To comes first) and then the thread's latest messages.
  const ordered = [...new Set([threadIds[0] ?? '', ...threadIds.slice(1).reverse()])].slice(0, MAX_TRANSLATED_IDS);
  const copies = new Map<string, string>();
  const own: string[] = [];
  for (const id of ordered) {
    const outboundId = sesMessageIdOf(id);
    if (outboundId !== undefined) copies.set(outboundId, id);
    else own.push(id);
  }
  const [found, ownCopies] = await Promise.all([
    copies.size === 0 ? new Map<string, RelayedMessage>() : lookup.byOutboundId([...copies.keys()]),
    own.length === 0 ? new Map<string, string>() : lookup.outboundIdsOf(recipientAlias, own),
  ]);
  // The copy went to the alias this message comes from, in the other direction.
  const sendingAlias = route.fromAlias.slice(0, route.fromAlias.indexOf('@'));
  const translations = new Map<string, string>();
  for (const [outboundId, relayed] of found) {
    const id = copies.get(outboundId);
    if (id !== undefined && relayed.aliasId === sendingAlias && relayed.direction !== route.direction) translations.set(id, relayed.originalMessageId);
  }
  for (const [id, outboundId] of ownCopies) translations.set(id, sesMessageIdFor(outboundId));
  return translations;
}

function maxOutboundBytes(options: RelayOptions): number {
  return options.maxOutboundBytes ?? MAX_OUTBOUND_BYTES;
}

/**
 * The DSN for a refusal, or none: only for reasons marked bounceable, only to a sender whose From
 * is authenticated and whose envelope is proven its own (a DSN to a forged envelope is
 * backscatter), and at most `bouncesPerSenderPerHour` a clock hour to one envelope sender. Judged
 * here rather than taken from the route, because a refusal can come before authentication.
 */
async function bounceFor(message: MessageContext, recipient: Recipient, reason: RefusalReason): Promise<Bounce | undefined> {
  const { mail, options, now, ports } = message;
  if (!REFUSAL_REASONS[reason].bounceable) return undefined;
  const sender = await message.sender();
  if (!shouldBounce(reason, sender.authenticated && sender.envelopeProven)) return undefined;
  const bounce = composeBounce({
    reason,
    relayDomain: options.relayDomain,
    to: mail.envelopeSender,
    // A recipient that is no alias is echoed as the sender wrote it; composeBounce answers only for
    // 7-bit addresses on the relay domain.
    finalRecipient: recipient.alias ? aliasAddress(recipient.alias.alias, options.relayDomain) : recipient.address,
    deliveryId: recipient.transmissionId,
    sizeBytes: message.raw.length,
    limitBytes: maxOutboundBytes(options),
    arrivalDate: mail.receivedAt,
    now,
  });
  if (!bounce) return undefined;
  const windowEnd = nextHour(now);
  // Keyed per window, so the counters of two hours cannot be linked to each other or to the look-up hash.
  const key = await ports.keys.mac(bounceBudgetMacInput(mail.envelopeSender, windowEnd));
  const limit = options.bouncesPerSenderPerHour ?? DEFAULT_BOUNCES_PER_SENDER_PER_HOUR;
  return (await ports.bounceBudget.take(key, windowEnd, limit)) ? bounce : undefined;
}

function nextHour(now: Date): Date {
  const hour = 3_600_000;
  return new Date(Math.floor(now.getTime() / hour) * hour + hour);
}

async function decide(message: MessageContext, recipient: Recipient, facts: HeaderFacts, bodyBytes: number): Promise<Decision> {
  const { mail, ports, options, now } = message;
  const screened = screenMessage({
    envelopeSender: mail.envelopeSender,
    verdicts: mail.verdicts,
    hasLoopHeader: facts.hasHeader(LOOP_HEADER),
    autoSubmitted: facts.autoSubmitted,
    looksLikeBounce: facts.looksLikeBounce,
    ...optional('spamVerdictAction', options.spamVerdictAction),
  });
  if (screened) return { refused: screened };

  const target = recipient.alias;
  if (!target) return { refused: 'not_an_alias' };
  const alias = await ports.aliases.getAlias(target.alias);
  if (!alias || alias.kind !== target.kind || isPurged(alias, now)) return { refused: 'unknown_alias' };
  if (alias.disabledAt !== undefined) return { refused: 'alias_disabled', storeId: alias.storeId };
  if (isExpired(alias, now)) return { refused: 'expired_alias', storeId: alias.storeId };

  const sender = await message.sender();
  if (sender.problem || !sender.from) return { refused: sender.problem ?? 'missing_from', storeId: alias.storeId };
  // A body that alone exceeds the limit can never be sent, whoever wrote it: an unauthenticated
  // sender's is recorded as too large so the record says why (it is never bounced).
  const tooLarge = bodyBytes > maxOutboundBytes(options);
  if (!sender.authenticated) return { refused: tooLarge ? 'message_too_large' : 'unauthenticated_sender', storeId: alias.storeId };
  const senderHash = await message.macOf(sender.from.address);
  // Everything an authenticated sender could tell apart from an unknown alias (a pause answered
  // with silence, an over-size DSN) comes after authorisation: a stranger gets the same answer for
  // a live, paused or missing alias, so bounces cannot be used to find out which aliases exist.
  const unauthorised = await authorise(message, alias, senderHash);
  if (unauthorised) return { refused: unauthorised, storeId: alias.storeId };
  if (isPaused(alias, now)) return { refused: 'alias_paused', storeId: alias.storeId };
  if (tooLarge) return { refused: 'message_too_large', storeId: alias.storeId };
  if (alias.blockedAt !== undefined) return { refused: 'customer_blocked', storeId: alias.storeId };
  // The limits are counted while the route is looked up, so they cost the relayed mail no time of
  // their own; mail held back only wasted its look-ups, which its next attempt makes again.
  const [held, routed] = await Promise.all([holdBack(message, alias), alias.kind === 'customer' ? routeToCustomer(message, alias) : routeToMerchant(message, alias)]);
  return held ?? routed;
}

/**
 * Holds back a delivery from a paused store, or over a rate limit, until the pause may be lifted or
 * the window has passed; refuses it once that is past the hold window. Comes after authorisation:
 * only mail that would otherwise be relayed counts against a limit.
 */
async function holdBack(message: MessageContext, alias: AliasRecord): Promise<Decision | undefined> {
  const { ports, options, now, mail } = message;
  const limits = options.rateLimits ?? DEFAULT_RATE_LIMITS;
  const { storeId } = alias;
  const decide = (reason: HeldReason, resumeAt: Date): Decision => {
    const hold = holdUntil(resumeAt, mail.receivedAt, now, limits.holdMinutes);
    return 'refuse' in hold ? { refused: reason, storeId } : { held: reason, storeId, retryAfterSeconds: hold.heldForSeconds };
  };
  let storeLimit = limits.store;
  if (alias.kind === 'customer') {
    // Read already, for authorisation.
    const { store } = await message.storeProfile(storeId);
    if (store?.pausedAt !== undefined) return decide('store_paused', new Date(now.getTime() + PAUSE_RECHECK_MS));
    storeLimit = storeRateLimit(limits, store?.limits);
  }
  const full = await ports.rateLimiter.take(countersFor({ aliasKind: alias.kind, alias: alias.alias, storeId, storeLimit }, limits, now));
  return full.length > 0 ? decide('rate_limited', resumeAfter(full)) : undefined;
}

/** Only the store's registered senders write to a customer alias; only its customer to a reverse alias. */
async function authorise(message: MessageContext, alias: AliasRecord, senderHash: string): Promise<RefusalReason | undefined> {
  if (alias.kind === 'customer') {
    const { senders } = await message.storeProfile(alias.storeId);
    // A sender registered but not yet verified is, for the relay, not registered.
    return senders.some((sender) => sender.addressHash === senderHash && isVerifiedSender(sender)) ? undefined : 'unregistered_sender';
  }
  return senderHash === alias.addressHash && alias.customerAlias ? undefined : 'not_conversation_owner';
}

async function routeToCustomer(message: MessageContext, alias: AliasRecord): Promise<Decision> {
  const { ports, options, now } = message;
  const profile = await message.storeProfile(alias.storeId);
  const { store } = profile;
  if (!store || isStoreGone(store, now) || !alias.addressCipher) return { refused: 'unknown_store', storeId: alias.storeId };
  const { menuUrl } = options;
  const [customerAddress, storeAddresses, reverse, token] = await Promise.all([
    ports.keys.decrypt(alias.addressCipher, customerAddressContext(alias.alias)),
    message.storeAddresses(profile),
    alias.reverseAlias ?? reverseAlias(message, alias),
    menuUrl === undefined ? undefined : (alias.unsubscribeToken ?? unsubscribeToken(alias.alias, ports.keys)),
  ]);
  return {
    route: {
      direction: 'merchant_to_customer',
      storeId: alias.storeId,
      fromAlias: aliasAddress(reverse, options.relayDomain),
      toAlias: aliasAddress(alias.alias, options.relayDomain),
      fallbackDisplayName: store.displayName,
      destination: customerAddress,
      partySecrets: storeAddresses,
      ...(menuUrl === undefined || token === undefined ? {} : { listUnsubscribe: unsubscribeUrl(menuUrl, token) }),
    },
  };
}

/**
 * The store's reverse alias for a customer alias issued before the two were written together:
 * derived from its name, and made by the conversation's first message. Reading it first spares
 * every later one a conditional write that would fail and a read after it.
 */
async function reverseAlias(message: MessageContext, alias: AliasRecord): Promise<string> {
  const { ports, now } = message;
  const reverseName = aliasNameFromMac('merchant', await ports.keys.mac(reverseAliasMacInput(alias.alias)));
  const existing = await ports.aliases.getAlias(reverseName);
  if (existing) return existing.alias;
  const { record } = await ports.aliases.putAliasIfAbsent(reverseAliasRecord(alias, reverseName, now.toISOString()));
  return record.alias;
}

async function routeToMerchant(message: MessageContext, alias: AliasRecord): Promise<Decision> {
  const { ports, options, now } = message;
  if (!alias.customerAlias) return { refused: 'not_conversation_owner', storeId: alias.storeId };
  const store = await ports.stores.getStore(alias.storeId);
  if (!store || isStoreGone(store, now)) return { refused: 'unknown_store', storeId: alias.storeId };
  const contact = await ports.keys.decrypt(store.contactCipher, storeContactContext(store.storeId));
  return {
    route: {
      direction: 'customer_to_merchant',
      storeId: alias.storeId,
      fromAlias: aliasAddress(alias.customerAlias, options.relayDomain),
      toAlias: aliasAddress(alias.alias, options.relayDomain),
      fallbackDisplayName: CUSTOMER_FALLBACK_NAME,
      destination: contact,
      // The customer's own address is the authorised From (its hash is the alias's), which the
      // message's sender addresses already hold.
      partySecrets: [],
    },
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
