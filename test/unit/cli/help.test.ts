import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../cli/program';

function commands(command: Command, path: string[] = []): [string, Command][] {
  return command.commands.flatMap((sub) => [[[...path, sub.name()].join(' '), sub] as [string, Command], ...commands(sub, [...path, sub.name()])]);
}

const program = buildProgram({ out: () => undefined, err: () => undefined });

describe('the CLI help', () => {
  it.each(commands(program))('describes `anshin %s` and every option of it', (_name, command) => {
    expect(command.description().length).toBeGreaterThan(10);
    for (const option of command.options) expect(option.description.length, option.flags).toBeGreaterThan(3);
  });

  it('marks required options as such in the help', () => {
    const record = commands(program).find(([name]) => name === 'incident record')?.[1];
    expect(record?.helpInformation().replace(/\s+/g, " ")).toMatch(/--occurred <ISO> when it happened, e.g. \S+ \(required\)/);
  });
});
