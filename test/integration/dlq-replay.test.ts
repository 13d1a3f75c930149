import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../cli/program';
import type { RedeliverySummary, ReplaySummary } from '../../cli/replay-report';
import type { IssueAliasResult } from '../../lambdas/aliases/issuance';
import type { RedeliveryAttempt, ReplayItem } from '../../local/control-server';
import { RelayHarness } from './support/relay-harness';
import type { SentMail } from './support/relay-harness';
import { captureProcessOutput } from '../support/capture-output';

const STORE_CONTACT = 'owner@replay-shop.example';
const STORE_SENDER = 'news@replay-shop.example';
const CUSTOMER = 'jiro@example.com';

interface ReplayJson {
  readonly target: string;
  readonly dryRun: boolean;
  readonly items: ReplayItem[];
  readonly summary: ReplaySummary;
}

interface RedeliverJson {
  readonly messageId: string;
  readonly attempts: RedeliveryAttempt[];
  readonly summary: RedeliverySummary;
}

let relay: RelayHarness;
let customerAlias: IssueAliasResult;
const logLines: string[] = [];
const removeFaults: (() => void)[] = [];

type Next = (args: { input: object }) => Promise<unknown>;

/** Fails the next SendEmail with a throttling error before it leaves the SDK: a transient failure. */
function throttleNextSend(): void {
  const name = `throttle-send-${removeFaults.length}`;
  let armed = true;
  const stack = relay.stack.clients.sesv2.middlewareStack as unknown as {
    add(middleware: (next: Next, context: { commandName?: string }) => Next, options: { step: 'initialize'; name: string }): void;
    remove(name: string): boolean;
  };
  stack.add(
    (next, context) => async (args) => {
      if (armed && context.commandName === 'SendEmailCommand') {
        armed = false;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  removeFaults.push(() => void stack.remove(name));
}

beforeAll(async () => {
  captureProcessOutput(logLines);
  relay = await RelayHarness.start();
  await relay.cli(['store', 'create', '--store-id', 'replay-shop', '--contact', STORE_CONTACT, '--sender', STORE_SENDER]);
  customerAlias = await relay.cli<IssueAliasResult>(['alias', 'issue', '--store-id', 'replay-shop', '--order-id', '3001', '--customer', CUSTOMER]);
});

afterEach(() => {
  for (const remove of removeFaults.splice(0)) remove();
});

afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.stop();
});

function storeWrites(subject: string): Promise<SentMail> {
  return relay.send({ envelope: { from: STORE_SENDER, to: [customerAlias.address] }, from: STORE_SENDER, to: customerAlias.address, subject, text: '発送しました。\r\n' });
}

/** Runs `anshin <args>` as a person would, without --json; `progress` stands for a terminal's stderr. */
async function human(args: readonly string[], terminal?: string[]): Promise<string[]> {
  const out: string[] = [];
  const program = buildProgram({ out: (s) => out.push(s), err: (s) => out.push(s), ...(terminal ? { progress: (s: string) => terminal.push(s) } : {}) });
  await program.parseAsync(['--local-dir', relay.dir, ...args], { from: 'user' });
  return out;
}

/** The command's output and the error it ended with, if any. */
async function withError(args: readonly string[]): Promise<{ out: string[]; error?: string }> {
  const out: string[] = [];
  const program = buildProgram({ out: (s) => out.push(s), err: (s) => out.push(s) });
  try {
    await program.parseAsync(['--local-dir', relay.dir, ...args], { from: 'user' });
    return { out };
  } catch (error) {
    return { out, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

const rawKey = (sesMessageId: string) => ({ Bucket: relay.stack.endpoints.inboundBucket, Key: `inbound/${sesMessageId}` });

// One stack, one story: each test goes on from where the one before left the stack, so the steps keep
// their order when the suite is shuffled; the file as a whole runs alone or in any place among the others.
describe('in order, on one stack', { shuffle: false }, () => {
  describe('anshin dlq replay', () => {
    let sesMessageId: string;
    let raw: Buffer;

    it('lists a dead letter in a dry run, with its reason and age, and neither sends nor removes anything', async () => {
      const before = await relay.outboxCount();
      // The first attempt fails transiently; the raw mail then goes missing before the redelivery.
      throttleNextSend();
      const sent = await storeWrites('raw mail missing for a while');
      sesMessageId = sent.sesMessageId;
      expect(sent.response.batchItemFailures).toHaveLength(1);
      raw = await relay.inboundRaw(sesMessageId);
      await relay.stack.clients.s3.send(new DeleteObjectCommand(rawKey(sesMessageId)));
      const redelivered = await human(['dev', 'redeliver', '--message-id', sesMessageId]);
      expect(redelivered).toEqual(['delivered once: 0 sent, 0 sent nothing (duplicate or refusal), 1 dead-lettered (`anshin dlq replay --dry-run` says why), 0 failed']);
      expect((await relay.deadLetter(sesMessageId))?.attributes.reason).toBe('raw_mail_missing');

      const dry = await relay.cli<ReplayJson>(['dlq', 'replay', '--dry-run']);
      const lines = await human(['dlq', 'replay', '--dry-run']);

      expect(dry).toEqual({
        target: 'local',
        dryRun: true,
        items: [{ id: sesMessageId, sesMessageId, reason: 'raw_mail_missing', ageSeconds: expect.any(Number) as number, status: 'would_replay' }],
        summary: { replayed: 0, wouldReplay: 1, failed: 0, skipped: 0, expired: 0 },
      });
      expect(lines).toEqual([expect.stringMatching(new RegExp(`^would replay\\s+${sesMessageId}  reason=raw_mail_missing  age=\\d+s$`)), 'would replay 1, failed 0, skipped 0 (dry run: nothing sent)']);
      expect(await relay.outboxCount()).toBe(before);
      expect(await relay.deadLetter(sesMessageId)).toBeDefined();
    });

    it('keeps the dead letter, with its reason, when the replay fails the same way again, and exits with an error', async () => {
      const { out, error } = await withError(['--json', 'dlq', 'replay']);
      expect(error).toBe('ReplayFailedError: 1 replay(s) failed; they stay in the dead letters');
      const result = JSON.parse(out.join('\n')) as ReplayJson;

      expect(result.items).toEqual([expect.objectContaining({ id: sesMessageId, status: 'failed', reason: 'raw_mail_missing', detail: 'dead_lettered_again' })]);
      expect(result.summary).toEqual({ replayed: 0, wouldReplay: 0, failed: 1, skipped: 0, expired: 0 });
      expect(await relay.deadLetter(sesMessageId)).toBeDefined();
      expect(await readdir(join(relay.dir, 'dead-letters'))).toEqual([`${sesMessageId}.json`]);
    });

    it('delivers exactly once after the fix, removes the dead letter, and shows a progress bar on a terminal', async () => {
      const before = await relay.outboxCount();
      await relay.stack.clients.s3.send(new PutObjectCommand({ ...rawKey(sesMessageId), Body: raw }));
      const terminal: string[] = [];

      const lines = await human(['dlq', 'replay'], terminal);

      expect(terminal).toEqual(['\r[----------] 0/1', '\r[##########] 1/1', '\n']);
      expect(lines).toEqual(['replayed 1, failed 0, skipped 0']);
      expect(await relay.outboxCount()).toBe(before + 1);
      expect(await relay.deadLetter(sesMessageId)).toBeUndefined();
      expect(await readdir(join(relay.dir, 'dead-letters'))).toEqual([]);
      const record = await relay.transmission(sesMessageId);
      expect(record).toMatchObject({ state: 'done', outcome: 'relayed' });
      expect((await relay.outbound(record.outboundMessageId!)).envelope.destinations).toEqual([CUSTOMER]);
    });

    it('finds nothing the second time', async () => {
      const before = await relay.outboxCount();

      const again = await relay.cli<ReplayJson>(['dlq', 'replay']);

      expect(again).toEqual({ target: 'local', dryRun: false, items: [], summary: { replayed: 0, wouldReplay: 0, failed: 0, skipped: 0, expired: 0 } });
      expect(await relay.outboxCount()).toBe(before);
    });

    it('deletes, never replays, a dead letter whose mail arrived longer ago than the content retention', async () => {
      // SES received the fixture's mail on 2026-11-24, more than seven days before any run of this test.
      const body = await readFile(new URL('../fixtures/ses/received-s3-notification.json', import.meta.url), 'utf8');
      const letter = join(relay.dir, 'dead-letters', 'o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1.json');
      await writeFile(letter, JSON.stringify({ body, attributes: { reason: 'raw_mail_missing', errorName: 'RawMailMissingError' } }));
      const before = await relay.outboxCount();

      const listed = await relay.cli<ReplayJson>(['dlq', 'replay', '--dry-run']);
      expect(listed.items.map((item) => [item.status, item.detail])).toEqual([['expired', 'would_delete']]);
      expect(await exists(letter)).toBe(true);

      const result = await relay.cli<ReplayJson>(['dlq', 'replay']);
      expect(result.summary).toEqual({ replayed: 0, wouldReplay: 0, failed: 0, skipped: 0, expired: 1 });
      expect(await exists(letter)).toBe(false);
      expect(await relay.outboxCount()).toBe(before);
    });

    it('prints no address', () => {
      for (const address of [CUSTOMER, STORE_CONTACT, STORE_SENDER]) expect(logLines.join('\n')).not.toContain(address);
    });
  });

  describe('anshin dev redeliver', () => {
    it('sends nothing more for a message already relayed, however often it comes again', async () => {
      const sent = await storeWrites('relayed, then duplicated');
      const before = await relay.outboxCount();

      const result = await relay.cli<RedeliverJson>(['dev', 'redeliver', '--message-id', sent.sesMessageId, '--times', '3']);
      const lines = await human(['dev', 'redeliver', '--message-id', sent.sesMessageId]);

      expect(result.summary).toEqual({ deliveries: 3, sent: 0, nothingSent: 3, deadLettered: 0, failed: 0 });
      expect(lines).toEqual(['delivered once: 0 sent, 1 sent nothing (duplicate or refusal), 0 failed']);
      expect(await relay.outboxCount()).toBe(before);
    });

    it('delivers a message that had failed transiently exactly once', async () => {
      const before = await relay.outboxCount();
      throttleNextSend();
      const sent = await storeWrites('throttled, then redelivered three times');
      expect(sent.response.batchItemFailures).toHaveLength(1);
      expect(await exists(join(relay.dir, 'notifications', `${sent.sesMessageId}.json`))).toBe(true);

      const result = await relay.cli<RedeliverJson>(['dev', 'redeliver', '--message-id', sent.sesMessageId, '--times', '3']);

      expect(result.attempts).toEqual([
        { attempt: 1, outcome: 'sent', sent: 1 },
        { attempt: 2, outcome: 'nothing_sent', sent: 0 },
        { attempt: 3, outcome: 'nothing_sent', sent: 0 },
      ]);
      expect(await relay.outboxCount()).toBe(before + 1);
      expect(await exists(join(relay.dir, 'notifications', `${sent.sesMessageId}.json`))).toBe(false);
      expect(await exists(join(relay.dir, 'notifications', 'handled', `${sent.sesMessageId}.json`))).toBe(true);
    });

    it('refuses a deployed stack before looking for it', async () => {
      await expect(human(['--target', 'aws', 'dev', 'redeliver', '--message-id', 'x'])).rejects.toThrow(/local stack only/);
    });

    it('says so when the stack holds no notification for the message', async () => {
      await expect(human(['dev', 'redeliver', '--message-id', 'no-such-message'])).rejects.toThrow(/no stored notification for message no-such-message/);
    });
  });

  describe('the control endpoint', () => {
    function post(path: string, body: string, headers: Record<string, string>): Promise<number> {
      const url = new URL(path, relay.controlUrl);
      return new Promise((resolve, reject) => {
        const req = request(url, { method: 'POST', headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(body);
      });
    }

    it('answers JSON requests for its own Host only, and takes only plain message IDs', async () => {
      const json = { 'content-type': 'application/json' };

      expect(await post('/dead-letters/replay', '{"dryRun":true}', json)).toBe(200);
      expect(await post('/dead-letters/replay', '{"dryRun":true}', { 'content-type': 'text/plain' })).toBe(415);
      expect(await post('/dead-letters/replay', '{"dryRun":true}', { ...json, host: 'attacker.example' })).toBe(403);
      expect(await post('/redeliver', JSON.stringify({ messageId: '../endpoints' }), json)).toBe(400);
      expect(await post('/redeliver', JSON.stringify({ messageId: 'x', times: 1000 }), json)).toBe(400);
      expect(await post('/elsewhere', '{}', json)).toBe(404);
    });
  });
});
