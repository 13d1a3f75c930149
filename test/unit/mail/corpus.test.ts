import { describe, expect, it } from 'vitest';
import { inspectHeaders, LOOP_HEADER, rewriteHeaders, splitMessage } from '../../../lambdas/mail';
import { corpusPaths, readCorpusMessage } from '../../../devkit/corpus';

const paths = corpusPaths();

describe('mail module over the shared corpus', () => {
  it('splits, inspects and rewrites every message without throwing, 7-bit and without the senders addresses', () => {
    const failures: string[] = [];

    for (const path of paths) {
      const raw = readCorpusMessage(path);
      const { header, body } = splitMessage(raw);
      const facts = inspectHeaders(header);
      const output = rewriteHeaders(header, {
        fromAlias: 'm-7k2m9q4x0abc@relay.example.jp',
        toAlias: 'c-3f8h2k5n9pqr@relay.example.jp',
        fallbackDisplayName: 'さくら雑貨店',
        secrets: facts.senderAddresses,
        loopHeader: { name: LOOP_HEADER, value: 'relay.example.jp' },
        now: new Date('2024-06-01T03:04:05Z'),
      });

      const text = output.toString('latin1').toLowerCase();
      if (!output.every((byte) => byte < 0x80)) failures.push(`${path}: 8-bit output`);
      if (!body.equals(raw.subarray(raw.length - body.length)) || !header.equals(raw.subarray(0, header.length))) failures.push(`${path}: split changed bytes`);
      for (const address of facts.senderAddresses) if (text.includes(address)) failures.push(`${path}: ${address} in output`);
    }

    expect(paths.length).toBe(389);
    expect(failures).toEqual([]);
  });
});
