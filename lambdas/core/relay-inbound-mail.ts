import { addressMacInput, normalizeAddress } from './address';
import { aliasAddress, aliasNameFromMac, parseAliasAddress, reverseAliasMacInput } from './alias';
import { composeBounce, shouldBounce } from './bounce';
import { inspectHeaders, LOOP_HEADER, rewriteHeaders, splitMessage } from './mail';
import type { HeaderFacts, SplitMessage } from './mail';
import { isAuthenticated, isExpired, isPaused, isPurged, isStoreGone, screenMessage } from './policy';
import type { RefusalReason, SpamVerdictAction } from './policy';
import type { AliasRecord, AliasStore, KeyService, Mailer, RawMailSource, StoreDirectory, TransmissionLog } from './ports';
import { connectingIpFromReceived, purgeAtEpochSeconds, transmissionId } from './transmission';
import type { Direction, TransmissionRecord } from './transmission';
import type { Verdicts } from './verdicts';
import { customerAddressContext, storeContactContext } from './encryption-contexts';

/** SES v2 refuses raw messages over 40 MB (SES quotas, "Message size"). */
export const MAX_OUTBOUND_BYTES = 40 * 1024 * 1024;

/** Shown to the store when a customer's own mail carries no display name. */
export const CUSTOMER_FALLBACK_NAME = 'お客様';

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
}

export type DeliveryResult =
  | { readonly status: 'relayed'; readonly transmissionId: string; readonly aliasId: string; readonly direction: Direction; readonly storeId: string; readonly sizeBytes: number }
  | { readonly status: 'refused'; readonly transmissionId: string; readonly aliasId: string; readonly reason: RefusalReason; readonly storeId?: string; readonly bounced?: true }
  | { readonly status: 'duplicate'; readonly transmissionId: string };

/** Raised when the message must be retried later; the queue redelivers it. */
export class RetryableDeliveryError extends Error {
  override readonly name = 'RetryableDeliveryError';
}

interface Routed {
  readonly direction: Direction;
  readonly storeId: string;
  readonly fromAlias: string;
  readonly toAlias: string;
  readonly fallbackDisplayName: string;
  readonly destination: string;
}

type Decision = { readonly refused: RefusalReason; readonly storeId?: string } | { readonly route: Routed };

const DEFAULT_LEASE_SECONDS = 120;

/**
 * Relays one inbound message to each of its envelope recipients: claims each delivery (exactly once
 * per SES message and recipient), screens, resolves and authorises, rewrites the header block,
 * sends, and records the outcome. A transient failure releases the unfinished claims and rethrows
 * so the queue redelivers; finished deliveries are not repeated.
 */
export async function relayInboundMail(mail: InboundMail, ports: RelayPorts, options: RelayOptions): Promise<DeliveryResult[]> {
  const now = options.clock();
  const purgeAt = purgeAtEpochSeconds(mail.receivedAt, options.transmissionRetentionDays);
  const leaseUntil = new Date(now.getTime() + (options.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000);
  const results: DeliveryResult[] = [];
  const claimed: number[] = [];

  for (const [index] of mail.recipients.entries()) {
    const id = transmissionId(mail.sesMessageId, index);
    const claim = await ports.transmissions.claim({ transmissionId: id, sesMessageId: mail.sesMessageId, now, leaseUntil, purgeAt });
    if (claim.status === 'completed') results.push({ status: 'duplicate', transmissionId: id });
    else if (claim.status === 'claimed') claimed.push(index);
    else {
      await releaseAll(ports.transmissions, mail, claimed);
      throw new RetryableDeliveryError(`delivery ${id} is being processed by another invocation`);
    }
  }
  if (claimed.length === 0) return results;

  const pending = new Set(claimed);
  try {
    const raw = await ports.rawMail.read(mail.location);
    const parsed = parseMessage(raw);
    const senderHashes = new Map<string, Promise<string>>();
    const macOf = (address: string): Promise<string> => {
      const key = normalizeAddress(address);
      let mac = senderHashes.get(key);
      if (!mac) {
        mac = ports.keys.mac(addressMacInput(key));
        senderHashes.set(key, mac);
      }
      return mac;
    };
    for (const index of claimed) {
      const recipient = mail.recipients[index] ?? '';
      const result = await deliverToRecipient({ mail, recipient, index, raw, parsed, ports, options, purgeAt, macOf });
      results.push(result.delivery);
      // From here on SES may have accepted a message for this delivery, so its claim is never given
      // back for an immediate retry. The window exactly-once cannot close is this write failing
      // (after the SDK's own retries) or the invocation dying before it: the claim then stays until
      // its lease expires, and the redelivery after that sends a second copy.
      pending.delete(index);
      await ports.transmissions.complete(result.record);
    }
  } catch (error) {
    await releaseAll(ports.transmissions, mail, [...pending]);
    throw error;
  }
  return results;
}

async function releaseAll(log: TransmissionLog, mail: InboundMail, indexes: readonly number[]): Promise<void> {
  await Promise.all(indexes.map((index) => log.release(transmissionId(mail.sesMessageId, index))));
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

interface DeliveryContext {
  readonly mail: InboundMail;
  readonly recipient: string;
  readonly index: number;
  readonly raw: Buffer;
  readonly parsed: ParsedMessage;
  readonly ports: RelayPorts;
  readonly options: RelayOptions;
  readonly purgeAt: number;
  readonly macOf: (address: string) => Promise<string>;
}

async function deliverToRecipient(context: DeliveryContext): Promise<{ delivery: DeliveryResult; record: TransmissionRecord }> {
  const { mail, recipient, index, raw, parsed, ports, options } = context;
  const id = transmissionId(mail.sesMessageId, index);
  const aliasId = parseAliasAddress(recipient, options.relayDomain)?.alias ?? 'invalid';
  const base = {
    transmissionId: id,
    sesMessageId: mail.sesMessageId,
    aliasId,
    verdicts: mail.verdicts,
    sizeBytes: raw.length,
    receivedAt: mail.receivedAt.toISOString(),
    purgeAt: context.purgeAt,
    ...optional('connectingIp', connectingIpFromReceived(mail.sesReceivedHeader)),
  };
  const refuse = async (reason: RefusalReason, storeId?: string, direction: Direction = 'unknown') => {
    const bounced = parsed ? await bounceRefusal(context, parsed.facts, reason) : false;
    return {
      delivery: { status: 'refused', transmissionId: id, aliasId, reason, ...optional('storeId', storeId), ...(bounced ? { bounced } : {}) } as const,
      record: { ...base, direction, outcome: 'refused', reason, completedAt: options.clock().toISOString(), ...optional('storeId', storeId), ...(bounced ? { bounced } : {}) } as const,
    };
  };

  if (!parsed) return refuse('malformed_message');
  const decision = await decide(context, parsed.facts, parsed.split.body.length);
  if ('refused' in decision) return refuse(decision.refused, decision.storeId);
  const { route } = decision;

  const header = rewriteHeaders(parsed.split.header, {
    fromAlias: route.fromAlias,
    toAlias: route.toAlias,
    fallbackDisplayName: route.fallbackDisplayName,
    secrets: [...parsed.facts.senderAddresses, mail.envelopeSender, route.destination].filter((a) => a.includes('@')),
    loopHeader: { name: LOOP_HEADER, value: options.relayDomain },
    now: options.clock(),
  });
  const outboundSize = header.length + parsed.split.body.length;
  if (outboundSize > maxOutboundBytes(options)) return refuse('message_too_large', route.storeId, route.direction);

  // The one copy of the outbound message: the header and body are subarrays of what S3 returned.
  const sent = await ports.mailer.send({ from: route.fromAlias, to: [route.destination], raw: Buffer.concat([header, parsed.split.body], outboundSize) });
  return {
    delivery: { status: 'relayed', transmissionId: id, aliasId, direction: route.direction, storeId: route.storeId, sizeBytes: outboundSize },
    record: {
      ...base,
      storeId: route.storeId,
      direction: route.direction,
      outcome: 'relayed',
      outboundMessageId: sent.messageId,
      completedAt: options.clock().toISOString(),
    },
  };
}

function maxOutboundBytes(options: RelayOptions): number {
  return options.maxOutboundBytes ?? MAX_OUTBOUND_BYTES;
}

/**
 * Sends the sender a DSN for a refusal when {@link shouldBounce} says so; true when one was sent.
 * The sender's authentication is judged here, not taken from the route, because a refusal can come
 * before the authentication check: a forged sender never gets one (backscatter).
 */
async function bounceRefusal(context: DeliveryContext, facts: HeaderFacts, reason: RefusalReason): Promise<boolean> {
  const { mail, recipient, index, options, ports } = context;
  const [sender, ...others] = facts.from;
  const authenticated = sender !== undefined && others.length === 0 && isAuthenticated(mail.verdicts, sender.address, mail.envelopeSender);
  if (!shouldBounce(reason, authenticated)) return false;
  const target = parseAliasAddress(recipient, options.relayDomain);
  // A recipient that is no alias is echoed as the sender wrote it; composeBounce answers only for
  // 7-bit addresses on the relay domain.
  const finalRecipient = target ? aliasAddress(target.alias, options.relayDomain) : recipient;
  const bounce = composeBounce({
    reason,
    relayDomain: options.relayDomain,
    to: mail.envelopeSender,
    finalRecipient,
    deliveryId: transmissionId(mail.sesMessageId, index),
    sizeBytes: context.raw.length,
    limitBytes: maxOutboundBytes(options),
    arrivalDate: mail.receivedAt,
    now: options.clock(),
  });
  if (!bounce) return false;
  await ports.mailer.send({ from: bounce.from, to: [bounce.to], raw: bounce.raw });
  return true;
}

async function decide(context: DeliveryContext, facts: HeaderFacts, bodyBytes: number): Promise<Decision> {
  const { mail, recipient, ports, options } = context;
  const screened = screenMessage({
    envelopeSender: mail.envelopeSender,
    verdicts: mail.verdicts,
    hasLoopHeader: facts.hasHeader(LOOP_HEADER),
    autoSubmitted: facts.autoSubmitted,
    looksLikeBounce: facts.looksLikeBounce,
    ...optional('spamVerdictAction', options.spamVerdictAction),
  });
  if (screened) return { refused: screened };

  const target = parseAliasAddress(recipient, options.relayDomain);
  if (!target) return { refused: 'not_an_alias' };
  const alias = await ports.aliases.getAlias(target.alias);
  if (!alias || alias.kind !== target.kind || isPurged(alias, options.clock())) return { refused: 'unknown_alias' };
  if (isExpired(alias, options.clock())) return { refused: 'expired_alias', storeId: alias.storeId };

  const [sender, ...others] = facts.from;
  if (!sender) return { refused: 'missing_from', storeId: alias.storeId };
  if (others.length > 0) return { refused: 'ambiguous_from', storeId: alias.storeId };
  // A body that alone exceeds the limit can never be sent, whoever wrote it: an unauthenticated
  // sender's is recorded as too large so the record says why (it is never bounced).
  const tooLarge = bodyBytes > maxOutboundBytes(options);
  if (!isAuthenticated(mail.verdicts, sender.address, mail.envelopeSender)) return { refused: tooLarge ? 'message_too_large' : 'unauthenticated_sender', storeId: alias.storeId };
  const senderHash = await context.macOf(sender.address);
  // Everything an authenticated sender could tell apart from an unknown alias (a pause answered
  // with silence, an over-size DSN) comes after authorisation: a stranger gets the same answer for
  // a live, paused or missing alias, so bounces cannot be used to find out which aliases exist.
  const unauthorised = await authorise(context, alias, senderHash);
  if (unauthorised) return { refused: unauthorised, storeId: alias.storeId };
  if (isPaused(alias, options.clock())) return { refused: 'alias_paused', storeId: alias.storeId };
  if (tooLarge) return { refused: 'message_too_large', storeId: alias.storeId };

  return alias.kind === 'customer' ? routeToCustomer(context, alias) : routeToMerchant(context, alias);
}

/** Only the store's registered senders write to a customer alias; only its customer to a reverse alias. */
async function authorise(context: DeliveryContext, alias: AliasRecord, senderHash: string): Promise<RefusalReason | undefined> {
  if (alias.kind === 'customer') return (await context.ports.stores.isRegisteredSender(alias.storeId, senderHash)) ? undefined : 'unregistered_sender';
  return senderHash === alias.addressHash && alias.customerAlias ? undefined : 'not_conversation_owner';
}

async function routeToCustomer(context: DeliveryContext, alias: AliasRecord): Promise<Decision> {
  const { ports, options } = context;
  const store = await ports.stores.getStore(alias.storeId);
  if (!store || isStoreGone(store, options.clock()) || !alias.addressCipher) return { refused: 'unknown_store', storeId: alias.storeId };
  const customerAddress = await ports.keys.decrypt(alias.addressCipher, customerAddressContext(alias.alias));
  const reverseName = aliasNameFromMac('merchant', await ports.keys.mac(reverseAliasMacInput(alias.alias)));
  // Only a conversation's first message creates the reverse alias; reading it first spares every
  // later one a conditional write that would fail and a read after it.
  const reverse =
    (await ports.aliases.getAlias(reverseName)) ??
    (
      await ports.aliases.putAliasIfAbsent({
        alias: reverseName,
        kind: 'merchant',
        storeId: alias.storeId,
        addressHash: alias.addressHash,
        customerAlias: alias.alias,
        createdAt: options.clock().toISOString(),
        expiresAt: alias.expiresAt,
        purgeAt: alias.purgeAt,
      })
    ).record;
  return {
    route: {
      direction: 'merchant_to_customer',
      storeId: alias.storeId,
      fromAlias: aliasAddress(reverse.alias, options.relayDomain),
      toAlias: aliasAddress(alias.alias, options.relayDomain),
      fallbackDisplayName: store.displayName,
      destination: customerAddress,
    },
  };
}

async function routeToMerchant(context: DeliveryContext, alias: AliasRecord): Promise<Decision> {
  const { ports, options } = context;
  if (!alias.customerAlias) return { refused: 'not_conversation_owner', storeId: alias.storeId };
  const store = await ports.stores.getStore(alias.storeId);
  if (!store || isStoreGone(store, options.clock())) return { refused: 'unknown_store', storeId: alias.storeId };
  const contact = await ports.keys.decrypt(store.contactCipher, storeContactContext(store.storeId));
  return {
    route: {
      direction: 'customer_to_merchant',
      storeId: alias.storeId,
      fromAlias: aliasAddress(alias.customerAlias, options.relayDomain),
      toAlias: aliasAddress(alias.alias, options.relayDomain),
      fallbackDisplayName: CUSTOMER_FALLBACK_NAME,
      destination: contact,
    },
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
