import { apiOf } from './context';
import type { CommandContext } from './context';

/** `anshin alias …`: issuing a customer's alias for an order, through the marketplace API (`POST /aliases`). */
export function aliasCommands(context: CommandContext): void {
  context.program
    .command('alias')
    .description('customer aliases')
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
}
