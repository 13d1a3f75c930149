/** Timing helpers: medians of repeated runs, with garbage collected between runs when allowed. */

const collectGarbage = (globalThis as { gc?: () => void }).gc;

/** Runs V8's collector when the process was started with `--expose-gc`, so one run's garbage is not billed to the next. */
function settle(): void {
  collectGarbage?.();
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * Milliseconds one call takes, after collecting garbage and then calling `warm` untimed. A full
 * collection leaves V8's young generation to be paged in again, which the first allocations after
 * it pay for; a relay that is handling mail never starts from there, so a small run goes first.
 */
export async function timeOnce(run: () => unknown, warm?: () => unknown): Promise<number> {
  settle();
  await warm?.();
  const started = performance.now();
  await run();
  return performance.now() - started;
}

export interface Rounds {
  /** At least this many rounds. */
  readonly minRounds: number;
  /** More rounds while the rounds so far took less than this, up to `maxRounds`. */
  readonly minMs: number;
  readonly maxRounds: number;
}

/** Something timed, and the small untimed run that goes before it (see {@link timeOnce}). */
export interface Contender {
  readonly run: () => unknown;
  readonly warm?: () => unknown;
}

/**
 * Times several contenders in alternation, round after round, so that a slow spell of a noisy
 * machine falls on all of them alike and their ratios hold. Returns each one's milliseconds per round.
 */
export async function timeInterleaved<K extends string>(contenders: Readonly<Record<K, Contender>>, rounds: Rounds): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  let spent = 0;
  for (let round = 0; round < rounds.maxRounds && (round < rounds.minRounds || spent < rounds.minMs); round += 1) {
    for (const name of names) {
      const ms = await timeOnce(contenders[name].run, contenders[name].warm);
      samples[name].push(ms);
      spent += ms;
    }
  }
  return samples;
}
