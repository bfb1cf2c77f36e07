// Package gitexec runs the git binary: argument lists, never a shell
// string; a context and a time limit on every child; stdout never
// inherited, because a remote helper's stdout is git's protocol channel.
package gitexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
)

// Runner runs git commands in one directory with one environment.
type Runner struct {
	// Git is the git binary; "" means "git" from PATH.
	Git string
	// Dir is the working directory; "" means the current one.
	Dir string
	// Env is the complete environment; nil means os.Environ().
	Env []string
	// Stderr receives the child's stderr as it runs (progress, server
	// messages). When nil, stderr is only captured for errors.
	Stderr io.Writer
	// Timeout bounds each command; 0 means no limit beyond ctx.
	Timeout time.Duration
	// BusyRetry, when set, reruns a command whose server answered "busy"
	// (503, "repository is being read or written") after each of these
	// delays before the failure is reported. Commands given a stdin are
	// run once, since their input cannot be replayed.
	BusyRetry []time.Duration
	// Redact cleans the stderr kept in an Error: a server may echo the
	// credentials it was sent, or send terminal escapes. nil still masks
	// credential-shaped text and strips control characters.
	Redact *redact.Redactor
	// Slots gives the credential slot of the server at a URL (nil: none);
	// Plain and ForServer pick the one a child gets.
	Slots func(url string) *Slot

	slot   *Slot
	server bool // children reach a server (ForServer)
}

// ForServer is r for children that reach the server at url: they get its
// credential slot, if it has one, and tell it the user's language as
// plain git would (Accept-Language), although they speak English.
func (r Runner) ForServer(url string) Runner {
	r.server = true
	if r.Slots != nil {
		r.slot = r.Slots(url)
	}
	return r
}

// Error is a git command that failed. Its text names the subcommand only:
// arguments may hold URLs, and stderr is kept to its last lines.
type Error struct {
	Subcommand string
	ExitCode   int
	Stderr     string
	Err        error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("git %s failed", e.Subcommand)
	if errors.Is(e.Err, context.DeadlineExceeded) {
		msg = fmt.Sprintf("git %s timed out", e.Subcommand)
	} else if e.ExitCode > 0 {
		msg += fmt.Sprintf(" (exit %d)", e.ExitCode)
	}
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Command returns the command for git args. Its stdout is discarded unless
// the caller sets it; stderr goes to r.Stderr (or nowhere).
func (r Runner) Command(ctx context.Context, args ...string) *exec.Cmd {
	git := r.Git
	if git == "" {
		git = "git"
	}
	cmd := exec.CommandContext(ctx, git, args...)
	cmd.Dir = r.Dir
	env := r.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append([]string(nil), env...) // a copy: setEnv reuses its argument
	// GIT_TRACE_CURL and GIT_TRACE_PACKET must never print a token of
	// ours, even if the user's environment turned redaction off. A child
	// for a server whose slot holds none keeps the user's choice, to show
	// the user's own credentials as plain git would; its credential
	// callback then hands out none of ours (keystore.Helper.TracesShown).
	if r.slot == nil || r.slot.token || !TracesShowCredentials(cmd.Env) {
		cmd.Env = setEnv(cmd.Env, "GIT_TRACE_REDACT", "1")
	}
	if lang := acceptLanguage(cmd.Env); lang != "" && r.server {
		cmd.Env = WithConfig(cmd.Env, "http.extraHeader", "Accept-Language: "+lang)
	}
	cmd.Env = EnglishMessages(cmd.Env)
	if r.slot != nil {
		cmd.ExtraFiles, cmd.Env = r.slot.attach(cmd.ExtraFiles, cmd.Env)
	}
	cmd.Stderr = r.Stderr
	// A credential-cache daemon started by a child can keep our pipes
	// open; do not wait on it forever once the child has exited.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// TracesShowCredentials reports whether env turns off the redaction of
// credentials in git's traces: GIT_TRACE_REDACT set to a false value (an
// empty one is false to git's git_env_bool).
func TracesShowCredentials(env []string) bool {
	v, ok := lookup(env, "GIT_TRACE_REDACT")
	if !ok {
		return false
	}
	b, err := ParseBool(v)
	return strings.TrimSpace(v) == "" || (err == nil && !b)
}

// ProgramCommand is Command for git's own program git-<name> (a remote
// helper such as remote-https), run straight from git's exec path when
// the environment names it, as git does for the helpers it runs (it sets
// GIT_EXEC_PATH for them): that spares the `git` wrapper process, and
// its start, that `git <name>` costs. Else, or with r.Git set, it is
// `git <name>`.
func (r Runner) ProgramCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := r.Command(ctx, append([]string{name}, args...)...)
	dir, ok := lookup(cmd.Env, "GIT_EXEC_PATH")
	if r.Git != "" || !ok || !filepath.IsAbs(dir) {
		return cmd
	}
	file := "git-" + name
	if runtime.GOOS == "windows" {
		file += ".exe"
	}
	path := filepath.Join(dir, file)
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 && runtime.GOOS != "windows" {
		return cmd
	}
	cmd.Path, cmd.Args, cmd.Err = path, append([]string{"git-" + name}, args...), nil
	return cmd
}

// Output runs git args and returns its stdout.
func (r Runner) Output(ctx context.Context, args ...string) ([]byte, error) {
	return r.OutputStdin(ctx, nil, args...)
}

// OutputStdin runs git args with stdin and returns its stdout.
func (r Runner) OutputStdin(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	if stdin != nil || len(r.BusyRetry) == 0 {
		return r.once(ctx, stdin, args)
	}
	var out []byte
	err := Retry(ctx, r.BusyRetry, func(ctx context.Context) error {
		var err error
		out, err = r.once(ctx, nil, args)
		return err
	})
	return out, err
}

func (r Runner) once(ctx context.Context, stdin io.Reader, args []string) ([]byte, error) {
	var stdout bytes.Buffer
	return r.onceTo(ctx, stdin, &stdout, args)
}

// onceTo runs git args once, its stdout written to stdout, and returns
// what stdout holds when it is a *bytes.Buffer.
func (r Runner) onceTo(ctx context.Context, stdin io.Reader, stdout io.Writer, args []string) ([]byte, error) {
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	cmd := r.Command(ctx, args...)
	cmd.Stdin = stdin
	tail := &tailBuffer{max: 4096}
	cmd.Stdout = stdout
	if cmd.Stderr != nil {
		live := redact.NewWriter(r.Redact, cmd.Stderr)
		defer live.Flush()
		cmd.Stderr = io.MultiWriter(live, tail)
	} else {
		cmd.Stderr = tail
	}
	err := cmd.Run()
	var out []byte
	if b, ok := stdout.(*bytes.Buffer); ok {
		out = b.Bytes()
	}
	if err != nil {
		return out, r.wrap(ctx, args, tail.String(), err)
	}
	return out, nil
}

// Run runs git args, discarding stdout.
func (r Runner) Run(ctx context.Context, args ...string) error {
	_, err := r.Output(ctx, args...)
	return err
}

func (r Runner) wrap(ctx context.Context, args []string, stderr string, err error) error {
	e := &Error{Stderr: r.Redact.Clean(withoutBoilerplate(strings.TrimSpace(stderr))), Err: err}
	for _, a := range args {
		if a != "--no-pager" { // the one option given before a subcommand
			e.Subcommand = a
			break
		}
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		e.ExitCode = exit.ExitCode()
	}
	if ctx.Err() != nil {
		e.Err = ctx.Err()
	}
	return e
}

// boilerplate are the lines git adds whenever the program behind a
// transport fails (ssh, or the server's shell): the line before them says
// what happened ("ssh: connect to host … Connection refused", "'/x.git'
// does not appear to be a git repository").
var boilerplate = map[string]bool{
	"fatal: Could not read from remote repository.":       true,
	"Please make sure you have the correct access rights": true,
	"and the repository exists.":                          true,
}

// withoutBoilerplate drops git's boilerplate and blank lines from a
// child's stderr, so that a failure over ssh reads as one line, as one
// over https does. Nothing is dropped when nothing else would remain.
func withoutBoilerplate(stderr string) string {
	var kept []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) != "" && !boilerplate[l] {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		return stderr
	}
	return strings.Join(kept, "\n")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = t.b[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }

// CallbackArg is the first argument with which git runs this program as
// its credential helper (see WithCredentialCallback).
const CallbackArg = "__federate_credential"

// BaseConfigParametersEnv carries the GIT_CONFIG_PARAMETERS that was in
// force before WithCredentialCallback appended its entries ("" when there
// was none), so the callback can consult the user's own credential
// helpers without calling itself again.
const BaseConfigParametersEnv = "FEDERATE_BASE_CONFIG_PARAMETERS"

// WithCredentialCallback returns env extended so that a git child uses
// exe (this program) as its only credential helper: the token never
// appears in argv, a URL or a config file, and `credential.helper=`
// first resets the list so a "store" helper never writes it to disk.
// The entries go last in GIT_CONFIG_PARAMETERS, which git reads after
// every config file and after GIT_CONFIG_COUNT: a `git -c
// credential.helper=store` the user ran is reset too (it would get the
// token on success). What the callback does not hand out (a password
// typed at a prompt, one from the user's helpers) it passes on to the
// user's helpers itself, as git would.
// Terminal prompts are turned off: a child must fail, not wait on a
// terminal.
func WithCredentialCallback(env []string, exe string) []string {
	base, ok := lookup(env, BaseConfigParametersEnv)
	if !ok {
		base, _ = lookup(env, "GIT_CONFIG_PARAMETERS")
	}
	out := setEnv(append([]string(nil), env...), BaseConfigParametersEnv, base)
	params := strings.TrimSpace(base + " " + ShellQuote("credential.helper=") + " " +
		ShellQuote("credential.helper=!"+ShellQuote(exe)+" "+CallbackArg))
	out = setEnv(out, "GIT_CONFIG_PARAMETERS", params)
	return setEnv(out, "GIT_TERMINAL_PROMPT", "0")
}

// WithoutCredentialCallback undoes WithCredentialCallback in env: the
// callback uses it to run `git credential` against the user's own helpers.
func WithoutCredentialCallback(env []string) []string {
	base, ok := lookup(env, BaseConfigParametersEnv)
	if !ok {
		return env
	}
	out := setEnv(append([]string(nil), env...), "GIT_CONFIG_PARAMETERS", base)
	if base == "" {
		out = unsetEnv(out, "GIT_CONFIG_PARAMETERS")
	}
	return unsetEnv(out, BaseConfigParametersEnv)
}

// ShellQuote quotes s for a POSIX shell, which is how git runs a
// credential helper that begins with "!".
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Getenv looks variables up in env, a Runner's Env, as a child sees
// them (the last of a name wins); nil env is this process's environment.
// env is read into a map once: a sync asks a dozen variables per server
// it lists. A func(string) string cannot say "set but empty", which git
// reads otherwise than unset for two variables: those come back, set but
// empty, as a value git reads as it reads the empty one (gitEmpty).
func Getenv(env []string) func(string) string {
	look := os.LookupEnv
	if env != nil {
		vars := make(map[string]string, len(env))
		for _, kv := range env {
			if k, v, ok := strings.Cut(kv, "="); ok {
				vars[k] = v
			}
		}
		look = func(name string) (string, bool) {
			v, ok := vars[name]
			return v, ok
		}
	}
	return func(name string) string {
		v, ok := look(name)
		if ok && v == "" {
			return gitEmpty(name)
		}
		return v
	}
}

// gitEmpty is what git makes of variable name set but empty, said so that
// it is not empty: GIT_ALLOW_PROTOCOL allows no protocol (transport.c
// splits it into one empty name), GIT_PROTOCOL_FROM_USER is false
// (git_env_bool). For any other variable, "".
func gitEmpty(name string) string {
	switch name {
	case "GIT_ALLOW_PROTOCOL":
		return ":"
	case "GIT_PROTOCOL_FROM_USER":
		return "false"
	}
	return ""
}

func lookup(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

func setEnv(env []string, key, value string) []string {
	return append(unsetEnv(env, key), key+"="+value)
}

func unsetEnv(env []string, key string) []string {
	out := env[:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return out
}

// EnglishMessages returns env with git's messages in English, whatever
// the user's language: Classify and the push parsers read git's stderr,
// and a translated "returned error: 403" would go unrecognised. The
// other locale categories (character set, dates) stay the user's.
func EnglishMessages(env []string) []string {
	lang := i18n.Detect(func(k string) string { v, _ := lookup(env, k); return v })
	out := setEnv(unsetEnv(append([]string(nil), env...), "LANGUAGE"), i18n.LanguageEnv, lang.String())
	if all, ok := lookup(out, "LC_ALL"); ok && all != "" {
		out = setEnv(unsetEnv(out, "LC_ALL"), "LANG", all)
	}
	return setEnv(out, "LC_MESSAGES", "C")
}

// repoEnv are the variables that tell git which repository it is in (as
// `git rev-parse --local-env-vars` lists them).
var repoEnv = []string{
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
	"GIT_PREFIX", "GIT_SHALLOW_FILE", "GIT_GRAFT_FILE", "GIT_REPLACE_REF_BASE",
	"GIT_NO_REPLACE_OBJECTS", "GIT_QUARANTINE_PATH", "GIT_IMPLICIT_WORK_TREE",
	"GIT_INTERNAL_SUPER_PREFIX",
}

// HasRepoEnv reports whether env has one of the variables that point
// git at a repository (those WithoutRepoEnv removes).
func HasRepoEnv(env []string) bool {
	for _, k := range repoEnv {
		if _, ok := lookup(env, k); ok {
			return true
		}
	}
	return false
}

// WithoutRepoEnv returns env without the variables that point git at a
// repository, for a child that must work in another one: a remote helper
// or a hook inherits GIT_DIR, and a child keeping it would act on the
// user's repository instead of its own directory.
func WithoutRepoEnv(env []string) []string {
	out := append([]string(nil), env...)
	for _, k := range repoEnv {
		out = unsetEnv(out, k)
	}
	return out
}
