import { Option } from 'commander';
import { isPlausibleAddress } from '../../lambdas/aliases/address';
import { InvalidRequestError } from '../../lambdas/aliases/stores';
import { ReceiptChainBrokenError, reportLines, verifyReceipts } from '../receipt-verification';
import { DynamoReceiptLog } from '../../lambdas/records/aws/dynamo-receipt-log';
import { RECEIPT_KINDS } from '../../lambdas/records/receipts';
import type { ReceiptKind } from '../../lambdas/records/receipts';
import { destroySubject, runRetention } from '../data-lifecycle';
import type { Subject } from '../data-lifecycle';
import { receiptLines, receiptSummaryLine, totalCount } from '../receipt-report';
import { confirmed, instant, positiveInteger } from './context';
import type { CommandContext } from './context';

/** `anshin destroy`, `anshin retention run` and `anshin receipts list`: data kept no longer than the policy says, with evidence. */
export function recordCommands(context: CommandContext): void {
  const { program, output, now } = context;
  program
    .command('destroy')
    .description("erase everything about a store or a customer now (aliases both ways, senders, transmission and access records, raw mail and its versions) and print the destruction receipt")
    .addOption(new Option('--store-id <id>', 'the store to erase').conflicts(['customer', 'customerAlias']))
    .addOption(new Option('--customer <email>', "the customer to erase, by real address").conflicts(['storeId', 'customerAlias']))
    .addOption(new Option('--customer-alias <alias>', 'the customer to erase, by one of their aliases or reverse aliases').conflicts(['storeId', 'customer']))
    .option('--yes', 'do not ask for confirmation', false)
    .action(async (opts: { storeId?: string; customer?: string; customerAlias?: string; yes: boolean }) => {
      let subject: Subject;
      if (opts.storeId !== undefined) subject = { kind: 'store', storeId: opts.storeId };
      else if (opts.customerAlias !== undefined) subject = { kind: 'customer', alias: opts.customerAlias };
      else if (opts.customer !== undefined) {
        if (!isPlausibleAddress(opts.customer)) throw new InvalidRequestError('customer is not a valid e-mail address');
        subject = { kind: 'customer', email: opts.customer };
      } else throw new InvalidRequestError('name what to destroy: --store-id <id>, --customer <email> or --customer-alias <alias>');
      const { target: t, options } = await context.target();
      const what = subject.kind === 'store' ? `store ${subject.storeId}` : 'this customer';
      await confirmed(output, opts.yes, `Erase everything about ${what} on ${t.name}? This cannot be undone. [y/N] `);
      const steps = options.json ? undefined : output.progress?.bind(output);
      if (t.name === 'aws') steps?.('erasing: the destruction function is running…\n');
      const receipt = await destroySubject(t, subject, now, (step) => steps?.(`  ${step.phase}: ${step.dataClass} ${step.removed}\n`));
      const human = [...receiptLines(receipt), ...(totalCount(receipt) === 0 ? ['nothing left to erase'] : [])].join('\n');
      context.print(options, receipt, human);
    });

  program
    .command('retention')
    .description('the retention policy at work')
    .command('run')
    .description('remove what passed its retention period now (the schedule does this daily) and print the receipt')
    .option('--now <instant>', 'run as if it were this instant (ISO 8601; AWS refuses future instants)', instant)
    .action(async (opts: { now?: Date }) => {
      const { target: t, options } = await context.target();
      const receipt = await runRetention(t, now, opts.now);
      context.print(options, receipt, receiptLines(receipt).join('\n'));
    });

  const receipts = program.command('receipts').description('retention, destruction and termination receipts and the incident register (evidence; no personal data)');
  receipts
    .command('verify')
    .description("check every receipt's signature and every link of each kind's chain; fails naming the first receipt changed or removed")
    .addOption(new Option('--kind <kind>', 'only receipts of this kind').choices([...RECEIPT_KINDS]))
    .action(async (opts: { kind?: ReceiptKind }) => {
      const { target: t, options } = await context.target();
      const reports = await verifyReceipts(t, opts.kind === undefined ? undefined : [opts.kind]);
      context.print(options, reports, reportLines(reports).join('\n'));
      const broken = reports.find((report) => report.broken);
      if (broken?.broken) throw new ReceiptChainBrokenError(`the ${broken.kind} receipts do not hold at ${broken.broken.receiptId}: ${broken.broken.problem}`);
    });
  receipts
    .command('list')
    .description('the newest receipts and register entries: time, kind, policy version, subject hash, counts per class')
    .addOption(new Option('--kind <kind>', 'only receipts of this kind').choices([...RECEIPT_KINDS]))
    .option('--limit <n>', 'at most this many (newest first)', positiveInteger, 20)
    .action(async (opts: { kind?: ReceiptKind; limit: number }) => {
      const { target: t, options } = await context.target();
      const receipts = await new DynamoReceiptLog(t.dynamodb, t.tables.receipts).list({ limit: opts.limit, ...(opts.kind === undefined ? {} : { kind: opts.kind }) });
      context.print(options, receipts, receipts.length > 0 ? receipts.map(receiptSummaryLine).join('\n') : 'no receipts');
    });
}
