import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { completionScript } from '../../../cli/completion';
import { buildProgram } from '../../../cli/program';

/** What bash offers after the words typed so far, with the generated script loaded. */
function complete(words: readonly string[]): string[] {
  const script = completionScript(buildProgram({ out: () => undefined, err: () => undefined }), 'bash');
  const quoted = words.map((word) => `'${word}'`).join(' ');
  const run = `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _anshin; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', run], { encoding: 'utf8' }).split('\n').filter((line) => line !== '');
}

describe('shell completion', () => {
  it('offers the command groups, then their commands, then their options, skipping option values', () => {
    expect(complete(['anshin', ''])).toEqual(expect.arrayContaining(['store', 'alias', 'status', 'analysis', 'incident', 'completion']));
    expect(complete(['anshin', 'st'])).toEqual(['store', 'status']);
    expect(complete(['anshin', 'store', ''])).toEqual(expect.arrayContaining(['create', 'limits', 'pause', 'unpause']));
    expect(complete(['anshin', '--json', 'transmissions', 'list', '--'])).toEqual(expect.arrayContaining(['--store-id', '--alias', '--since', '--limit']));
    expect(complete(['anshin', 'store', 'limits', '--store-id', 'demo-shop', '--per'])).toEqual(['--per-minute', '--per-day']);
  });

  it('loads in zsh through bashcompinit', () => {
    expect(completionScript(buildProgram({ out: () => undefined, err: () => undefined }), 'zsh')).toMatch(/^autoload -U \+X bashcompinit && bashcompinit\n/);
  });
});
