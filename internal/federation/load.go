package federation

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
)

// Load reads every federation, federationset and federate section from
// git config at all scopes, with git's own precedence, by asking git.
// dir is where git runs (a repository, to include its config; "" for
// the current directory).
func Load(ctx context.Context, git, dir string) (*Config, error) {
	if git == "" {
		git = "git"
	}
	cmd := exec.CommandContext(ctx, git, "config", "-z", "--get-regexp", `^(federation|federationset|federate)\.`)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 && stderr.Len() == 0 {
		return Parse(nil) // no matching keys
	}
	if err != nil {
		return nil, &ConfigError{Stderr: strings.TrimSpace(stderr.String()), Err: err}
	}
	return Parse(ParseZ(out))
}

// ParseZ splits `git config -z` output into entries: each is
// "key\nvalue\x00", or "key\x00" for a key with no value.
func ParseZ(out []byte) []Entry {
	var entries []Entry
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		k, v, _ := strings.Cut(string(rec), "\n")
		entries = append(entries, Entry{Key: k, Value: v})
	}
	return entries
}

// ConfigError is a failure of git to read its config.
type ConfigError struct {
	Stderr string
	Err    error
}

func (e *ConfigError) Error() string {
	if e.Stderr != "" {
		return "reading git config: " + e.Stderr
	}
	return "reading git config: " + e.Err.Error()
}

func (e *ConfigError) Unwrap() error { return e.Err }
