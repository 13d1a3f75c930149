import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/program';
import type { Receipt } from '../../lambdas/records/receipts';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import { RelayHarness } from './support/relay-harness';

const DAY_MS = 86_400_000;
const CUSTOMER = 'hanako@example.com';
const SENDER = 'news@lifecycle.example';
const NOW = new Date();

let relay: RelayHarness;
let alias: IssueAliasResult;

beforeAll(async () => {
  relay = await RelayHarness.start();
  await relay.cli(['store', 'create', '--store-id', 'lifecycle-shop', '--contact', 'owner@lifecycle.example', '--sender', SENDER]);
  alias = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'lifecycle-shop', '--order-id', 'L-1', '--customer', CUSTOMER]);
  await relay.send({ envelope: { from: SENDER, to: [alias.address] }, from: SENDER, to: alias.address, subject: 'ご注文', text: '発送しました。' });
});

afterAll(async () => {
  await relay?.stop();
});

/** Runs `anshin <args>` as a person would, without --json, and returns what was printed. */
async function human(args: readonly string[], confirm?: (question: string) => Promise<boolean>): Promise<string> {
  const out: string[] = [];
  const program = buildProgram({ out: (s) => out.push(s), err: (s) => out.push(s), ...(confirm ? { confirm } : {}) });
  await program.parseAsync(['--local-dir', relay.dir, ...args], { from: 'user' });
  return out.join('\n');
}

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('anshin retention run', () => {
    it('prints a receipt naming the policy version, and removes nothing before anything is due', async () => {
      const receipt = await relay.cli<Receipt>(['retention', 'run']);
      expect(receipt).toMatchObject({ kind: 'retention', requestedBy: 'cli', complete: true });
      expect(receipt.policyVersion).toMatch(/^p-[0-9a-f]{12}$/);
      expect(Object.values(receipt.counts).every((n) => n === 0)).toBe(true);
    });

    it('removes raw mail once its retention passed, as of --now', async () => {
      const later = new Date(NOW.getTime() + 10 * DAY_MS).toISOString();
      const receipt = await relay.cli<Receipt>(['retention', 'run', '--now', later]);
      expect(receipt.counts.content).toBeGreaterThanOrEqual(1);
      expect(receipt.counts.address ?? 0).toBe(0);
    });

    it('refuses an instant that is not ISO 8601', async () => {
      await expect(relay.cli(['retention', 'run', '--now', 'tomorrow'])).rejects.toThrow(/ISO 8601/);
    });
  });

  describe('anshin destroy', () => {
    it('will not erase without --yes when nobody is at a terminal to confirm', async () => {
      await expect(human(['destroy', '--customer', CUSTOMER])).rejects.toThrow(/--yes/);
      const declined = human(['destroy', '--customer', CUSTOMER], async () => false);
      await expect(declined).rejects.toThrow(/cancelled/);
      expect((await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'lifecycle-shop', '--order-id', 'L-1', '--customer', CUSTOMER])).alias).toBe(alias.alias);
    });

    it('needs exactly one subject', async () => {
      await expect(human(['destroy', '--yes'])).rejects.toThrow(/--store-id <id>, --customer <email> or --customer-alias <alias>/);
      await expect(human(['destroy', '--yes', '--store-id', 'lifecycle-shop', '--customer', CUSTOMER])).rejects.toThrow(/cannot be used with/);
    });

    it('erases the customer after confirmation and prints a receipt without their address', async () => {
      const questions: string[] = [];
      const printed = await human(['destroy', '--customer', CUSTOMER], async (question) => {
        questions.push(question);
        return true;
      });
      expect(questions).toHaveLength(1);
      expect(questions[0]).not.toContain(CUSTOMER);
      expect(printed).toMatch(/^destruction receipt /m);
      expect(printed).toMatch(/verified\s+nothing about the subject is left/);
      expect(printed.toLowerCase()).not.toContain(CUSTOMER);
      await expect(relay.cli(['alias', 'issue', '--store-id', 'lifecycle-shop', '--order-id', 'L-1', '--customer', CUSTOMER])).rejects.toThrow(/retired/);
    });

    it('erases a customer named by alias alone, and names an alias that leads nowhere', async () => {
      const other = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'lifecycle-shop', '--order-id', 'L-3', '--customer', 'saburo@example.com']);
      const receipt = await relay.cli<Receipt>(['destroy', '--customer-alias', other.address, '--yes']);
      // The customer alias, and the store's reverse alias made with it.
      expect(receipt).toMatchObject({ kind: 'destruction', verified: true, counts: { address: 2 } });
      await expect(relay.cli(['destroy', '--customer-alias', other.alias, '--yes'])).rejects.toThrow(/leads to no customer/);
    });

    it('reports nothing left to erase the second time', async () => {
      const printed = await human(['destroy', '--customer', CUSTOMER, '--yes']);
      expect(printed).toContain('nothing left to erase');
    });
  });

  describe('anshin store terminate and receipts list', () => {
    it('terminates a store, which then gets no new aliases, and lists every receipt newest first without addresses', async () => {
      const receipt = await relay.cli<Receipt>(['store', 'terminate', '--store-id', 'lifecycle-shop', '--yes']);
      expect(receipt).toMatchObject({ kind: 'termination', requestedBy: 'cli' });
      await expect(relay.cli(['alias', 'issue', '--store-id', 'lifecycle-shop', '--order-id', 'L-2', '--customer', 'jiro@example.com'])).rejects.toThrow(/was terminated/);

      const receipts = await relay.cli<Receipt[]>(['receipts', 'list']);
      // A run `--now` ten days ahead is dated then, so it sorts first. The first run opened the
      // incident register in the same instant it started, so the two may sort either way.
      expect(receipts.map((r) => r.kind).filter((kind) => kind !== 'incident')).toEqual(['retention', 'termination', 'destruction', 'destruction', 'destruction', 'retention']);
      expect(receipts.filter((r) => r.kind === 'incident')).toEqual([expect.objectContaining({ incident: { entry: 'register_opened' } })]);
      expect(JSON.stringify(receipts).toLowerCase()).not.toMatch(/hanako|@lifecycle\.example|@example\.com/);
      const listed = await human(['receipts', 'list', '--kind', 'destruction']);
      expect(listed.split('\n')).toHaveLength(3);
    });
  });
});
