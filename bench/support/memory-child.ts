/**
 * Child process of the memory measurement: relays merchant messages of one size through the
 * relay's own code (`relayInboundMail`: split, inspect, rewrite, the outbound message) and a real
 * SESv2Client, which signs the request and sends it over HTTP to the sink the parent runs on
 * loopback (in another process, so that what it receives is not counted here). The other ports
 * answer from memory. The message is written straight into one buffer, as the S3 adapter reads it,
 * so building it leaves nothing behind.
 *
 * Prints one JSON line: the process's peak RSS above its RSS just before the first message existed.
 * On Linux the peak is the kernel's high-water mark of this process's own memory (`VmHWM`), reset
 * at that moment; getrusage's maxrss would not do, as it keeps the parent's size from before exec.
 *
 *   <node with tsx> bench/support/memory-child.ts <bytes> <count> <relay|sdk> <sink URL>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { SesMailer } from '../../lambdas/relay/aws/ses-mailer';
import type { AliasRecord } from '../../lambdas/aliases/ports';
import { messageBytes } from '../../lambdas/relay/ports';
import type { Mailer, OutboundMessage } from '../../lambdas/relay/ports';
import { relayInboundMail } from '../../lambdas/relay/relay-inbound-mail';
import type { RelayPorts } from '../../lambdas/relay/relay-inbound-mail';
import { attachmentMail, CUSTOMER_ADDRESS, CUSTOMER_ALIAS, RELAY_DOMAIN, STORE_SENDER } from './synthetic-mail';

export type MemoryMailer = 'relay' | 'sdk';

export interface ChildMeasurement {
  readonly sizeBytes: number;
  readonly count: number;
  readonly mailer: MemoryMailer;
  readonly seconds: number;
  readonly baselineBytes: number;
  readonly peakAboveBaselineBytes: number;
  readonly relayed: boolean;
}

/** The SDK left to serialize the request itself: the message as one base64 string inside one JSON string. */
class SdkSerializedMailer implements Mailer {
  constructor(private readonly ses: SESv2Client) {}

  async send(message: OutboundMessage): Promise<{ messageId: string }> {
    const { MessageId } = await this.ses.send(
      new SendEmailCommand({ FromEmailAddress: message.from, Destination: { ToAddresses: [...message.to] }, Content: { Raw: { Data: messageBytes(message) } } }),
    );
    return { messageId: MessageId ?? '' };
  }
}

/** Starts the high-water mark afresh from the current RSS (Linux `clear_refs` 5); false where that is not possible. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function peakRss(): number {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib) return Number(kib) * 1024;
  } catch {
    // Not Linux: getrusage's figure, which is right as long as the parent was smaller than this process.
  }
  return process.resourceUsage().maxRSS * 1024;
}

function memoryPorts(raw: Buffer, mailer: Mailer): RelayPorts {
  const now = new Date();
  const later = new Date(now.getTime() + 86_400_000);
  const customer: AliasRecord = {
    alias: CUSTOMER_ALIAS,
    kind: 'customer',
    storeId: 'demo-shop',
    addressCipher: new Uint8Array([1]),
    addressHash: 'a'.repeat(64),
    createdAt: now.toISOString(),
    expiresAt: later.toISOString(),
    purgeAt: Math.floor(later.getTime() / 1000) + 86_400,
  };
  const store = (storeId: string) => ({ storeId, displayName: 'デモ商店', contactCipher: new Uint8Array([1]), contactHash: 'b'.repeat(64), createdAt: now.toISOString() });
  return {
    aliases: {
      getAlias: async (alias) => (alias === CUSTOMER_ALIAS ? customer : undefined),
      putAliasIfAbsent: async (record) => ({ record, created: true }),
    },
    stores: {
      getStore: async (storeId) => store(storeId),
      getStoreProfile: async (storeId) => ({
        store: store(storeId),
        senders: [{ storeId, addressHash: 'c'.repeat(64), addressCipher: new Uint8Array([1]), createdAt: now.toISOString() }],
      }),
      putStore: async () => undefined,
      putSender: async () => undefined,
      removeSender: async () => undefined,
    },
    keys: {
      encrypt: async () => new Uint8Array([1]),
      decrypt: async () => CUSTOMER_ADDRESS,
      mac: async () => 'c'.repeat(64),
    },
    rawMail: { read: async () => raw },
    mailer,
    transmissions: {
      claim: async () => ({ status: 'claimed' }),
      complete: async () => undefined,
      release: async () => undefined,
      markDeadLettered: async () => undefined,
    },
    dkim: { verify: async () => ({ passingDomains: [], temporaryFailure: false }) },
    bounceBudget: { take: async () => true },
    rateLimiter: { take: async () => [] },
  };
}

async function measure(sizeBytes: number, count: number, kind: MemoryMailer, endpoint: string): Promise<ChildMeasurement> {
  const ses = new SESv2Client({ region: 'ap-northeast-1', endpoint, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const mailer = kind === 'relay' ? new SesMailer(ses) : new SdkSerializedMailer(ses);
  // Loads and warms the SDK's lazily imported modules and the relay's code, so the baseline holds them.
  const warmUp = attachmentMail(64 * 1024);
  await relayInboundMail(notification('warm-up'), memoryPorts(warmUp, mailer), { relayDomain: RELAY_DOMAIN, transmissionRetentionDays: 90, clock: () => new Date() });
  (globalThis as { gc?: () => void }).gc?.();
  resetPeakRss();
  const baseline = process.memoryUsage.rss();

  const started = performance.now();
  let relayed = true;
  for (let n = 0; n < count; n += 1) {
    const raw = attachmentMail(sizeBytes);
    const results = await relayInboundMail(notification(`bench-${n}`), memoryPorts(raw, mailer), {
      relayDomain: RELAY_DOMAIN,
      transmissionRetentionDays: 90,
      clock: () => new Date(),
    });
    relayed &&= results[0]?.status === 'relayed';
  }
  const seconds = (performance.now() - started) / 1000;
  const peak = peakRss();
  ses.destroy();
  return { sizeBytes, count, mailer: kind, seconds, baselineBytes: baseline, peakAboveBaselineBytes: peak - baseline, relayed };
}

function notification(id: string) {
  return {
    sesMessageId: id,
    receivedAt: new Date(),
    envelopeSender: STORE_SENDER,
    recipients: [`${CUSTOMER_ALIAS}@${RELAY_DOMAIN}`],
    verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' },
    location: { bucket: 'bench', key: id },
  } as const;
}

const [bytes, count, kind, endpoint = ''] = process.argv.slice(2);
const measurement = await measure(Number(bytes), Number(count), kind === 'sdk' ? 'sdk' : 'relay', endpoint);
process.stdout.write(`${JSON.stringify(measurement)}\n`);
