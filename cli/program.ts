import { Argument, Command, Help, Option } from 'commander';
import { AliasConflictError } from '../lambdas/aliases/issuance';
import { AliasRetiredError } from '../lambdas/aliases/names';
import { InvalidRequestError, StoreNotFoundError, StoreTerminatedError } from '../lambdas/aliases/stores';
import { aliasCommands } from './commands/aliases';
import { analysisCommands } from './commands/analysis';
import { commandContext } from './commands/context';
import type { Output } from './commands/context';
import { deadLetterCommands, ReplayFailedError } from './commands/dead-letters';
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
import { completionScript } from './completion';
import { ANSHIN_VERSION } from '../lib/version';
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
    .option('--local-dir <dir>', "data directory of the local stack (default: ANSHIN_LOCAL_DIR, else the checkout's .local)")
    .option('--data-dir <dir>', 'the same as --local-dir')
    .option('--stack-name <name>', 'CloudFormation stack of the deployed relay (with --target aws)', 'AnshinRelay')
    .option('--json', 'machine-readable output', false)
    .option('--debug', 'show the stack trace of a failure', false)
    .version(ANSHIN_VERSION, '--version', 'the anshin-relay version of this checkout')
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    // Commander lists required options like any other; a person should see which they must give.
    .configureHelp({ optionDescription: (option) => `${new Help().optionDescription(option)}${option.mandatory ? ' (required)' : ''}` })
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
  program
    .command('completion')
    .description('print a shell completion script: eval "$(npx anshin completion bash)" in ~/.bashrc, or zsh in ~/.zshrc')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .action((shell: 'bash' | 'zsh') => output.out(completionScript(program, shell).trimEnd()));
  return program;
}

/** Known, user-caused failures print one line; anything else prints one line too, and its stack with `--debug`. */
export function describeFailure(error: unknown, debug = false): { message: string; exitCode: number } {
  if (error instanceof InvalidRequestError || error instanceof StoreNotFoundError || error instanceof StoreTerminatedError || error instanceof AliasConflictError || error instanceof AliasRetiredError || error instanceof TargetError || error instanceof FunctionFailedError || error instanceof ApiProblemError || error instanceof ReceiptChainBrokenError || error instanceof ExportRequestError || error instanceof StatusUnhealthyError || error instanceof IncidentInputError || error instanceof ReplayFailedError) {
    return { message: `anshin: ${error.message}`, exitCode: 2 };
  }
  const known = environmentFailure(error);
  if (known) return { message: `anshin: ${known}${debug && error instanceof Error ? `\n${error.stack ?? ''}` : ''}`, exitCode: 2 };
  if (debug) return { message: `anshin: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, exitCode: 1 };
  const line = error instanceof Error ? `${error.name}: ${error.message.split('\n', 1)[0] ?? ''}` : String(error);
  return { message: `anshin: ${line} (run again with --debug for the stack trace)`, exitCode: 1 };
}

/** A connection refused anywhere in the error's causes (fetch wraps it, sometimes in an AggregateError). */
function refusedConnection(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  if (/ECONNREFUSED/.test(`${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}`)) return true;
  const nested = [error.cause, ...(error instanceof AggregateError ? error.errors : [])];
  return nested.some((inner) => refusedConnection(inner, depth + 1));
}

/** Failures of the surroundings a person can fix: no credentials, a local stack that is gone. */
function environmentFailure(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'CredentialsProviderError') return 'no AWS credentials were found: sign in (`aws sso login`), or set AWS_PROFILE, before using --target aws';
  if (error.name === 'ExpiredTokenException' || error.name === 'ExpiredToken') return 'the AWS credentials have expired: sign in again (`aws sso login`)';
  if (refusedConnection(error)) return 'the local stack does not answer (its endpoints.json is left from a stack that stopped): start it with `npm start`';
  if (error.name === 'TypeError' && error.message === 'fetch failed') {
    const cause = error.cause instanceof Error ? error.cause.message : 'no answer';
    return `an endpoint could not be reached (${cause}): for the local stack, start it with \`npm start\`; for AWS, check the network`;
  }
  return undefined;
}
