package fedcmd

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/urfave/cli/v2"
)

// completeArg is the first argument with which the shell scripts ask the
// program for the candidates of the word being completed. Main answers it
// before urfave parses anything, so "--" or a half-typed flag is just
// the word to complete.
const completeArg = "__complete"

// completionCommand is `git federate completion bash|zsh`: it prints a
// script that completes commands, flags, federation names and URLs by
// asking the program itself.
func completionCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash or zsh)",
		ArgsUsage: "bash|zsh",
		Description: "Completes `git federate <TAB>` and `git-federate <TAB>`: commands, flags,\n" +
			"federation names and, where a URL is expected, the configured URLs.\n" +
			"install.sh installs both scripts; by hand:\n\n" +
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

// runComplete prints, one a line, the candidates for the last of words
// (the words after "federate", the last one being completed).
func runComplete(ctx context.Context, stdio IO, app *cli.App, words []string) {
	if len(words) == 0 {
		words = []string{""}
	}
	cur := words[len(words)-1]
	for _, c := range candidates(ctx, app, words) {
		if strings.HasPrefix(c, cur) {
			fmt.Fprintln(stdio.Out, c)
		}
	}
}

// candidates lists what may stand at the last position of words.
func candidates(ctx context.Context, app *cli.App, words []string) []string {
	cur := words[len(words)-1]
	if len(words) == 1 {
		if strings.HasPrefix(cur, "-") {
			return flagNames(app.Flags)
		}
		return commandNames(app)
	}
	cmd := app.Command(words[0])
	if cmd == nil {
		return nil
	}
	if prev := words[len(words)-2]; strings.HasPrefix(prev, "--") && !strings.Contains(prev, "=") {
		if f := findFlag(cmd, strings.TrimPrefix(prev, "--")); f != nil && takesValue(f) {
			if prev == "--origin" || prev == "--mirror" {
				return configuredURLs(ctx)
			}
			return nil // a value we cannot guess: the shell offers files
		}
	}
	if strings.HasPrefix(cur, "-") {
		return append(flagNames(cmd.Flags), "--help")
	}
	switch cmd.Name {
	case "status", "sync", "remove":
		return federationNames(ctx)
	case "login", "logout":
		return configuredURLs(ctx)
	case "hook":
		if len(words) == 2 {
			return []string{hookAdd, hookList, hookRemove}
		}
		return federationNames(ctx)
	case "completion":
		return []string{"bash", "zsh"}
	case "man":
		return []string{"git-federate", "git-remote-federate"}
	case "help":
		return commandNames(app)
	}
	return nil
}

func commandNames(app *cli.App) []string {
	var names []string
	for _, c := range app.VisibleCommands() {
		names = append(names, c.Name)
	}
	return names
}

func flagNames(flags []cli.Flag) []string {
	var names []string
	for _, f := range flags {
		for _, n := range f.Names() {
			if len(n) > 1 {
				names = append(names, "--"+n)
			}
		}
	}
	sort.Strings(names)
	return names
}

func findFlag(cmd *cli.Command, name string) cli.Flag {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	d, ok := f.(cli.DocGenerationFlag)
	return ok && d.TakesValue()
}

// federationNames are the federations and federationsets git config
// defines; a broken config completes nothing rather than failing.
func federationNames(ctx context.Context) []string {
	cfg, _ := federation.Load(ctx, "", "")
	if cfg == nil {
		return nil
	}
	return cfg.DefinedNames()
}

// configuredURLs are the origin and mirror URLs of every federation.
func configuredURLs(ctx context.Context) []string {
	cfg, _ := federation.Load(ctx, "", "")
	if cfg == nil {
		return nil
	}
	seen := map[string]bool{}
	var urls []string
	for _, f := range cfg.Federations {
		for _, e := range f.Servers() {
			if e.Raw != "" && !seen[e.Raw] {
				seen[e.Raw] = true
				urls = append(urls, e.Raw)
			}
		}
	}
	sort.Strings(urls)
	return urls
}

// bashCompletion defines _git_federate, which git's bash completion calls
// for `git federate`, and completes the git-federate binary directly.
// The word being completed is read from COMP_LINE when bash gives it,
// since COMP_WORDS splits a URL at its colons.
const bashCompletion = `# bash completion for git federate (git-remote-federate)
__git_federate_complete() {
	# $1: the name of the word the command's words follow (federate or git-federate)
	local words=() cur i start=-1
	if [[ -n "${COMP_LINE-}" ]]; then
		local line="${COMP_LINE:0:${COMP_POINT:-${#COMP_LINE}}}"
		read -r -a words <<<"$line"
		[[ "$line" == *[[:space:]] ]] && words+=("")
	else
		words=("${COMP_WORDS[@]:0:$((COMP_CWORD + 1))}")
	fi
	cur="${words[${#words[@]} - 1]}"
	for ((i = 0; i < ${#words[@]} - 1; i++)); do
		if [[ "${words[i]}" == "$1" ]]; then start=$((i + 1)); break; fi
	done
	((start >= 0)) || return 0
	local IFS=$'\n'
	COMPREPLY=($(git-federate __complete "${words[@]:start}" 2>/dev/null))
	# bash replaces only the part of the word after its last colon.
	if [[ "$cur" == *:* && "${COMP_WORDBREAKS-:}" == *:* ]]; then
		local colon="${cur%"${cur##*:}"}"
		for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]="${COMPREPLY[i]#"$colon"}"; done
	fi
}
_git_federate() { __git_federate_complete federate; }
_git_federate_bin() { __git_federate_complete git-federate; }
complete -o default -F _git_federate_bin git-federate
`

// zshCompletion completes git-federate and, through zsh's git completion
// (which calls _git-<command> for user commands), git federate.
const zshCompletion = `#compdef git-federate
# zsh completion for git federate (git-remote-federate)
_git-federate() {
	local -a replies
	local first=2
	(( ${words[(I)federate]} )) && first=$(( ${words[(I)federate]} + 1 ))
	replies=("${(@f)$(git-federate __complete "${(@)words[first,CURRENT]}" 2>/dev/null)}")
	replies=(${replies:#})
	if (( ${#replies} )); then
		compadd -Q -- "${replies[@]}"
	else
		_files
	fi
}
zstyle ':completion:*:*:git:*' user-commands federate:'one git remote for a whole federation of servers'
compdef _git-federate git-federate
`
