/**
 * Rewrite throughput: the relay's path against the naive parse-and-compose baseline and the copy
 * floor, over the shared corpus and over synthetic messages of several sizes.
 */
import { copyFloor, naivePath, relays } from './support/paths';
import { attachmentMail, japaneseMail, KiB, MiB } from './support/synthetic-mail';
import { median, timeInterleaved } from './support/timing';
import type { Rounds } from './support/timing';
import { corpusPaths, readCorpusMessage } from '../devkit/corpus';

export interface PathFigures {
  readonly messagesPerSecond: number;
  readonly mbPerSecond: number;
  /** Median milliseconds for one pass over the set. */
  readonly msPerPass: number;
}

export interface ThroughputRow {
  readonly set: string;
  readonly messages: number;
  readonly bytes: number;
  readonly relay: PathFigures;
  readonly naive: PathFigures;
  readonly copy: PathFigures;
  /** Relay's MB/s over the copy floor's (1 = as fast as copying; below 1 slower). */
  readonly relayOverCopy: number;
  /** Relay's MB/s over the naive baseline's. */
  readonly relayOverNaive: number;
  /** Messages of the set the naive baseline could not turn into a message (mailparser refused them). */
  readonly naiveFailures: number;
  /** Messages of the set the relay's path threw on (the relay refuses those as malformed). */
  readonly relayFailures: number;
}

/** Messages of one pass, each taken `repeat` times, so that a pass over small messages is long enough to time. */
interface MessageSet {
  readonly name: string;
  readonly messages: readonly Buffer[];
  readonly repeat: number;
}

/** What each path handles untimed just before its timed pass (see `timeOnce`). */
const WARM_UP = attachmentMail(16 * KiB);

/** About this many bytes per timed pass. */
const PASS_BYTES = 8 * MiB;

const SYNTHETIC_SIZES = [100 * KiB, MiB, 10 * MiB, 30 * MiB] as const;

function sizeLabel(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MB` : `${bytes / KiB} KB`;
}

function corpusSet(): MessageSet {
  const messages = corpusPaths().map(readCorpusMessage);
  return { name: `corpus (${messages.length} messages)`, messages, repeat: 1 };
}

function syntheticSets(sizes: readonly number[]): MessageSet[] {
  return sizes.flatMap((size) => [
    { name: `attachment ${sizeLabel(size)}`, messages: [attachmentMail(size)], repeat: Math.max(1, Math.round(PASS_BYTES / size)) },
    { name: `Japanese ${sizeLabel(size)}`, messages: [japaneseMail(size)], repeat: Math.max(1, Math.round(PASS_BYTES / size)) },
  ]);
}

function figures(set: MessageSet, bytes: number, samples: readonly number[]): PathFigures {
  const ms = median(samples);
  const seconds = ms / 1000;
  return { messagesPerSecond: (set.messages.length * set.repeat) / seconds, mbPerSecond: (bytes * set.repeat) / MiB / seconds, msPerPass: ms };
}

async function measureSet(set: MessageSet, rounds: Rounds): Promise<ThroughputRow> {
  const bytes = set.messages.reduce((total, message) => total + message.length, 0);
  let naiveFailures = 0;
  let relayFailures = 0;
  const each = (run: (raw: Buffer) => unknown) => ({
    run: async () => {
      for (let i = 0; i < set.repeat; i += 1) for (const message of set.messages) await run(message);
    },
    warm: () => run(WARM_UP),
  });
  // Failures are counted once, outside the timing: a refused message still costs the baseline its parse.
  for (const message of set.messages) {
    await naivePath(message).catch(() => (naiveFailures += 1));
    if (!relays(message)) relayFailures += 1;
  }
  const samples = await timeInterleaved(
    {
      copy: each(copyFloor),
      relay: each(relays),
      naive: each((raw) => naivePath(raw).catch(() => undefined)),
    },
    rounds,
  );
  const relay = figures(set, bytes, samples.relay);
  const naive = figures(set, bytes, samples.naive);
  const copy = figures(set, bytes, samples.copy);
  return {
    set: set.name,
    messages: set.messages.length,
    bytes,
    relay,
    naive,
    copy,
    relayOverCopy: relay.mbPerSecond / copy.mbPerSecond,
    relayOverNaive: relay.mbPerSecond / naive.mbPerSecond,
    naiveFailures,
    relayFailures,
  };
}

export async function measureThroughput(options: { readonly quick: boolean }): Promise<ThroughputRow[]> {
  const rounds: Rounds = options.quick ? { minRounds: 3, minMs: 0, maxRounds: 3 } : { minRounds: 7, minMs: 4000, maxRounds: 11 };
  const rows: ThroughputRow[] = [];
  for (const set of [corpusSet(), ...syntheticSets(SYNTHETIC_SIZES)]) rows.push(await measureSet(set, rounds));
  return rows;
}
