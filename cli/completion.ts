import type { Command } from 'commander';

/** Every command path with what may follow it: its subcommands and its options. */
function completions(command: Command, path: string[] = []): [string, string[]][] {
  const words = [...command.commands.map((sub) => sub.name()), ...command.options.map((option) => option.long ?? option.short ?? '').filter((flag) => flag !== ''), '--help'];
  return [[path.join(' '), words], ...command.commands.flatMap((sub) => completions(sub, [...path, sub.name()]))];
}

/**
 * A bash completion script for the command tree (zsh loads it through bashcompinit). The words
 * typed so far that name commands make the path; anything else (options, their values) is skipped.
 */
export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const table = completions(program)
    .map(([path, words]) => `    "${path}") words="${words.join(' ')}" ;;`)
    .join('\n');
  const bash = `# anshin completion (${shell}): eval "$(npx anshin completion ${shell})"
_anshin() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" words="" candidate i
  for ((i = 1; i < COMP_CWORD; i++)); do
    candidate="\${path:+$path }\${COMP_WORDS[i]}"
    case "$candidate" in
${completions(program)
  .filter(([path]) => path !== '')
  .map(([path]) => `      "${path}") path="$candidate" ;;`)
  .join('\n')}
    esac
  done
  case "$path" in
${table}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _anshin anshin
`;
  return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${bash}` : bash;
}
