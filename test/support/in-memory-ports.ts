/**
 * In-memory implementations of the relay's ports (`lambdas/relay/ports.ts`, `lambdas/aliases/ports.ts`, `lambdas/keys/ports.ts`). They stand in for the
 * DynamoDB, KMS, S3 and SES adapters in fast domain tests, with the same observable semantics
 * (conditional alias writes, the transmission claim/lease rules, encryption context enforced on
 * decrypt); the integration tests use the real adapters against the local servers instead.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { addressMacInput } from '../../lambdas/aliases/address';
import { aliasAddress, aliasNameFromMac, customerAliasMacInput, reverseAliasMacInput, reverseAliasRecord } from '../../lambdas/aliases/names';
import { customerAddressContext, storeContactContext, storeSenderContext } from '../../lambdas/aliases/encryption-contexts';
import type { AliasRecord, AliasStore, RegisteredSender, StoreDirectory, StoreProfile, StoreRecord } from '../../lambdas/aliases/ports';
import type { EncryptionContext, KeyService } from '../../lambdas/keys/ports';
import { messageBytes } from '../../lambdas/relay/ports';
import type { BounceBudget, DkimVerification, DkimVerifier, Mailer, OutboundMessage, RawMailSource } from '../../lambdas/relay/ports';
import type { ClaimRequest, ClaimResult, DeliveryFailure, TransmissionLog } from '../../lambdas/relay/transmission';
import type { RelayPorts } from '../../lambdas/relay/relay-inbound-mail';
import type { TransmissionRecord } from '../../lambdas/relay/transmission';
import { fullWindow } from '../../lambdas/relay/rate-limits';
import type { FullCounter, RateCounter, RateLimiter } from '../../lambdas/relay/rate-limits';

class InMemoryAliasStore implements AliasStore {
  readonly records = new Map<string, AliasRecord>();

  async getAlias(alias: string): Promise<AliasRecord | undefined> {
    return this.records.get(alias);
  }

  async putAliasIfAbsent(record: AliasRecord): Promise<{ readonly record: AliasRecord; readonly created: boolean }> {
    const existing = this.records.get(record.alias);
    if (existing) return { record: existing, created: false };
    const reverse = record.reverseAlias === undefined ? undefined : reverseAliasRecord(record, record.reverseAlias, record.createdAt);
    if (reverse && this.records.has(reverse.alias)) throw new Error(`reverse alias ${reverse.alias} exists already`);
    this.records.set(record.alias, record);
    if (reverse) this.records.set(reverse.alias, reverse);
    return { record, created: true };
  }
}

class InMemoryStoreDirectory implements StoreDirectory {
  readonly stores = new Map<string, StoreRecord>();
  /** Keyed by store ID and address hash, as the stores table keys its sender items. */
  readonly senders = new Map<string, RegisteredSender>();

  async getStore(storeId: string): Promise<StoreRecord | undefined> {
    return this.stores.get(storeId);
  }

  async putStore(record: StoreRecord): Promise<void> {
    this.stores.set(record.storeId, record);
  }

  async putSender(sender: RegisteredSender): Promise<void> {
    this.senders.set(senderKey(sender.storeId, sender.addressHash), sender);
  }

  async removeSender(storeId: string, addressHash: string): Promise<void> {
    this.senders.delete(senderKey(storeId, addressHash));
  }

  async getStoreProfile(storeId: string): Promise<StoreProfile> {
    const store = this.stores.get(storeId);
    const senders = [...this.senders.values()].filter((sender) => sender.storeId === storeId);
    return store ? { store, senders } : { senders };
  }
}

function senderKey(storeId: string, addressHash: string): string {
  return JSON.stringify([storeId, addressHash]);
}

type TransmissionItem =
  | { readonly state: 'processing'; readonly leaseUntil: number; readonly sesMessageId: string }
  | { readonly state: 'released'; readonly sesMessageId: string }
  | { readonly state: 'dead_lettered'; readonly sesMessageId: string; readonly failure: DeliveryFailure }
  | { readonly state: 'done'; readonly record: TransmissionRecord };

/**
 * The claim rules of `DynamoTransmissionLog`: a delivery may be claimed when it has no item, was
 * released, is `processing` with a lease that ran out, or (on a replay) was dead-lettered; `done`
 * reports completed, `dead_lettered` dead-lettered, anything else in progress. Release and the
 * dead-letter mark only turn a `processing` item.
 */
export class InMemoryTransmissionLog implements TransmissionLog {
  readonly items = new Map<string, TransmissionItem>();

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const item = this.items.get(request.transmissionId);
    const claimable =
      !item ||
      item.state === 'released' ||
      (item.state === 'processing' && item.leaseUntil < request.now.getTime()) ||
      (item.state === 'dead_lettered' && request.retakeDeadLettered === true);
    if (claimable) {
      this.items.set(request.transmissionId, { state: 'processing', leaseUntil: request.leaseUntil.getTime(), sesMessageId: request.sesMessageId });
      return { status: 'claimed' };
    }
    if (item.state === 'done') return { status: 'completed' };
    return item.state === 'dead_lettered' ? { status: 'dead_lettered' } : { status: 'in_progress' };
  }

  async complete(record: TransmissionRecord): Promise<void> {
    this.items.set(record.transmissionId, { state: 'done', record });
  }

  async release(transmissionId: string): Promise<void> {
    const item = this.items.get(transmissionId);
    if (item?.state === 'processing') this.items.set(transmissionId, { state: 'released', sesMessageId: item.sesMessageId });
  }

  async markDeadLettered(transmissionId: string, failure: DeliveryFailure): Promise<void> {
    const item = this.items.get(transmissionId);
    if (item?.state === 'processing') this.items.set(transmissionId, { state: 'dead_lettered', sesMessageId: item.sesMessageId, failure });
  }

  /** The completed records, in completion order. */
  records(): TransmissionRecord[] {
    return [...this.items.values()].flatMap((item) => (item.state === 'done' ? [item.record] : []));
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * HMAC-SHA-256 and AES-256-GCM with fresh keys per instance. The encryption context is the AAD, so
 * a ciphertext decrypts only under the context it was made with, as KMS enforces.
 */
export class InMemoryKeyService implements KeyService {
  private readonly dataKey = randomBytes(32);
  private readonly macKey = randomBytes(32);

  async encrypt(plaintext: string, context: EncryptionContext): Promise<Uint8Array> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.dataKey, iv);
    cipher.setAAD(contextBytes(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
  }

  async decrypt(ciphertext: Uint8Array, context: EncryptionContext): Promise<string> {
    const blob = Buffer.from(ciphertext);
    if (blob.length < IV_BYTES + TAG_BYTES) throw new Error('InvalidCiphertextException: ciphertext too short');
    const decipher = createDecipheriv('aes-256-gcm', this.dataKey, blob.subarray(0, IV_BYTES));
    decipher.setAAD(contextBytes(context));
    decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  async mac(message: string): Promise<string> {
    return createHmac('sha256', this.macKey).update(message, 'utf8').digest('hex');
  }
}

/** KMS compares contexts as sets of pairs, so the key order must not matter. */
function contextBytes(context: EncryptionContext): Buffer {
  return Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), 'utf8');
}

class InMemoryRawMailSource implements RawMailSource {
  readonly objects = new Map<string, Buffer>();

  put(location: { bucket: string; key: string }, raw: Buffer): void {
    this.objects.set(objectKey(location), raw);
  }

  async read(location: { bucket: string; key: string }): Promise<Buffer> {
    const raw = this.objects.get(objectKey(location));
    if (!raw) throw new Error(`NoSuchKey: ${location.bucket}/${location.key}`);
    return raw;
  }
}

function objectKey(location: { bucket: string; key: string }): string {
  return `${location.bucket}/${location.key}`;
}

/** A message as the mailer was given it, with its bytes joined for the tests to read. */
interface SentMessage extends OutboundMessage {
  readonly raw: Buffer;
}

/** Keeps every message it is asked to send, in order. */
class CapturingMailer implements Mailer {
  readonly sent: SentMessage[] = [];

  async send(message: OutboundMessage): Promise<{ messageId: string }> {
    this.sent.push({ ...message, raw: messageBytes(message) });
    return { messageId: `outbound-${this.sent.length}` };
  }
}

/**
 * DKIM results given by the test: the domains whose signatures "verified". Real verification with
 * mailauth is tested against signed messages in the adapter's and the integration tests.
 */
class ScriptedDkimVerifier implements DkimVerifier {
  passingDomains: readonly string[] = [];
  temporaryFailure = false;
  calls = 0;

  async verify(): Promise<DkimVerification> {
    this.calls += 1;
    return { passingDomains: this.passingDomains, temporaryFailure: this.temporaryFailure };
  }
}

/** The counting rule of `DynamoBounceBudget`: at most `limit` takes per key. */
class InMemoryBounceBudget implements BounceBudget {
  readonly taken = new Map<string, number>();

  async take(key: string, _windowEnd: Date, limit: number): Promise<boolean> {
    const count = this.taken.get(key) ?? 0;
    if (count >= limit) return false;
    this.taken.set(key, count + 1);
    return true;
  }
}

/** Counts per subject, day and minute, as the DynamoDB adapter keeps them. */
class InMemoryRateLimiter implements RateLimiter {
  readonly counts = new Map<string, number>();

  async take(counters: readonly RateCounter[]): Promise<readonly FullCounter[]> {
    for (const counter of counters) {
      const window = fullWindow(counter, { day: this.counts.get(`${counter.subject}#${counter.day}`), minute: this.counts.get(`${counter.subject}#${counter.day}#${counter.minute}`) });
      if (window) return [{ counter, window }];
    }
    for (const counter of counters) {
      for (const key of [`${counter.subject}#${counter.day}`, `${counter.subject}#${counter.day}#${counter.minute}`]) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
    return [];
  }
}

export interface InMemoryPorts extends RelayPorts {
  readonly aliases: InMemoryAliasStore;
  readonly stores: InMemoryStoreDirectory;
  readonly keys: InMemoryKeyService;
  readonly rawMail: InMemoryRawMailSource;
  readonly mailer: CapturingMailer;
  readonly transmissions: InMemoryTransmissionLog;
  readonly dkim: ScriptedDkimVerifier;
  readonly bounceBudget: InMemoryBounceBudget;
  readonly rateLimiter: InMemoryRateLimiter;
}

export function createInMemoryPorts(): InMemoryPorts {
  return {
    aliases: new InMemoryAliasStore(),
    stores: new InMemoryStoreDirectory(),
    keys: new InMemoryKeyService(),
    rawMail: new InMemoryRawMailSource(),
    mailer: new CapturingMailer(),
    transmissions: new InMemoryTransmissionLog(),
    dkim: new ScriptedDkimVerifier(),
    bounceBudget: new InMemoryBounceBudget(),
    rateLimiter: new InMemoryRateLimiter(),
  };
}

export interface SeedRequest {
  readonly storeId: string;
  readonly displayName: string;
  readonly contact: string;
  /** Registered senders, written as given (no plausibility check, so odd real-world addresses work too). */
  readonly senders: readonly string[];
  readonly orderId: string;
  readonly customer: string;
  readonly relayDomain: string;
  readonly now: Date;
  readonly validityDays?: number;
}

/**
 * Writes one store, its senders and a customer alias straight through the ports, the records
 * shaped as `createStore` and `issueAlias` shape them. Returns the customer alias address.
 */
export async function seedStoreAndCustomerAlias(ports: InMemoryPorts, request: SeedRequest): Promise<string> {
  const { keys } = ports;
  const { now } = request;
  const createdAt = now.toISOString();
  await ports.stores.putStore({
    storeId: request.storeId,
    displayName: request.displayName,
    contactCipher: await keys.encrypt(request.contact, storeContactContext(request.storeId)),
    contactHash: await keys.mac(addressMacInput(request.contact)),
    createdAt,
  });
  for (const sender of request.senders) {
    await ports.stores.putSender({
      storeId: request.storeId,
      addressHash: await keys.mac(addressMacInput(sender)),
      addressCipher: await keys.encrypt(sender, storeSenderContext(request.storeId)),
      createdAt,
    });
  }
  const alias = aliasNameFromMac('customer', await keys.mac(customerAliasMacInput(request.storeId, request.orderId)));
  const expiresAt = new Date(now.getTime() + (request.validityDays ?? 180) * 86_400_000);
  await ports.aliases.putAliasIfAbsent({
    alias,
    kind: 'customer',
    storeId: request.storeId,
    orderId: request.orderId,
    addressCipher: await keys.encrypt(request.customer, customerAddressContext(alias)),
    addressHash: await keys.mac(addressMacInput(request.customer)),
    createdAt,
    expiresAt: expiresAt.toISOString(),
    purgeAt: Math.floor(expiresAt.getTime() / 1000) + 90 * 86_400,
  });
  return aliasAddress(alias, request.relayDomain);
}

/**
 * Writes the store's reverse alias for a customer alias, as the first relayed store mail creates
 * it, so a customer's reply can be tested without one. Returns the reverse alias address.
 */
export async function seedReverseAlias(ports: InMemoryPorts, customerAliasAddress: string, relayDomain: string): Promise<string> {
  const customerAlias = customerAliasAddress.slice(0, customerAliasAddress.lastIndexOf('@'));
  const record = await ports.aliases.getAlias(customerAlias);
  if (!record) throw new Error(`no customer alias ${customerAlias}`);
  const alias = aliasNameFromMac('merchant', await ports.keys.mac(reverseAliasMacInput(customerAlias)));
  await ports.aliases.putAliasIfAbsent({
    alias,
    kind: 'merchant',
    storeId: record.storeId,
    addressHash: record.addressHash,
    customerAlias,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    purgeAt: record.purgeAt,
  });
  return aliasAddress(alias, relayDomain);
}
