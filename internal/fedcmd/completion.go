package fedcmd

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// completionCommand is `git federate completion bash|zsh`: it prints a
// script that completes commands and flags by asking the program itself
// (urfave's --generate-bash-completion).
func completionCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash or zsh)",
		ArgsUsage: "bash|zsh",
		Description: "Completes `git federate <TAB>` and `git-federate <TAB>`: commands, then flags.\n\n" +
			"   bash (after git's own completion is loaded):\n" +
			"     echo 'source <(git federate completion bash)' >> ~/.bashrc\n" +
			"   zsh:\n" +
			"     echo 'source <(git federate completion zsh)' >> ~/.zshrc",
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 1, 1, "bash|zsh"); err != nil {
				return err
			}
			return runCompletion(stdio, c.Args().First())
		},
	}
}

func runCompletion(stdio IO, shell string) error {
	switch shell {
	case "bash":
		_, err := fmt.Fprint(stdio.Out, bashCompletion)
		return err
	case "zsh":
		_, err := fmt.Fprint(stdio.Out, zshCompletion)
		return err
	}
	return UsageError("no completion for shell %q: use bash or zsh", shell)
}

// bashCompletion defines _git_federate, which git's bash completion calls
// for `git federate`, and completes the git-federate binary directly.
const bashCompletion = `# bash completion for git federate (git-remote-federate)
__git_federate_words() {
	# $1: index of the first word after "federate"; completes COMP_WORDS[COMP_CWORD].
	local cur="${COMP_WORDS[COMP_CWORD]}"
	local opts
	opts=$(git-federate "${COMP_WORDS[@]:$1:$((COMP_CWORD - $1))}" "$cur" --generate-bash-completion 2>/dev/null)
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
_git_federate() {
	local i start=2
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ "${COMP_WORDS[i]}" == federate ]]; then start=$((i + 1)); break; fi
	done
	__git_federate_words "$start"
}
_git_federate_bin() { __git_federate_words 1; }
complete -o default -F _git_federate_bin git-federate
`

// zshCompletion completes git-federate and, through zsh's git completion
// (which calls _git-<command> for user commands), git federate.
const zshCompletion = `#compdef git-federate
# zsh completion for git federate (git-remote-federate)
_git-federate() {
	local -a opts
	local cur=${words[CURRENT]}
	local first=2
	(( ${words[(I)federate]} )) && first=$(( ${words[(I)federate]} + 1 ))
	opts=("${(@f)$(git-federate ${words[first,CURRENT-1]} "$cur" --generate-bash-completion 2>/dev/null)}")
	_describe 'git federate' opts
}
zstyle ':completion:*:*:git:*' user-commands federate:'one git remote for a whole federation of servers'
compdef _git-federate git-federate
`
