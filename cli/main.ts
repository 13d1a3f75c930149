import { createInterface } from 'node:readline/promises';
import { CommanderError } from 'commander';
import { buildProgram, describeFailure } from './program';

async function askOnTerminal(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(question)).trim());
  } finally {
    terminal.close();
  }
}

const program = buildProgram({
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
  ...(process.stderr.isTTY ? { progress: (s: string) => process.stderr.write(s) } : {}),
  ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm: askOnTerminal } : {}),
});
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    const failure = describeFailure(error, program.opts<{ debug?: boolean }>().debug === true || process.argv.includes('--debug'));
    process.stderr.write(`${failure.message}\n`);
    process.exitCode = failure.exitCode;
  }
}
