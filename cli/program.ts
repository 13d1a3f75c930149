import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DynamoAliasStore } from '../lambdas/aliases/aws/dynamo-alias-store';
import { DynamoStoreDirectory } from '../lambdas/aliases/aws/dynamo-store-directory';
import { DynamoReceiptLog } from '../lambdas/records/aws/dynamo-receipt-log';
import { DynamoTransmissionReader } from '../lambdas/relay/aws/dynamo-transmission-log';
import { KmsKeyService } from '../lambdas/keys/aws/kms-key-service';
import { AliasRetiredError } from '../lambdas/aliases/names';
import { AliasConflictError, issueAlias } from '../lambdas/aliases/issuance';
import { createStore, InvalidRequestError } from '../lambdas/aliases/stores';
import type { ReplayItem } from '../local';
import { redeliverLocal, replayFromSqs, replayLocal } from './dlq';
import type { ReplayProgress } from './dlq';
import { destroySubject, FunctionFailedError, runRetention, terminateStore } from './data-lifecycle';
import type { Subject } from './data-lifecycle';
import { receiptLines, receiptSummaryLine, totalCount } from './receipt-report';
import type { ReceiptKind } from '../lambdas/records/receipts';
import { isPlausibleAddress } from '../lambdas/aliases/address';
import { itemLine, progressBar, redeliveryLine, summarize, summarizeRedelivery, summaryLine } from './replay-report';
import { awsTarget, localTarget, TargetError } from './target';
import type { Target } from './target';

/** Where the CLI writes; tests pass their own to read what a person would see. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Writes as is, without a newline; given only when stderr is a terminal, for progress bars. */
  progress?(text: string): void;
  /** Asks a yes/no question; given only when a person is at a terminal to answer it. */
  confirm?(question: string): Promise<boolean>;
}

interface GlobalOptions {
  readonly json: boolean;
  readonly target: 'local' | 'aws';
  readonly localDir: string;
  readonly stackName: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function instant(value: string): Date {
  const parsed = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(parsed.getTime())) throw new InvalidArgumentError('must be an ISO 8601 instant, e.g. 2027-06-01T00:00:00Z');
  return parsed;
}

/** Irreversible commands go ahead only with `--yes` or a person's answer at a terminal. */
async function confirmed(output: Output, yes: boolean, question: string): Promise<void> {
  if (yes) return;
  if (!output.confirm) throw new TargetError('this cannot be undone: add --yes to confirm when not at a terminal');
  if (!(await output.confirm(question))) throw new TargetError('cancelled; nothing was changed');
}

async function cdkContext(): Promise<unknown> {
  try {
    const cdk = JSON.parse(await readFile('cdk.json', 'utf8')) as { context?: { anshin?: unknown } };
    return cdk.context?.anshin ?? {};
  } catch {
    return {};
  }
}

/** Builds the `anshin` command tree. `now` is injectable so tests control time. */
export function buildProgram(output: Output, now: () => Date = () => new Date()): Command {
  const program = new Command('anshin')
    .description('Operate an anshin-relay deployment: stores, aliases, transmission records, retention and destruction.')
    .addOption(new Option('--target <target>', 'where to act').choices(['local', 'aws']).default(process.env.ANSHIN_TARGET ?? 'local'))
    .option('--local-dir <dir>', 'data directory of the local stack', '.local')
    .option('--stack-name <name>', 'CloudFormation stack of the deployed relay (with --target aws)', 'AnshinRelay')
    .option('--json', 'machine-readable output', false)
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .exitOverride();

  const target = async (): Promise<{ target: Target; options: GlobalOptions }> => {
    const options = program.opts<GlobalOptions>();
    const resolved = options.target === 'aws' ? await awsTarget(options.stackName, await cdkContext()) : await localTarget(options.localDir);
    return { target: resolved, options };
  };
  const keysOf = (t: Target) => new KmsKeyService(t.kms, t.keys);
  const print = (options: GlobalOptions, value: object, human: string): void => output.out(options.json ? JSON.stringify(value, null, 2) : human);

  const store = program.command('store').description('stores and their registered senders');
  store
    .command('create')
    .description('register a store, its contact address (replies go there) and the addresses allowed to write to its customers')
    .requiredOption('--store-id <id>', 'store ID')
    .requiredOption('--contact <email>', "store's contact address")
    .requiredOption('--sender <email>', 'registered sender address (repeatable)', collect)
    .option('--name <display name>', "shown as the sender's name when the store's mail has none (default: the store ID)")
    .action(async (opts: { storeId: string; contact: string; sender: string[]; name?: string }) => {
      const { target: t, options } = await target();
      const result = await createStore(
        { storeId: opts.storeId, contact: opts.contact, senders: opts.sender, ...(opts.name ? { displayName: opts.name } : {}) },
        { stores: new DynamoStoreDirectory(t.dynamodb, t.tables.stores), keys: keysOf(t), now: now() },
      );
      print(options, { ...result, target: t.name }, `store ${result.storeId} (${result.displayName}) saved with ${result.senderCount} registered sender(s) on ${t.name}`);
    });

  const alias = program.command('alias').description('customer aliases');
  alias
    .command('issue')
    .description('issue (or return the existing) alias of a customer for one order of a store')
    .requiredOption('--store-id <id>', 'store ID')
    .requiredOption('--order-id <id>', 'order ID')
    .requiredOption('--customer <email>', "customer's real address")
    .action(async (opts: { storeId: string; orderId: string; customer: string }) => {
      const { target: t, options } = await target();
      const result = await issueAlias(
        { storeId: opts.storeId, orderId: opts.orderId, customer: opts.customer },
        {
          aliases: new DynamoAliasStore(t.dynamodb, t.tables.aliases),
          stores: new DynamoStoreDirectory(t.dynamodb, t.tables.stores),
          keys: keysOf(t),
          now: now(),
          relayDomain: t.config.relayDomain,
          validityDays: t.config.retention.classes.address.retentionDays,
          supportDays: t.config.retention.classes.address.supportDays,
        },
      );
      print(options, result, `${result.address} (${result.created ? 'issued' : 'already issued'}, expires ${result.expiresAt})`);
    });

  program
    .command('transmissions')
    .description('transmission records: outcome, reason, direction, size; never addresses')
    .command('list')
    .option('--alias <alias>', 'only records of this alias (newest first)')
    .option('--limit <n>', 'at most this many', (v) => Number.parseInt(v, 10), 20)
    .action(async (opts: { alias?: string; limit: number }) => {
      const { target: t, options } = await target();
      const reader = new DynamoTransmissionReader(t.dynamodb, t.tables.transmissions);
      const records = opts.alias ? await reader.listByAlias(opts.alias, opts.limit) : await reader.listAny(opts.limit);
      const lines = records.map((r) =>
        [r.receivedAt, r.aliasId, r.direction, r.outcome, r.reason ?? '-', `${r.sizeBytes} B`, r.storeId ?? '-'].join('  '),
      );
      print(options, records, lines.length > 0 ? lines.join('\n') : 'no transmission records');
    });

  store
    .command('terminate')
    .description("terminate a store: it stops relaying at once; its data is kept for the support period so inquiries can be answered, then erased")
    .requiredOption('--store-id <id>', 'store ID')
    .option('--yes', 'do not ask for confirmation', false)
    .action(async (opts: { storeId: string; yes: boolean }) => {
      const { target: t, options } = await target();
      await confirmed(output, opts.yes, `Terminate store ${opts.storeId} on ${t.name}? Its aliases stop relaying now. [y/N] `);
      const receipt = await terminateStore(t, opts.storeId, now);
      print(options, receipt, receiptLines(receipt).join('\n'));
    });

  program
    .command('destroy')
    .description("erase everything about a store or a customer now (aliases both ways, senders, transmission and access records, raw mail and its versions) and print the destruction receipt")
    .addOption(new Option('--store-id <id>', 'the store to erase').conflicts('customer'))
    .addOption(new Option('--customer <email>', "the customer to erase, by real address").conflicts('storeId'))
    .option('--yes', 'do not ask for confirmation', false)
    .action(async (opts: { storeId?: string; customer?: string; yes: boolean }) => {
      let subject: Subject;
      if (opts.storeId !== undefined) subject = { kind: 'store', storeId: opts.storeId };
      else if (opts.customer !== undefined) {
        if (!isPlausibleAddress(opts.customer)) throw new InvalidRequestError('customer is not a valid e-mail address');
        subject = { kind: 'customer', email: opts.customer };
      } else throw new InvalidRequestError('name what to destroy: --store-id <id> or --customer <email>');
      const { target: t, options } = await target();
      const what = subject.kind === 'store' ? `store ${subject.storeId}` : 'this customer';
      await confirmed(output, opts.yes, `Erase everything about ${what} on ${t.name}? This cannot be undone. [y/N] `);
      const steps = options.json ? undefined : output.progress?.bind(output);
      if (t.name === 'aws') steps?.('erasing: the destruction function is running…\n');
      const receipt = await destroySubject(t, subject, now, (step) => steps?.(`  ${step.phase}: ${step.dataClass} ${step.removed}\n`));
      const human = [...receiptLines(receipt), ...(totalCount(receipt) === 0 ? ['nothing left to erase'] : [])].join('\n');
      print(options, receipt, human);
    });

  const retention = program.command('retention').description('the retention policy at work');
  retention
    .command('run')
    .description('remove what passed its retention period now (the schedule does this daily) and print the receipt')
    .option('--now <instant>', 'run as if it were this instant (ISO 8601; AWS refuses future instants)', instant)
    .action(async (opts: { now?: Date }) => {
      const { target: t, options } = await target();
      const receipt = await runRetention(t, now, opts.now);
      print(options, receipt, receiptLines(receipt).join('\n'));
    });

  program
    .command('receipts')
    .description('retention, destruction and termination receipts (evidence; no personal data)')
    .command('list')
    .addOption(new Option('--kind <kind>', 'only receipts of this kind').choices(['retention', 'destruction', 'termination']))
    .option('--limit <n>', 'at most this many (newest first)', positiveInteger, 20)
    .action(async (opts: { kind?: ReceiptKind; limit: number }) => {
      const { target: t, options } = await target();
      const receipts = await new DynamoReceiptLog(t.dynamodb, t.tables.receipts).list({ limit: opts.limit, ...(opts.kind === undefined ? {} : { kind: opts.kind }) });
      print(options, receipts, receipts.length > 0 ? receipts.map(receiptSummaryLine).join('\n') : 'no receipts');
    });

  const dlq = program.command('dlq').description('the dead-letter queue: notifications the relay could not handle');
  dlq
    .command('replay')
    .description('hand dead-lettered notifications back to the relay (oldest first); deliveries already finished are not sent again')
    .option('--dry-run', 'only list what would be replayed', false)
    .option('--limit <n>', 'at most this many (default: all)', positiveInteger)
    .action(async (opts: { dryRun: boolean; limit?: number }) => {
      const { target: t, options } = await target();
      const replayOptions = { dryRun: opts.dryRun, ...(opts.limit === undefined ? {} : { limit: opts.limit }) };
      const bar = options.json ? undefined : output.progress?.bind(output);
      // With a bar, only what needs a look is listed after it; a dry run's listing is its point.
      const listed: string[] = [];
      let total = 0;
      const progress: ReplayProgress = {
        start: (n) => {
          total = n;
          bar?.(`\r${progressBar(0, total)}`);
        },
        item: (item: ReplayItem, done: number) => {
          if (options.json) return;
          if (!bar) {
            output.out(itemLine(item));
            return;
          }
          bar(`\r${progressBar(done, total)}`);
          if (opts.dryRun || item.status === 'failed' || item.status === 'skipped') listed.push(itemLine(item));
        },
      };
      let items: ReplayItem[];
      if (t.name === 'aws') {
        if (!t.queues) throw new TargetError('the deployed stack names no relay or dead-letter queue');
        items = await replayFromSqs(t.queues.sqs, t.queues, replayOptions, progress, now);
      } else {
        if (!t.control) throw new TargetError('the local stack names no control endpoint: restart it with `npm start`');
        items = await replayLocal(t.control, replayOptions, progress);
      }
      bar?.('\n');
      const summary = summarize(items);
      if (options.json) {
        output.out(JSON.stringify({ target: t.name, dryRun: opts.dryRun, items, summary }, null, 2));
        return;
      }
      for (const line of listed) output.out(line);
      output.out(summaryLine(summary, opts.dryRun));
    });

  program
    .command('dev')
    .description('development aids for the local stack')
    .command('redeliver')
    .description('deliver a stored SES notification to the relay again, as a duplicate from SES or SQS would (local stack only)')
    .requiredOption('--message-id <id>', 'SES message ID of a mail the local stack received')
    .option('--times <n>', 'how many times', positiveInteger, 1)
    .action(async (opts: { messageId: string; times: number }) => {
      if (program.opts<GlobalOptions>().target !== 'local') {
        throw new TargetError('`anshin dev redeliver` acts on the local stack only; on AWS, duplicates come from SES and SQS themselves');
      }
      const { target: t, options } = await target();
      if (!t.control) throw new TargetError('the local stack names no control endpoint: restart it with `npm start`');
      const result = await redeliverLocal(t.control, opts.messageId, opts.times);
      const summary = summarizeRedelivery(result.attempts);
      print(options, { ...result, summary }, redeliveryLine(summary));
    });

  return program;
}

/** Known, user-caused failures print one line; anything else is a bug and keeps its stack. */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof InvalidRequestError || error instanceof AliasConflictError || error instanceof AliasRetiredError || error instanceof TargetError || error instanceof FunctionFailedError) {
    return { message: `anshin: ${error.message}`, exitCode: 2 };
  }
  return { message: `anshin: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, exitCode: 1 };
}
