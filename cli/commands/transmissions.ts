import { DynamoTransmissionReader } from '../../lambdas/relay/aws/dynamo-transmission-log';
import type { CommandContext } from './context';

/** `anshin transmissions …`: what the relay did with each delivery, never an address. */
export function transmissionCommands(context: CommandContext): void {
  context.program
    .command('transmissions')
    .description('transmission records: outcome, reason, direction, size; never addresses')
    .command('list')
    .option('--alias <alias>', 'only records of this alias (newest first)')
    .option('--limit <n>', 'at most this many', (v) => Number.parseInt(v, 10), 20)
    .action(async (opts: { alias?: string; limit: number }) => {
      const { target: t, options } = await context.target();
      const reader = new DynamoTransmissionReader(t.dynamodb, t.tables.transmissions);
      const records = opts.alias ? await reader.listByAlias(opts.alias, opts.limit) : await reader.listAny(opts.limit);
      const lines = records.map((r) => [r.receivedAt, r.aliasId, r.direction, r.outcome, r.reason ?? '-', `${r.sizeBytes} B`, r.storeId ?? '-'].join('  '));
      context.print(options, records, lines.length > 0 ? lines.join('\n') : 'no transmission records');
    });
}
