/**
 * Messages that make naive mail code quadratic: no blank line between header and body, a header
 * block of half the message, and tens of thousands of tiny MIME parts. Each is timed through the
 * relay's path at 1 MB and at 10 MB; linear work takes about ten times as long at 10 MB.
 */
import { copyFloor, naivePath, relayPath } from './support/paths';
import { attachmentMail, hugeHeaderMail, KiB, manyPartsMail, MiB, noBlankLineMail } from './support/synthetic-mail';
import { median, timeOnce } from './support/timing';

export interface CornerRow {
  readonly corner: string;
  /** Median milliseconds through the relay's path at 1 MB and at 10 MB. */
  readonly relayMs1MB: number;
  readonly relayMs10MB: number;
  /** How many times longer 10 MB took than 1 MB. */
  readonly growth: number;
  /** The same for the copy floor (both sizes copied into a new buffer): what caches alone make of ten times the bytes. */
  readonly copyGrowth: number;
  /** What the naive baseline made of the 10 MB message: milliseconds, or the error it gave up with. */
  readonly naive10MB: { readonly ms: number; readonly error?: string };
}

/** The same message with bare LF line ends, as some senders and every Unix mailbox write them. */
function bareLf(message: Buffer): Buffer {
  return Buffer.from(message.toString('latin1').replaceAll('\r\n', '\n'), 'latin1');
}

const CORNERS: readonly { readonly name: string; readonly make: (bytes: number) => Buffer }[] = [
  { name: 'no blank line before the body', make: noBlankLineMail },
  // A forwarder matching the header block with a backtracking pattern takes seconds on this at 2 MB.
  { name: 'no blank line before the body, bare LF', make: (bytes) => bareLf(noBlankLineMail(bytes)) },
  { name: 'header block of half the message (5 MB at 10 MB)', make: hugeHeaderMail },
  { name: 'header block of half the message, bare LF', make: (bytes) => bareLf(hugeHeaderMail(bytes)) },
  // 50,000 parts at 10 MB: the part count grows with the size, as the parts stay tiny.
  { name: 'tiny MIME parts (5,000 at 1 MB, 50,000 at 10 MB)', make: (bytes) => manyPartsMail(bytes, Math.round((bytes / MiB) * 5000)) },
];

/** Handled untimed before each timed run (see `timeOnce`). */
const WARM_UP = attachmentMail(16 * KiB);

export async function measureCorners(options: { readonly quick: boolean }): Promise<CornerRow[]> {
  const runs = options.quick ? 5 : 15;
  const rows: CornerRow[] = [];
  for (const corner of CORNERS) {
    const small = corner.make(MiB);
    const large = corner.make(10 * MiB);
    // Both sizes warm before either is timed, then timed in alternation.
    relayPath(small);
    relayPath(large);
    const smallSamples: number[] = [];
    const largeSamples: number[] = [];
    const smallCopies: number[] = [];
    const largeCopies: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      smallSamples.push(await timeOnce(() => relayPath(small), () => relayPath(WARM_UP)));
      largeSamples.push(await timeOnce(() => relayPath(large), () => relayPath(WARM_UP)));
      smallCopies.push(await timeOnce(() => copyFloor(small), () => copyFloor(WARM_UP)));
      largeCopies.push(await timeOnce(() => copyFloor(large), () => copyFloor(WARM_UP)));
    }
    let naive10MB: CornerRow['naive10MB'];
    const started = performance.now();
    try {
      await naivePath(large);
      naive10MB = { ms: performance.now() - started };
    } catch (error) {
      naive10MB = { ms: performance.now() - started, error: error instanceof Error ? error.message : String(error) };
    }
    const relayMs1MB = median(smallSamples);
    const relayMs10MB = median(largeSamples);
    rows.push({ corner: corner.name, relayMs1MB, relayMs10MB, growth: relayMs10MB / relayMs1MB, copyGrowth: median(largeCopies) / median(smallCopies), naive10MB });
  }
  return rows;
}
