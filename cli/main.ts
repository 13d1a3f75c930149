import { CommanderError } from 'commander';
import { buildProgram, describeFailure } from './program';

const program = buildProgram({
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
  ...(process.stderr.isTTY ? { progress: (s: string) => process.stderr.write(s) } : {}),
});
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    const failure = describeFailure(error);
    process.stderr.write(`${failure.message}\n`);
    process.exitCode = failure.exitCode;
  }
}
