import { terminateStore } from '../data-lifecycle';
import { receiptLines } from '../receipt-report';
import { InvalidRequestError } from '../../lambdas/aliases/stores';
import type { StoreSummary, StoreView } from '../../lambdas/aliases/stores';
import { apiOf, callApi, collect, confirmed, listFromApi, positiveInteger } from './context';
import { ApiProblemError } from '../api-client';
import { TargetError } from '../target';
import { fieldLines, formatTable, localTime } from '../table';
import type { CommandContext } from './context';

/** `anshin store …`: registering a store (through the marketplace API), inviting it to its menu, terminating it. */
export function storeCommands(context: CommandContext): void {
  const { program, output, now } = context;
  const store = program.command('store').description('stores and their registered senders');
  /** Registers or replaces a store; refuses to replace one that exists unless asked to. */
  const save = async (opts: { storeId: string; contact: string; sender: string[]; name?: string; update: boolean }): Promise<void> => {
      const { target: t, options } = await context.target();
      const api = apiOf(t);
      const exists = await api.request('GET', `/stores/${encodeURIComponent(opts.storeId)}`).then(
        () => true,
        (error: unknown) => {
          if (error instanceof ApiProblemError && error.status === 404) return false;
          throw error;
        },
      );
      if (exists && !opts.update) throw new TargetError(`store ${opts.storeId} exists already: \`anshin store update\` (or \`store create --update\`) replaces its contact, senders and name`);
      if (!exists && opts.update) throw new TargetError(`there is no store ${opts.storeId} to update: \`anshin store create\` registers it`);
      const { status, body } = await api.request('PUT', `/stores/${encodeURIComponent(opts.storeId)}`, {
        contact: opts.contact,
        senders: opts.sender,
        ...(opts.name ? { displayName: opts.name } : {}),
      });
      const result = body as { storeId: string; displayName: string; senderCount: number };
      const created = status === 201;
      context.print(
        options,
        { ...result, created, target: t.name },
        `store ${result.storeId} (${result.displayName}) ${created ? 'created' : 'updated'} with ${result.senderCount} registered sender(s) on ${t.name}` +
          (created ? '\nits menu account was created; the invitation (store ID and temporary password) went to the contact address' : ''),
      );
  };
  const registration = (name: string, description: string) =>
    store
      .command(name)
      .description(description)
      .requiredOption('--store-id <id>', 'store ID')
      .requiredOption('--contact <email>', "store's contact address")
      .requiredOption('--sender <email>', 'registered sender address (repeatable); replaces those registered before', collect)
      .option('--name <display name>', "shown as the sender's name when the store's mail has none (default: the store ID)");
  registration('create', 'register a new store, its contact address (replies go there) and the addresses allowed to write to its customers')
    .option('--update', 'replace an existing store instead of refusing', false)
    .action(async (opts: { storeId: string; contact: string; sender: string[]; name?: string; update: boolean }) => save(opts));
  registration('update', "replace an existing store's contact, senders and name").action(async (opts: { storeId: string; contact: string; sender: string[]; name?: string }) => save({ ...opts, update: true }));

  store
    .command('show')
    .description('a store: status, name, number of senders and of live aliases, limits and pause')
    .requiredOption('--store-id <id>', 'store ID')
    .action(async (opts: { storeId: string }) => {
      const { body, options } = await callApi(context, 'GET', `/stores/${encodeURIComponent(opts.storeId)}`);
      context.print(options, body as object, fieldLines(body as Record<string, unknown>));
    });

  store
    .command('list')
    .description('every store, in store-ID order: name, status, pause and own limits')
    .option('--limit <n>', 'this many rows at most', positiveInteger, 50)
    .action(async (opts: { limit: number }) => {
      const { items, more, options } = await listFromApi<StoreSummary>(context, '/stores', 'stores', opts.limit);
      const rows = items.map((s) => [
        s.storeId,
        s.displayName,
        s.status,
        s.paused ? `${s.paused.reason} since ${localTime(s.paused.since)}` : '-',
        s.limits ? [s.limits.perMinute === undefined ? '' : `${s.limits.perMinute}/min`, s.limits.perDay === undefined ? '' : `${s.limits.perDay}/day`].filter(Boolean).join(' ') : '-',
      ]);
      const text = rows.length === 0 ? 'no stores' : formatTable(['store', 'name', 'status', 'paused', 'own limits'], rows) + (more ? `\n… more: --limit ${opts.limit * 2}` : '');
      context.print(options, items, text);
    });

  const sender = program.command('sender').description("a store's registered senders, one at a time");
  sender
    .command('add')
    .description('register one more sender address for a store; answers its sender ID (the address is never echoed)')
    .requiredOption('--store-id <id>', 'store ID')
    .requiredOption('--sender <email>', 'the address')
    .action(async (opts: { storeId: string; sender: string }) => {
      const { status, body, options } = await callApi(context, 'POST', `/stores/${encodeURIComponent(opts.storeId)}/senders`, { address: opts.sender });
      const { senderId } = body as { senderId: string };
      context.print(options, { senderId, added: status === 201 }, `${status === 201 ? 'added' : 'already registered'}: ${senderId}`);
    });
  sender
    .command('remove')
    .description('remove one registered sender by the sender ID `sender add` answered')
    .requiredOption('--store-id <id>', 'store ID')
    .requiredOption('--sender-id <id>', 'sender ID, snd_…')
    .action(async (opts: { storeId: string; senderId: string }) => {
      const { options } = await callApi(context, 'DELETE', `/stores/${encodeURIComponent(opts.storeId)}/senders/${encodeURIComponent(opts.senderId)}`);
      context.print(options, { removed: opts.senderId }, `removed ${opts.senderId}`);
    });

  store
    .command('invite')
    .description("give the store's menu account a new temporary password, mailed to its contact address and printed here for an operator who hands it over another way")
    .requiredOption('--store-id <id>', 'store ID')
    .action(async (opts: { storeId: string }) => {
      const { target: t, options } = await context.target();
      const { body } = await apiOf(t).request('POST', `/stores/${encodeURIComponent(opts.storeId)}/invitations`);
      const result = body as { storeId: string; temporaryPassword: string; created: boolean };
      context.print(
        options,
        { ...result, target: t.name },
        [
          `store ${result.storeId}: ${result.created ? 'menu account created' : 'new temporary password set'} on ${t.name}; the invitation went to the contact address`,
          `temporary password: ${result.temporaryPassword}`,
          'it must be changed at the first login; it is valid for 7 days',
        ].join('\n'),
      );
    });

  /** Changes a store's limits or pause through the API and prints where the store stands. */
  const control = async (method: 'PUT' | 'DELETE', storeId: string, what: 'limits' | 'pause', body?: unknown): Promise<void> => {
    const { target: t, options } = await context.target();
    const result = (await apiOf(t).request(method, `/stores/${encodeURIComponent(storeId)}/${what}`, body)).body as StoreView;
    context.print(
      options,
      { ...result, target: t.name },
      [
        `store ${result.storeId} on ${t.name}: ${result.paused ? `paused since ${result.paused.since} (${result.paused.reason})` : 'not paused'}`,
        `own rate limits: ${result.limits ? [`${result.limits.perMinute ?? 'default'} per minute`, `${result.limits.perDay ?? 'default'} per day`].join(', ') : 'none (the configured defaults)'}`,
      ].join('\n'),
    );
  };

  store
    .command('limits')
    .description("set the store's own rate limits for its mail to customers (per minute, per day in Japan time); mail over them is held back, then refused as rate_limited")
    .requiredOption('--store-id <id>', 'store ID')
    .option('--per-minute <n>', 'messages per minute', positiveInteger)
    .option('--per-day <n>', 'messages per day', positiveInteger)
    .option('--default', "drop the store's own limits: the configured defaults apply again", false)
    .action(async (opts: { storeId: string; perMinute?: number; perDay?: number; default: boolean }) => {
      if (opts.default === (opts.perMinute !== undefined || opts.perDay !== undefined)) throw new InvalidRequestError('give --per-minute and/or --per-day, or --default');
      const limits = { ...(opts.perMinute === undefined ? {} : { perMinute: opts.perMinute }), ...(opts.perDay === undefined ? {} : { perDay: opts.perDay }) };
      await control('PUT', opts.storeId, 'limits', limits);
    });

  store
    .command('pause')
    .description('pause a store: none of its mail to customers is relayed (held back, then refused as store_paused) until it is unpaused')
    .requiredOption('--store-id <id>', 'store ID')
    .option('--reason <name>', 'why, as a short name', 'operator')
    .action((opts: { storeId: string; reason: string }) => control('PUT', opts.storeId, 'pause', { reason: opts.reason }));

  store
    .command('unpause')
    .description("lift a store's pause, whoever set it; held mail goes out at its next attempt")
    .requiredOption('--store-id <id>', 'store ID')
    .action((opts: { storeId: string }) => control('DELETE', opts.storeId, 'pause'));

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
