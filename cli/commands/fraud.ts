import { Logger } from '@aws-lambda-powertools/logger';
import { createFraudSignals } from '../../lambdas/fraud/app';
import { lastWholeDay } from '../../lambdas/fraud/fraud-run';
import type { SignalsRun } from '../../lambdas/fraud/fraud-run';
import type { SignalsReport } from '../../lambdas/fraud/signals';
import type { Target } from '../target';
import { japanDayOption } from './context';
import type { CommandContext } from './context';

function signalsOf(target: Target) {
  return createFraudSignals({
    dynamodb: target.dynamodb,
    settings: { tables: { stores: target.tables.stores, transmissions: target.tables.transmissions, access: target.tables.access }, thresholds: target.config.fraud },
    logger: new Logger({ serviceName: 'anshin-fraud', logLevel: 'SILENT' }),
  });
}

const percent = (rate: number): string => `${(rate * 100).toFixed(2)}%`;

/** The report as a person reads it: each flagged store, alias and IP with the figures that flagged it. */
function reportLines(report: SignalsReport | SignalsRun): string[] {
  const lines = [`abuse signals of ${report.day} (Japan time): ${report.storesSeen} store(s) seen, ${report.stores.length} flagged`];
  for (const store of report.stores) {
    lines.push(
      `store ${store.storeId}: ${store.flags.join(', ')}${store.pause ? ` (pauses it: ${store.pause})` : ''}`,
      `  ${store.volume} relayed to ${store.aliasesContacted} alias(es), 14-day median ${store.medianVolume}; spoofing attempts ${store.spoofingAttempts}; bounces ${store.bounces} (${percent(store.bounceRate)}), complaints ${store.complaints} (${percent(store.complaintRate)}); failed logins ${store.failedLogins}; senders added ${store.sendersAdded}; over its rate limit ${store.overLimit} time(s)`,
    );
  }
  for (const alias of report.aliases) lines.push(`alias ${alias.alias} (store ${alias.storeId}): ${alias.flags.join(', ')}; received ${alias.received}, spoofing attempts ${alias.spoofingAttempts}`);
  for (const ip of report.ips) lines.push(`ip ${ip.clientIp}: ${ip.flags.join(', ')}; ${ip.failedLogins} failed login(s) for ${ip.storesTried} store(s)`);
  if ('paused' in report) for (const paused of report.paused) lines.push(`paused store ${paused.storeId} (${paused.reason}); \`anshin store unpause --store-id ${paused.storeId}\` lifts it`);
  return lines;
}

/** `anshin fraud …`: the daily abuse signals, read now. */
export function fraudCommands(context: CommandContext): void {
  const fraud = context.program.command('fraud').description('abuse signals per store, alias and IP, from transmission, feedback and access records; never an address');
  const dayCommand = (name: string, description: string, read: (fraud: ReturnType<typeof signalsOf>, day: string) => Promise<SignalsReport | SignalsRun>): void => {
    fraud
      .command(name)
      .description(description)
      .option('--day <YYYY-MM-DD>', 'the day, in Japan time (default: yesterday)', japanDayOption)
      .action(async (opts: { day?: string }) => {
        const { target: t, options } = await context.target();
        const report = await read(signalsOf(t), opts.day ?? lastWholeDay(context.now()));
        context.print(options, report, reportLines(report).join('\n'));
      });
  };
  dayCommand('signals', "list the day's flagged stores, aliases and IPs with the figures that flagged them; changes nothing", (signals, chosen) => signals.signals(chosen));
  dayCommand('run', 'what the daily schedule does: the signals, and every store past a pausing threshold paused', (signals, chosen) => signals.run(chosen));
}
