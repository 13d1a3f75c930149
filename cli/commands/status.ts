import { stackStatus, statusLines } from '../status';
import type { CommandContext } from './context';

/** Some check of `anshin status` failed; the report above says which and how to fix it. */
export class StatusUnhealthyError extends Error {
  override readonly name = 'StatusUnhealthyError';
}

/** `anshin status`: exit code 0 only when every check passes. */
export function statusCommand(context: CommandContext): void {
  context.program
    .command('status')
    .description('whether the deployment is well: stack, receipt rule set, DKIM, MX, SES account, queues, retention, alarms, receipts; each failing line says how to fix it')
    .action(async () => {
      const { target, options } = await context.target();
      const report = await stackStatus(target, context.now());
      context.print(options, report, statusLines(report).join('\n'));
      if (!report.healthy) throw new StatusUnhealthyError(`${report.checks.filter((check) => check.status === 'fail').length} check(s) failed`);
    });
}
