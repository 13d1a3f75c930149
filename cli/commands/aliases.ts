import { DynamoAliasStore } from '../../lambdas/aliases/aws/dynamo-alias-store';
import { DynamoStoreDirectory } from '../../lambdas/aliases/aws/dynamo-store-directory';
import { issueAlias } from '../../lambdas/aliases/issuance';
import { KmsKeyService } from '../../lambdas/keys/aws/kms-key-service';
import type { CommandContext } from './context';

/** `anshin alias …`: issuing a customer's alias for an order (`lambdas/aliases/issuance.ts`). */
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
      const result = await issueAlias(
        { storeId: opts.storeId, orderId: opts.orderId, customer: opts.customer },
        {
          aliases: new DynamoAliasStore(t.dynamodb, t.tables.aliases),
          stores: new DynamoStoreDirectory(t.dynamodb, t.tables.stores),
          keys: new KmsKeyService(t.kms, t.keys),
          now: context.now(),
          relayDomain: t.config.relayDomain,
          validityDays: t.config.retention.classes.address.retentionDays,
          supportDays: t.config.retention.classes.address.supportDays,
        },
      );
      context.print(options, result, `${result.address} (${result.created ? 'issued' : 'already issued'}, expires ${result.expiresAt})`);
    });
}
