import type { ReplayItem } from '../../local';
import { redeliverLocal, replayFromSqs, replayLocal } from '../dlq';
import type { ReplayProgress } from '../dlq';
import { itemLine, progressBar, redeliveryLine, summarize, summarizeRedelivery, summaryLine } from '../replay-report';
import { TargetError } from '../target';
import { positiveInteger } from './context';
import type { CommandContext, GlobalOptions } from './context';

/** Some dead letters could not be replayed; the listing above names them. */
export class ReplayFailedError extends Error {
  override readonly name = 'ReplayFailedError';
}

/** `anshin dlq replay` and `anshin dev redeliver`: notifications the relay could not handle, and duplicates on purpose. */
export function deadLetterCommands(context: CommandContext): void {
  const { program, output, now } = context;
  program
    .command('dlq')
    .description('the dead-letter queue: notifications the relay could not handle')
    .command('replay')
    .description('hand dead-lettered notifications back to the relay (oldest first); deliveries already finished are not sent again')
    .option('--dry-run', 'only list what would be replayed', false)
    .option('--limit <n>', 'at most this many (default: all)', positiveInteger)
    .action(async (opts: { dryRun: boolean; limit?: number }) => {
      const { target: t, options } = await context.target();
      const replayOptions = {
        dryRun: opts.dryRun,
        ...(opts.limit === undefined ? {} : { limit: opts.limit }),
        contentRetentionDays: t.config.retention.classes.content.retentionDays,
      };
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
          if (opts.dryRun || item.status === 'failed' || item.status === 'skipped' || item.status === 'expired') listed.push(itemLine(item));
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
      if (options.json) output.out(JSON.stringify({ target: t.name, dryRun: opts.dryRun, items, summary }, null, 2));
      else {
        for (const line of listed) output.out(line);
        output.out(summaryLine(summary, opts.dryRun));
      }
      // A script learns from the exit code that something is still waiting.
      if (summary.failed > 0) throw new ReplayFailedError(`${summary.failed} replay(s) failed; they stay in the dead letters`);
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
      const { target: t, options } = await context.target();
      if (!t.control) throw new TargetError('the local stack names no control endpoint: restart it with `npm start`');
      const result = await redeliverLocal(t.control, opts.messageId, opts.times);
      const summary = summarizeRedelivery(result.attempts);
      context.print(options, { ...result, summary }, redeliveryLine(summary));
    });
}
