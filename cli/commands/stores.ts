import { DynamoStoreDirectory } from '../../lambdas/aliases/aws/dynamo-store-directory';
import { createStore } from '../../lambdas/aliases/stores';
import { KmsKeyService } from '../../lambdas/keys/aws/kms-key-service';
import { terminateStore } from '../data-lifecycle';
import { receiptLines } from '../receipt-report';
import { collect, confirmed } from './context';
import type { CommandContext } from './context';

/** `anshin store …`: registering a store and terminating it. */
export function storeCommands(context: CommandContext): void {
  const { program, output, now } = context;
  const store = program.command('store').description('stores and their registered senders');
  store
    .command('create')
    .description('register a store, its contact address (replies go there) and the addresses allowed to write to its customers')
    .requiredOption('--store-id <id>', 'store ID')
    .requiredOption('--contact <email>', "store's contact address")
    .requiredOption('--sender <email>', 'registered sender address (repeatable)', collect)
    .option('--name <display name>', "shown as the sender's name when the store's mail has none (default: the store ID)")
    .action(async (opts: { storeId: string; contact: string; sender: string[]; name?: string }) => {
      const { target: t, options } = await context.target();
      const result = await createStore(
        { storeId: opts.storeId, contact: opts.contact, senders: opts.sender, ...(opts.name ? { displayName: opts.name } : {}) },
        { stores: new DynamoStoreDirectory(t.dynamodb, t.tables.stores), keys: new KmsKeyService(t.kms, t.keys), now: now() },
      );
      context.print(options, { ...result, target: t.name }, `store ${result.storeId} (${result.displayName}) saved with ${result.senderCount} registered sender(s) on ${t.name}`);
    });

  store
    .command('terminate')
    .description("terminate a store: it stops relaying at once; its data is kept for the support period so inquiries can be answered, then erased")
    .requiredOption('--store-id <id>', 'store ID')
    .option('--yes', 'do not ask for confirmation', false)
    .action(async (opts: { storeId: string; yes: boolean }) => {
      const { target: t, options } = await context.target();
      await confirmed(output, opts.yes, `Terminate store ${opts.storeId} on ${t.name}? Its aliases stop relaying now. [y/N] `);
      const receipt = await terminateStore(t, opts.storeId, now);
      context.print(options, receipt, receiptLines(receipt).join('\n'));
    });
}
