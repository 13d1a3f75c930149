import { Command, Option } from 'commander';
import { AliasConflictError } from '../lambdas/aliases/issuance';
import { AliasRetiredError } from '../lambdas/aliases/names';
import { InvalidRequestError, StoreNotFoundError, StoreTerminatedError } from '../lambdas/aliases/stores';
import { aliasCommands } from './commands/aliases';
import { analysisCommands } from './commands/analysis';
import { commandContext } from './commands/context';
import type { Output } from './commands/context';
import { deadLetterCommands } from './commands/dead-letters';
import { recordCommands } from './commands/records';
import { fraudCommands } from './commands/fraud';
import { incidentCommands } from './commands/incidents';
import { reportCommands } from './commands/reports';
import { storeCommands } from './commands/stores';
import { statusCommand, StatusUnhealthyError } from './commands/status';
import { transmissionCommands } from './commands/transmissions';
import { FunctionFailedError } from './data-lifecycle';
import { ReceiptChainBrokenError } from './receipt-verification';
import { ExportRequestError } from '../lambdas/analysis/export-run';
import { IncidentInputError } from '../lambdas/records/incidents';
import { TargetError } from './target';
import { ApiProblemError } from './api-client';

export type { Output } from './commands/context';

/**
 * Builds the `anshin` command tree: the global options here, each command group in its own module
 * under `commands/`. `now` is injectable so tests control time.
 */
export function buildProgram(output: Output, now: () => Date = () => new Date()): Command {
  const program = new Command('anshin')
    .description('Operate an anshin-relay deployment: stores, aliases, transmission records, retention and destruction.')
    .addOption(new Option('--target <target>', 'where to act').choices(['local', 'aws']).default(process.env.ANSHIN_TARGET ?? 'local'))
    .option('--local-dir <dir>', 'data directory of the local stack', '.local')
    .option('--stack-name <name>', 'CloudFormation stack of the deployed relay (with --target aws)', 'AnshinRelay')
    .option('--json', 'machine-readable output', false)
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .exitOverride();

  const context = commandContext(program, output, now);
  storeCommands(context);
  aliasCommands(context);
  transmissionCommands(context);
  recordCommands(context);
  fraudCommands(context);
  analysisCommands(context);
  deadLetterCommands(context);
  statusCommand(context);
  incidentCommands(context);
  reportCommands(context);
  return program;
}

/** Known, user-caused failures print one line; anything else is a bug and keeps its stack. */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof InvalidRequestError || error instanceof StoreNotFoundError || error instanceof StoreTerminatedError || error instanceof AliasConflictError || error instanceof AliasRetiredError || error instanceof TargetError || error instanceof FunctionFailedError || error instanceof ApiProblemError || error instanceof ReceiptChainBrokenError || error instanceof ExportRequestError || error instanceof StatusUnhealthyError || error instanceof IncidentInputError) {
    return { message: `anshin: ${error.message}`, exitCode: 2 };
  }
  return { message: `anshin: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, exitCode: 1 };
}
