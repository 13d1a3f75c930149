import { InvalidArgumentError, Option } from 'commander';
import { DynamoTransmissionReader } from '../../lambdas/relay/aws/dynamo-transmission-log';
import type { TransmissionRecord } from '../../lambdas/relay/transmission';
import { formatTable, localTime } from '../table';
import { instant, positiveInteger } from './context';
import type { CommandContext } from './context';

/** Sizes as a person reads them. */
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const sesMessageIdOf = (record: TransmissionRecord): string => record.transmissionId.split('/')[0] ?? record.transmissionId;

/** `anshin transmissions …`: what the relay did with each delivery, never an address. */
export function transmissionCommands(context: CommandContext): void {
  context.program
    .command('transmissions')
    .description('transmission records: outcome, reason, direction, size; never addresses')
    .command('list')
    .description('finished deliveries, newest first, with the SES message ID `dev redeliver` takes')
    .option('--store-id <id>', "only this store's records")
    .option('--alias <alias>', 'only records of mail to this alias')
    .option('--since <ISO>', 'only records received at or after this instant', instant)
    .addOption(new Option('--outcome <outcome>', 'only relayed or only refused').choices(['relayed', 'refused']))
    .option('--reason <reason>', 'only refusals for this reason, e.g. unregistered_sender')
    .option('--limit <n>', 'this many rows at most', positiveInteger, 20)
    .action(async (opts: { storeId?: string; alias?: string; since?: Date; outcome?: 'relayed' | 'refused'; reason?: string; limit: number }) => {
      if (opts.storeId !== undefined && opts.alias !== undefined) throw new InvalidArgumentError('name a store or an alias, not both');
      const { target: t, options } = await context.target();
      const reader = new DynamoTransmissionReader(t.dynamodb, t.tables.transmissions, t.config.retention.classes.transmission.retentionDays);
      const records = await reader.newest({
        limit: opts.limit,
        ...(opts.storeId === undefined ? {} : { storeId: opts.storeId }),
        ...(opts.alias === undefined ? {} : { aliasId: opts.alias }),
        ...(opts.since === undefined ? {} : { since: opts.since }),
        ...(opts.outcome === undefined ? {} : { outcome: opts.outcome }),
        ...(opts.reason === undefined ? {} : { reason: opts.reason }),
      });
      const rows = records.map((r) => [localTime(r.receivedAt), sesMessageIdOf(r), r.aliasId, r.direction, r.outcome, r.reason ?? '-', size(r.sizeBytes), r.storeId ?? '-']);
      context.print(options, records, rows.length > 0 ? formatTable(['received', 'SES message ID', 'alias', 'direction', 'outcome', 'reason', 'size', 'store'], rows) : 'no transmission records');
    });
}
