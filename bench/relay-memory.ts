/**
 * Peak memory of relaying large messages, to size the relay Lambda.
 *
 *   npx tsx bench/relay-memory.ts [sizeMB ...]     (default 10 30 40)
 *
 * Each size runs in fresh child processes (see `support/memory-child.ts`): once for one message,
 * once for several in a row (records of a batch are relayed one after another), which shows that
 * garbage does not pile up, and once with the SDK serializing the SES request itself, for reference.
 */
import { measurePeakMemory } from './memory';
import type { MemoryRow } from './memory';
import { MiB } from './support/synthetic-mail';

const DEFAULT_SIZES_MB = [10, 30, 40];
/** Messages relayed one after another in the second run of each size. */
const SEQUENTIAL_RUN = 3;

function line(m: MemoryRow): string {
  return [
    (m.sizeBytes / MiB).toFixed(1),
    m.mailer,
    String(m.count),
    m.requestBodyMb.toFixed(1),
    m.baselineMb.toFixed(0),
    m.peakAboveBaselineMb.toFixed(0),
    m.timesMessageSize.toFixed(2),
    String(m.relayed),
  ].join(' | ');
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
console.log('message MB | mailer | messages | request body MB | baseline RSS MB | peak RSS above baseline MB | x message size | relayed');
for (const mb of sizes.length > 0 ? sizes : DEFAULT_SIZES_MB) {
  const bytes = Math.round(mb * MiB);
  console.log(line(await measurePeakMemory(bytes, 'relay', 1)));
  console.log(line(await measurePeakMemory(bytes, 'relay', SEQUENTIAL_RUN)));
  console.log(line(await measurePeakMemory(bytes, 'sdk', 1)));
}
