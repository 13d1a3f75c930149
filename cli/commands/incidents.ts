import { readFile } from 'node:fs/promises';
import { DynamoReceiptLog } from '../../lambdas/records/aws/dynamo-receipt-log';
import { parseIncident } from '../../lambdas/records/incidents';
import { DATA_CLASSES } from '../../lambdas/records/retention-policy';
import { recordIncidentEntry } from '../data-lifecycle';
import { receiptLines } from '../receipt-report';
import { TargetError } from '../target';
import type { CommandContext } from './context';

/** Who recorded it, as the register names them: what a receipt's requester may be. */
const REQUESTER = /^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,63}$/;

/** `anshin incident record|list`: the incident register, signed and chained like the receipts. */
export function incidentCommands(context: CommandContext): void {
  const incident = context.program.command('incident').description('the incident register: incidents and data breaches, as signed, chained evidence (no personal data)');

  incident
    .command('record')
    .description('record an incident (a data breach with --breach); it cannot be changed or removed afterwards')
    .requiredOption('--occurred <ISO>', 'when it happened, e.g. 2026-11-30T09:00:00+09:00')
    .requiredOption('--title <text>', 'a short title, naming no person')
    .option('--classes <list>', `data classes concerned, comma-separated (${DATA_CLASSES.join(', ')})`, '')
    .option('--affected <n>', 'users affected, as far as known', '0')
    .option('--description-file <file>', 'what happened, what was done, what changed (plain text, naming no person)')
    .option('--breach', 'it is a breach of user information', false)
    .option('--recorded-by <name>', 'who records it (letters, digits, spaces, . _ : -)', 'cli')
    .action(async (opts: { occurred: string; title: string; classes: string; affected: string; descriptionFile?: string; breach: boolean; recordedBy: string }) => {
      if (!REQUESTER.test(opts.recordedBy)) throw new TargetError('--recorded-by must be 1-64 letters, digits, spaces, ".", "_", ":" or "-"');
      const description = opts.descriptionFile === undefined ? '' : await readFile(opts.descriptionFile, 'utf8');
      const entry = parseIncident(
        {
          occurredAt: opts.occurred,
          title: opts.title,
          breach: opts.breach,
          classes: opts.classes.split(',').map((c) => c.trim()).filter((c) => c !== ''),
          affected: Number(opts.affected),
          description,
        },
        context.now(),
      );
      const { target, options } = await context.target();
      const receipt = await recordIncidentEntry(target, entry, opts.recordedBy, context.now);
      context.print(options, receipt, receiptLines(receipt).join('\n'));
    });

  incident
    .command('list')
    .description('every entry of the register, oldest first, from its opening')
    .action(async () => {
      const { target, options } = await context.target();
      const entries = await new DynamoReceiptLog(target.dynamodb, target.tables.receipts).chain('incident');
      const lines = entries.length === 0 ? ['the register is not open yet: the first retention run opens it'] : entries.flatMap((entry) => receiptLines(entry));
      context.print(options, entries, lines.join('\n'));
    });
}
