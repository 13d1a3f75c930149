import * as z from 'zod';
import { addDays, japanDay } from '../records/days';

/**
 * Abuse signals of one Japanese day, per store, per alias and per client IP, from the transmission
 * and feedback records and the merchant-menu access log: volume against the store's trailing 14-day
 * median, aliases contacted, refusals by reason (mail from unregistered or unauthenticated senders
 * to a store's customers counts as spoofing), bounce and complaint rates, failed menu logins,
 * senders added and the times its mail found its rate limit full. A store past a pause threshold (a volume spike, its complaint rate, spoofing
 * volume) is to be paused; every other threshold only flags. Nothing here names an address.
 */

const FraudThresholdsSchema = z.strictObject({
  /** A store's volume is a spike above this many times its trailing 14-day median… */
  spikeFactor: z.number().positive(),
  /** …and above this many messages at all, so a small store's busy day is no spike. */
  spikeMinimum: z.int().positive(),
  /** Complaints per relayed message at which a store is paused. */
  complaintRate: z.number().positive().max(1),
  /** Bounces per relayed message at which a store is flagged. */
  bounceRate: z.number().positive().max(1),
  /** Rates are judged only from this many relayed messages a day on. */
  minimumVolumeForRates: z.int().positive(),
  /** Spoofing attempts against a store's customers a day at which the store is paused. */
  spoofingAttempts: z.int().positive(),
  /** Failed menu logins a day at which a store, and a client IP, are flagged. */
  failedLoginsPerStore: z.int().positive(),
  failedLoginsPerIp: z.int().positive(),
  /** Senders a store adds in its menu a day at which it is flagged. */
  sendersAdded: z.int().positive(),
  /** Mail one alias receives a day, and spoofing attempts against it, at which it is flagged. */
  aliasVolume: z.int().positive(),
  aliasSpoofing: z.int().positive(),
  /** Times a store's mail found its rate limit full in a day (held back or refused) at which it is flagged. */
  overLimit: z.int().positive(),
});

export type FraudThresholds = z.infer<typeof FraudThresholdsSchema>;

class FraudThresholdsError extends Error {
  override readonly name = 'FraudThresholdsError';
}

/** Reads thresholds (the configuration's `fraud`, or the function's environment). */
export function parseFraudThresholds(value: unknown, where = 'fraud'): FraudThresholds {
  const parsed = FraudThresholdsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new FraudThresholdsError(parsed.error.issues.map((issue) => `${[where, ...issue.path].join('.')}: ${issue.message}`).join('; '));
}

export const DEFAULT_FRAUD_THRESHOLDS: FraudThresholds = {
  spikeFactor: 5,
  spikeMinimum: 200,
  complaintRate: 0.005,
  bounceRate: 0.1,
  minimumVolumeForRates: 20,
  spoofingAttempts: 50,
  failedLoginsPerStore: 10,
  failedLoginsPerIp: 20,
  sendersAdded: 5,
  aliasVolume: 50,
  aliasSpoofing: 10,
  overLimit: 10,
};

/** A transmission or feedback record as the signals read it. */
export interface DayRecord {
  readonly storeId: string;
  readonly aliasId: string;
  readonly receivedAt: string;
  readonly kind: 'delivery' | 'bounce' | 'complaint';
  readonly direction?: string;
  readonly outcome?: string;
  readonly reason?: string;
}

/** A merchant-menu access record as the signals read it. */
export interface AccessEvent {
  readonly storeId: string;
  readonly at: string;
  readonly clientIp: string;
  readonly action: string;
  readonly result: string;
}

/** The thresholds at which a store is paused, by the reason its pause is recorded with. */
const PAUSING = ['volume_spike', 'complaint_rate', 'spoofing_volume'] as const;
type PauseFlag = (typeof PAUSING)[number];
type StoreFlag = PauseFlag | 'bounce_rate' | 'failed_logins' | 'senders_added' | 'rate_limited';

interface StoreSignals {
  readonly storeId: string;
  /** Mail relayed from the store to its customers. */
  readonly volume: number;
  readonly medianVolume: number;
  readonly aliasesContacted: number;
  readonly refusals: Readonly<Record<string, number>>;
  readonly spoofingAttempts: number;
  readonly bounces: number;
  readonly complaints: number;
  readonly bounceRate: number;
  readonly complaintRate: number;
  readonly failedLogins: number;
  readonly sendersAdded: number;
  /** Times its mail found its rate limit full. */
  readonly overLimit: number;
  readonly flags: readonly StoreFlag[];
  /** The first pausing threshold crossed: the store is to be paused for it. */
  readonly pause?: PauseFlag;
}

interface AliasSignals {
  readonly alias: string;
  readonly storeId: string;
  readonly received: number;
  readonly spoofingAttempts: number;
  readonly flags: readonly ('alias_volume' | 'alias_spoofing')[];
}

interface IpSignals {
  readonly clientIp: string;
  readonly failedLogins: number;
  readonly storesTried: number;
  readonly flags: readonly 'failed_logins'[];
}

export interface SignalsReport {
  readonly day: string;
  readonly storesSeen: number;
  /** Flagged only, each with the figures that flagged it. */
  readonly stores: readonly StoreSignals[];
  readonly aliases: readonly AliasSignals[];
  readonly ips: readonly IpSignals[];
}

const HISTORY_DAYS = 14;
/** Refusals that count as spoofing attempts against a store's customers. */
export const SPOOFING_REASONS: readonly string[] = ['unregistered_sender', 'unauthenticated_sender', 'not_conversation_owner'];
const SPOOFING = new Set(SPOOFING_REASONS);
const FAILED_LOGIN = new Set(['wrong_password', 'locked', 'mfa_failed']);

/** The first day of the history a day's signals compare with: the records from then on are read. */
export function historyStart(day: string): string {
  return addDays(day, -HISTORY_DAYS);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const rate = (count: number, of: number): number => (of === 0 ? 0 : Math.round((count / of) * 10_000) / 10_000);
const increment = (map: Map<string, number>, key: string, by = 1): void => {
  map.set(key, (map.get(key) ?? 0) + by);
};

interface StoreTally {
  volume: number;
  readonly aliases: Set<string>;
  readonly refusals: Map<string, number>;
  spoofing: number;
  bounces: number;
  complaints: number;
  failedLogins: number;
  sendersAdded: number;
  overLimit: number;
}

function storeFlags(tally: StoreTally, medianVolume: number, thresholds: FraudThresholds): StoreFlag[] {
  const flags: StoreFlag[] = [];
  if (tally.volume > thresholds.spikeMinimum && tally.volume > thresholds.spikeFactor * medianVolume) flags.push('volume_spike');
  const judged = tally.volume >= thresholds.minimumVolumeForRates;
  if (judged && rate(tally.complaints, tally.volume) >= thresholds.complaintRate) flags.push('complaint_rate');
  if (tally.spoofing >= thresholds.spoofingAttempts) flags.push('spoofing_volume');
  if (judged && rate(tally.bounces, tally.volume) >= thresholds.bounceRate) flags.push('bounce_rate');
  if (tally.failedLogins >= thresholds.failedLoginsPerStore) flags.push('failed_logins');
  if (tally.sendersAdded >= thresholds.sendersAdded) flags.push('senders_added');
  if (tally.overLimit >= thresholds.overLimit) flags.push('rate_limited');
  return flags;
}

/**
 * The signals of `day` from the records of that day and the 14 before it (for the median volume)
 * and the access records of that day; records of other days are ignored.
 */
export function computeSignals(input: {
  readonly day: string;
  readonly records: readonly DayRecord[];
  readonly access: readonly AccessEvent[];
  /** Per store, the times its mail found its rate limit full that day. */
  readonly overLimit?: ReadonlyMap<string, number>;
  readonly thresholds: FraudThresholds;
}): SignalsReport {
  const { day, thresholds } = input;
  const first = historyStart(day);
  const stores = new Map<string, StoreTally>();
  const tallyOf = (storeId: string): StoreTally => {
    let tally = stores.get(storeId);
    if (!tally) {
      tally = { volume: 0, aliases: new Set(), refusals: new Map(), spoofing: 0, bounces: 0, complaints: 0, failedLogins: 0, sendersAdded: 0, overLimit: 0 };
      stores.set(storeId, tally);
    }
    return tally;
  };
  /** Mail relayed to customers on an earlier day, by `<store ID> <day>`. */
  const history = new Map<string, number>();
  const aliases = new Map<string, { storeId: string; received: number; spoofing: number }>();

  for (const record of input.records) {
    const recordDay = japanDay(new Date(record.receivedAt));
    const relayedToCustomer = record.kind === 'delivery' && record.outcome === 'relayed' && record.direction === 'merchant_to_customer';
    if (recordDay < first || recordDay > day) continue;
    if (recordDay < day) {
      if (relayedToCustomer) increment(history, `${record.storeId} ${recordDay}`);
      continue;
    }
    const tally = tallyOf(record.storeId);
    const alias = aliases.get(record.aliasId) ?? { storeId: record.storeId, received: 0, spoofing: 0 };
    aliases.set(record.aliasId, alias);
    if (record.kind === 'bounce') tally.bounces += 1;
    else if (record.kind === 'complaint') tally.complaints += 1;
    else if (record.outcome === 'relayed') {
      alias.received += 1;
      if (relayedToCustomer) {
        tally.volume += 1;
        tally.aliases.add(record.aliasId);
      }
    } else if (record.outcome === 'refused' && record.reason !== undefined) {
      increment(tally.refusals, record.reason);
      if (SPOOFING.has(record.reason)) {
        tally.spoofing += 1;
        alias.spoofing += 1;
      }
    }
  }

  const ips = new Map<string, { failed: number; stores: Set<string> }>();
  for (const event of input.access) {
    if (japanDay(new Date(event.at)) !== day) continue;
    if (event.action === 'login' && FAILED_LOGIN.has(event.result)) {
      tallyOf(event.storeId).failedLogins += 1;
      const ip = ips.get(event.clientIp) ?? { failed: 0, stores: new Set<string>() };
      ip.failed += 1;
      ip.stores.add(event.storeId);
      ips.set(event.clientIp, ip);
    }
    if (event.action === 'add_sender' && event.result === 'ok') tallyOf(event.storeId).sendersAdded += 1;
  }

  for (const [storeId, count] of input.overLimit ?? []) if (count > 0) tallyOf(storeId).overLimit += count;

  const flaggedStores: StoreSignals[] = [];
  for (const [storeId, tally] of stores) {
    // Days without mail count as 0: a store that sent nothing for two weeks has a median of 0.
    const medianVolume = median(Array.from({ length: HISTORY_DAYS }, (_, index) => history.get(`${storeId} ${addDays(first, index)}`) ?? 0));
    const flags = storeFlags(tally, medianVolume, thresholds);
    if (flags.length === 0) continue;
    const pause = PAUSING.find((flag) => flags.includes(flag));
    flaggedStores.push({
      storeId,
      volume: tally.volume,
      medianVolume,
      aliasesContacted: tally.aliases.size,
      refusals: Object.fromEntries([...tally.refusals].sort(([a], [b]) => a.localeCompare(b))),
      spoofingAttempts: tally.spoofing,
      bounces: tally.bounces,
      complaints: tally.complaints,
      bounceRate: rate(tally.bounces, tally.volume),
      complaintRate: rate(tally.complaints, tally.volume),
      failedLogins: tally.failedLogins,
      sendersAdded: tally.sendersAdded,
      overLimit: tally.overLimit,
      flags,
      ...(pause ? { pause } : {}),
    });
  }

  const flaggedAliases: AliasSignals[] = [];
  for (const [alias, figures] of aliases) {
    const flags: AliasSignals['flags'][number][] = [];
    if (figures.received >= thresholds.aliasVolume) flags.push('alias_volume');
    if (figures.spoofing >= thresholds.aliasSpoofing) flags.push('alias_spoofing');
    if (flags.length > 0) flaggedAliases.push({ alias, storeId: figures.storeId, received: figures.received, spoofingAttempts: figures.spoofing, flags });
  }

  const flaggedIps: IpSignals[] = [...ips]
    .filter(([, figures]) => figures.failed >= thresholds.failedLoginsPerIp)
    .map(([clientIp, figures]) => ({ clientIp, failedLogins: figures.failed, storesTried: figures.stores.size, flags: ['failed_logins'] as const }));

  return {
    day,
    storesSeen: stores.size,
    stores: flaggedStores.sort((a, b) => a.storeId.localeCompare(b.storeId)),
    aliases: flaggedAliases.sort((a, b) => a.alias.localeCompare(b.alias)),
    ips: flaggedIps.sort((a, b) => b.failedLogins - a.failedLogins),
  };
}
