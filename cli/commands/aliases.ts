import { apiOf, callApi, listFromApi, positiveInteger } from './context';
import type { CommandContext } from './context';
import type { AliasView } from '../../lambdas/aliases/administration';
import { fieldLines, formatTable, localTime } from '../table';

/** `anshin alias …`: issuing a customer's alias for an order, through the marketplace API (`POST /aliases`). */
export function aliasCommands(context: CommandContext): void {
  const alias = context.program.command('alias').description('customer aliases');
  alias
    .command('issue')
    .description('issue (or return the existing) alias of a customer for one order of a store')
    .requiredOption('--store-id <id>', 'store ID')
    .requiredOption('--order-id <id>', 'order ID')
    .requiredOption('--customer <email>', "customer's real address")
    .action(async (opts: { storeId: string; orderId: string; customer: string }) => {
      const { target: t, options } = await context.target();
      const { status, body } = await apiOf(t).request('POST', '/aliases', { storeId: opts.storeId, orderId: opts.orderId, customerEmail: opts.customer });
      const issued = body as { alias: string; expiresAt: string };
      const result = { address: issued.alias, alias: issued.alias.split('@', 1)[0] ?? issued.alias, expiresAt: issued.expiresAt, created: status === 201 };
      context.print(options, result, `${result.address} (${result.created ? 'issued' : 'already issued'}, expires ${result.expiresAt})`);
    });

  alias
    .command('list')
    .description("a store's customer aliases, the newest first: order, status, expiry; never an address")
    .requiredOption('--store-id <id>', 'store ID')
    .option('--limit <n>', 'this many rows at most', positiveInteger, 50)
    .action(async (opts: { storeId: string; limit: number }) => {
      const { items, more, options } = await listFromApi<AliasView>(context, `/stores/${encodeURIComponent(opts.storeId)}/aliases`, 'aliases', opts.limit);
      const rows = items.map((a) => [a.alias, a.orderId ?? '-', a.status, localTime(a.expiresAt)]);
      const text = rows.length === 0 ? `store ${opts.storeId} has no aliases` : formatTable(['alias', 'order', 'status', 'expires'], rows) + (more ? `\n… more: --limit ${opts.limit * 2}` : '');
      context.print(options, items, text);
    });

  alias
    .command('show')
    .description('an alias and where it stands: store, kind, validity, pause, disabled, blocked')
    .requiredOption('--alias <alias>', 'the alias, with or without the relay domain')
    .action(async (opts: { alias: string }) => {
      const { body, options } = await callApi(context, 'GET', `/aliases/${encodeURIComponent(opts.alias.split('@', 1)[0] ?? opts.alias)}`);
      context.print(options, body as object, fieldLines(body as Record<string, unknown>));
    });
  alias
    .command('disable')
    .description('stop an alias relaying, at once and for good (its records stay until their retention ends)')
    .requiredOption('--alias <alias>', 'the alias, with or without the relay domain')
    .action(async (opts: { alias: string }) => {
      const name = opts.alias.split('@', 1)[0] ?? opts.alias;
      const { body, options } = await callApi(context, 'POST', `/aliases/${encodeURIComponent(name)}/disable`);
      context.print(options, (body ?? { alias: name }) as object, `alias ${name} disabled`);
    });
}
