import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StatusReport } from '../../cli/status';
import { captureProcessOutput } from '../support/capture-output';
import { RelayHarness } from './support/relay-harness';

/**
 * `anshin status` on the local stack, as an operator reads it: green on a healthy stack, red with
 * the fix named once a message is dead-lettered.
 */

const logLines: string[] = [];
let relay: RelayHarness;

beforeAll(async () => {
  captureProcessOutput(logLines);
  relay = await RelayHarness.start();
  await relay.cli(['store', 'create', '--store-id', 'status-shop', '--contact', 'owner@status-shop.example', '--sender', 'news@status-shop.example']);
}, 120_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.stop();
});

/** What a person sees, and the error the CLI ends with when a check fails (exit code 2). */
async function human(options: readonly string[] = []): Promise<{ lines: string[]; error?: string }> {
  const out: string[] = [];
  const { buildProgram } = await import('../../cli/program');
  const program = buildProgram({ out: (s) => out.push(s), err: (s) => out.push(s) });
  try {
    await program.parseAsync(['--local-dir', relay.dir, ...options, 'status'], { from: 'user' });
    return { lines: out.join('\n').split('\n') };
  } catch (error) {
    return { lines: out.join('\n').split('\n'), error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('anshin status', () => {
    it('is green on a healthy local stack, and says which checks only AWS has', async () => {
      const { lines, error } = await human();
      expect(error).toBeUndefined();
      expect(lines).toContainEqual(expect.stringMatching(/^✓ stack: local stack \S+, SMTP ingress on 127\.0\.0\.1:\d+$/));
      expect(lines).toContain('✓ queues: no dead letters');
      expect(lines).toContain('- MX: local: the SMTP ingress stands in for inbound-smtp.ap-northeast-1.amazonaws.com');
      expect(lines.at(-1)).toBe('all well (local)');
    });

    it('turns red when a message is dead-lettered, naming the fix, and exits with an error', async () => {
      const sent = await relay.send({ from: 'news@status-shop.example', to: `c-nobody@${relay.stack.settings.relayDomain}`, subject: 'x', text: 'x' });
      // The same notification for a message whose raw mail is gone: the relay cannot ever read it.
      const record = sent.event.Records[0]!;
      const body = record.body.replaceAll(sent.sesMessageId, 'gone0000000000000000000000000000000000000');
      for (const receiveCount of ['1', '5']) await relay.stack.relay({ Records: [{ ...record, messageId: 'status-dead', body, attributes: { ...record.attributes, ApproximateReceiveCount: receiveCount } }] });

      const { lines, error } = await human();
      expect(error).toBe('StatusUnhealthyError: 1 check(s) failed');
      expect(lines).toContain('✗ queues: 1 notification(s) in the dead letters');
      expect(lines).toContain('    fix: `anshin dlq replay --dry-run` lists them with their reasons; fix the cause, then `anshin dlq replay`');
      expect(lines.at(-1)).toBe('1 check(s) failed (local)');
      const json = await human(['--json']);
      expect(JSON.parse(json.lines.join('\n')) as StatusReport).toMatchObject({ target: 'local', healthy: false, checks: expect.arrayContaining([expect.objectContaining({ check: 'queues', status: 'fail' })]) });
    });
  });

  describe('store, sender and alias management', () => {
    it('refuses to create a store twice, and updates one only when asked', async () => {
      await expect(relay.cli(['store', 'create', '--store-id', 'status-shop', '--contact', 'other@status-shop.example', '--sender', 'news@status-shop.example'])).rejects.toThrow(/exists already: `anshin store update`/);
      await expect(relay.cli(['store', 'update', '--store-id', 'no-such-shop', '--contact', 'a@b.example', '--sender', 'c@d.example'])).rejects.toThrow(/no store no-such-shop to update/);
      const updated = await relay.cli<{ created: boolean; senderCount: number }>(['store', 'update', '--store-id', 'status-shop', '--name', '状態商店', '--contact', 'owner@status-shop.example', '--sender', 'news@status-shop.example', '--sender', 'info@status-shop.example']);
      expect(updated).toMatchObject({ created: false, senderCount: 2 });
      expect(await relay.cli(['store', 'show', '--store-id', 'status-shop'])).toMatchObject({ storeId: 'status-shop', displayName: '状態商店', senderCount: 2 });
    });

    it('adds and removes one sender at a time, never echoing the address', async () => {
      const added = await relay.cli<{ senderId: string; added: boolean }>(['sender', 'add', '--store-id', 'status-shop', '--sender', 'sale@status-shop.example']);
      expect(added).toEqual({ senderId: expect.stringMatching(/^snd_[0-9a-f]{16}$/), added: true });
      expect(JSON.stringify(added)).not.toContain('sale@');
      expect(await relay.cli(['store', 'show', '--store-id', 'status-shop'])).toMatchObject({ senderCount: 3 });
      await relay.cli(['sender', 'remove', '--store-id', 'status-shop', '--sender-id', added.senderId]);
      expect(await relay.cli(['store', 'show', '--store-id', 'status-shop'])).toMatchObject({ senderCount: 2 });
    });

    it('shows and disables an alias', async () => {
      const issued = await relay.cli<{ alias: string; address: string }>(['alias', 'issue', '--store-id', 'status-shop', '--order-id', 'S-1', '--customer', 'customer@status.example']);
      expect(await relay.cli(['alias', 'show', '--alias', issued.address])).toMatchObject({ alias: issued.alias, storeId: 'status-shop' });
      await relay.cli(['alias', 'disable', '--alias', issued.alias]);
      expect(JSON.stringify(await relay.cli(['alias', 'show', '--alias', issued.alias]))).toMatch(/disabled/i);
    });
  });
});
