package gitexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// SSHCallbackArg is the first argument with which git runs this program
// as its ssh command (see WithStallLimit): it runs the user's own ssh
// command and gives up a server that moves no byte for the stall limit.
const SSHCallbackArg = "__federate_ssh"

// The variables WithStallLimit passes to the ssh callback.
const (
	sshRunEnv      = "FEDERATE_SSH_RUN"      // the user's ssh command
	sshShellEnv    = "FEDERATE_SSH_SHELL"    // "1": a command line, run by sh; else a program
	sshStallEnv    = "FEDERATE_SSH_STALL"    // the limit, a Go duration
	sshKeyEnv      = "FEDERATE_SSH_KEY"      // the config key of the limit, for the message
	sshOwnCmdEnv   = "FEDERATE_SSH_OWN_CMD"  // "1": the user had no GIT_SSH_COMMAND
	sshOwnVarEnv   = "FEDERATE_SSH_OWN_VAR"  // "1": GIT_SSH_VARIANT is ours, not the user's
	sshStallPrefix = "error: federate: ssh " // starts the line the callback prints when it gives up
)

// SSHCommand is the ssh command git would run for a child, found in
// git's order: GIT_SSH_COMMAND, core.sshCommand, GIT_SSH, else "ssh".
type SSHCommand struct {
	// Run is the command: a command line (Shell) or a program.
	Run   string
	Shell bool
	// Variant is the GIT_SSH_VARIANT git would have picked from Run's
	// name ("ssh", "putty", "tortoiseplink"), when neither
	// GIT_SSH_VARIANT nor ssh.variant says it: git would see the
	// callback's name instead. "" leaves git to ask the command itself
	// (`-G`), which the callback passes through to Run.
	Variant string
}

// SSH finds the ssh command a git child of r would run, reading
// core.sshCommand and ssh.variant as that child would (r.Dir, r.Env).
func (r Runner) SSH(ctx context.Context) (SSHCommand, error) {
	env := r.Env
	if env == nil {
		env = os.Environ()
	}
	var c SSHCommand
	cfg := map[string]string{}
	_, envCommand := lookup(env, "GIT_SSH_COMMAND")
	_, envVariant := lookup(env, "GIT_SSH_VARIANT")
	if !envCommand || !envVariant {
		entries, err := r.ConfigRegexp(ctx, `^(core\.sshcommand|ssh\.variant)$`, false)
		if err != nil {
			return c, err
		}
		for _, e := range entries {
			cfg[strings.ToLower(e.Key)] = e.Value // the last one wins, as in git
		}
	}
	if envCommand {
		c.Run, _ = lookup(env, "GIT_SSH_COMMAND")
		c.Shell = true
	} else if v, ok := cfg["core.sshcommand"]; ok {
		c.Run, c.Shell = v, true
	} else if v, ok := lookup(env, "GIT_SSH"); ok && v != "" {
		c.Run = v
	} else {
		c.Run = "ssh"
	}
	_, cfgVariant := cfg["ssh.variant"]
	if !envVariant && !cfgVariant {
		c.Variant = variantOf(c.Run, c.Shell)
	}
	return c, nil
}

// variantOf is the variant git tells from the name of an ssh command
// (connect.c, determine_ssh_variant): "" when the name says nothing.
func variantOf(run string, shell bool) string {
	name := run
	if shell {
		// The first word of the command line, quotes and all.
		name = strings.TrimLeft(run, " \t")
		if q := name[:min(1, len(name))]; q == `"` || q == "'" {
			name, _, _ = strings.Cut(name[1:], q)
		} else if f := strings.Fields(name); len(f) > 0 {
			name = f[0]
		}
	}
	switch strings.ToLower(filepath.Base(name)) {
	case "ssh", "ssh.exe":
		return "ssh"
	case "plink", "plink.exe":
		return "putty"
	case "tortoiseplink", "tortoiseplink.exe":
		return "tortoiseplink"
	}
	return ""
}

// WithStallLimit returns r whose children give up a server that sends
// nothing for d (at least a second), at any step: a server that accepts
// the connection and then hangs. A total time limit would not do: a
// large pack may take hours while always making progress. Over http(s),
// git's own low-speed limit does it. Over ssh, git runs exe (this
// program) with SSHCallbackArg as its ssh command, which runs the user's
// ssh command as git would have and kills it when no byte moves either
// way for d; its message names the host, the step and key (the config
// key of d). With exe "", ssh is left alone. Only ssh needs ctx: it
// reads core.sshCommand and ssh.variant as r's children would.
func (r Runner) WithStallLimit(ctx context.Context, d time.Duration, key, exe string) (Runner, error) {
	env := r.Env
	if env == nil {
		env = os.Environ()
	}
	env = append([]string(nil), env...)
	secs := max(1, int((d+time.Second-1)/time.Second))
	env = setEnv(env, "GIT_HTTP_LOW_SPEED_LIMIT", "1")
	env = setEnv(env, "GIT_HTTP_LOW_SPEED_TIME", fmt.Sprint(secs))
	if exe != "" {
		if _, wrapped := lookup(env, sshRunEnv); !wrapped {
			ssh, err := r.SSH(ctx)
			if err != nil {
				return r, err
			}
			env = withSSHCallback(env, exe, ssh)
		}
		env = setEnv(env, sshStallEnv, time.Duration(secs*int(time.Second)).String())
		env = setEnv(env, sshKeyEnv, key)
	}
	r.Env = env
	return r, nil
}

// withSSHCallback points GIT_SSH_COMMAND at exe's ssh callback, with
// what the callback needs to run ssh as git would have.
func withSSHCallback(env []string, exe string, ssh SSHCommand) []string {
	if _, ok := lookup(env, "GIT_SSH_COMMAND"); !ok {
		env = setEnv(env, sshOwnCmdEnv, "1")
	}
	env = setEnv(env, sshRunEnv, ssh.Run)
	shell := "0"
	if ssh.Shell {
		shell = "1"
	}
	env = setEnv(env, sshShellEnv, shell)
	if ssh.Variant != "" {
		env = setEnv(env, "GIT_SSH_VARIANT", ssh.Variant)
		env = setEnv(env, sshOwnVarEnv, "1")
	}
	return setEnv(env, "GIT_SSH_COMMAND", ShellQuote(exe)+" "+SSHCallbackArg)
}

// SSHMain is the ssh callback: git runs it with the arguments it gives
// ssh. It runs the user's ssh command with them, relays its stdin and
// stdout, and when no byte moves either way for the stall limit, kills
// it and says so on stderr, naming the host, the step and the config
// key of the limit. Its exit status is ssh's (255 when it gave up).
func SSHMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	p := i18n.From(ctx)
	getenv := os.Getenv
	run, shell := getenv(sshRunEnv), getenv(sshShellEnv) == "1"
	if run == "" {
		p.Fprintf(stderr, "fatal: federate: the ssh callback runs only under git, as set by this program\n")
		return 255
	}
	var cmd *exec.Cmd
	if shell {
		// As git runs a command line: sh -c '<cmd> "$@"' <cmd> <args>.
		cmd = exec.Command("sh", append([]string{"-c", run + ` "$@"`, run}, args...)...)
	} else {
		cmd = exec.Command(run, args...)
	}
	cmd.Env = sshEnv(os.Environ())
	cmd.Stderr = stderr
	limit, err := time.ParseDuration(getenv(sshStallEnv))
	key := getenv(sshKeyEnv)
	if d, k, ok := serverLimit(getenv, args); ok {
		limit, key, err = d, k, nil
	}
	if err != nil || limit <= 0 || (len(args) > 0 && args[0] == "-G") {
		// No limit, or git asking what kind of ssh this is.
		cmd.Stdin, cmd.Stdout = stdin, stdout
		return exitStatus(cmd.Run())
	}
	w := &stallWatch{}
	w.last.Store(time.Now().UnixNano())
	in, err := cmd.StdinPipe()
	if err != nil {
		return exitStatus(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return exitStatus(err)
	}
	if err := cmd.Start(); err != nil {
		p.Fprintf(stderr, "fatal: federate: cannot run ssh: %v\n", err)
		return 255
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // git → server
		io.Copy(&activity{Writer: in, w: w}, stdin)
		in.Close()
	}()
	go func() { // server → git
		defer wg.Done()
		io.Copy(&activity{Writer: stdout, w: w, fromServer: true}, out)
	}()
	done := make(chan error, 1)
	go func() { wg.Wait(); done <- cmd.Wait() }()
	// end kills ssh, and all it started, and waits a little for it: a
	// grandchild may hold the pipe.
	end := func() {
		killTree(cmd.Process.Pid)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	}
	tick := time.NewTicker(min(max(limit/10, 50*time.Millisecond), time.Second))
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return exitStatus(err)
		case <-ctx.Done(): // SIGINT or SIGTERM: ssh goes with us
			end()
			return 255
		case <-tick.C:
			if !w.idleFor(limit) {
				continue
			}
			step := i18n.M("while listing its refs")
			if w.heard.Load() {
				step = stepOf(args)
			}
			end() // ssh's own last words come first
			fmt.Fprint(stderr, sshStallPrefix+sshHost(args)+": "+i18n.M("no data moved for %s %s; gave up (the limit is %s)",
				limit.String(), step, key).Localize(p)+"\n")
			return 255
		}
	}
}

// stallWatch is when a byte last moved, whether the server has said
// anything yet, and whether git is being slow to take what it said
// (then the server is not the one stalling).
type stallWatch struct {
	last    atomic.Int64 // unix nanoseconds
	heard   atomic.Bool
	writing atomic.Int32 // writes to git under way
}

func (s *stallWatch) idleFor(d time.Duration) bool {
	return s.writing.Load() == 0 && time.Since(time.Unix(0, s.last.Load())) >= d
}

// activity is a Writer that notes each write on its stallWatch.
type activity struct {
	io.Writer
	w          *stallWatch
	fromServer bool
}

func (a *activity) Write(b []byte) (int, error) {
	a.w.last.Store(time.Now().UnixNano())
	if a.fromServer {
		a.w.heard.Store(true)
		a.w.writing.Add(1)
		defer a.w.writing.Add(-1)
	}
	n, err := a.Writer.Write(b)
	a.w.last.Store(time.Now().UnixNano())
	return n, err
}

// stepOf is what the server was doing, from the command git asks ssh to
// run on it (the last argument).
func stepOf(args []string) i18n.Msg {
	last := ""
	if len(args) > 0 {
		last = args[len(args)-1]
	}
	switch {
	case strings.HasPrefix(last, "git-receive-pack"), strings.HasPrefix(last, "git receive-pack"):
		return i18n.M("during the push")
	case strings.HasPrefix(last, "git-upload-pack"), strings.HasPrefix(last, "git upload-pack"):
		return i18n.M("during the fetch")
	}
	return i18n.M("after it answered")
}

// sshHost is the server git connects to, "host" or "host:port", from the
// arguments git gives ssh: [options] [user@]host command.
func sshHost(args []string) string {
	if len(args) < 2 {
		return "?"
	}
	host := args[len(args)-2]
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	for i := 0; i+1 < len(args)-2; i++ {
		if args[i] == "-p" || args[i] == "-P" {
			return host + ":" + args[i+1]
		}
	}
	return host
}

// sshEnv is the environment of the user's ssh command: the user's own,
// without what WithStallLimit added.
func sshEnv(env []string) []string {
	out := append([]string(nil), env...)
	if v, _ := lookup(out, sshOwnCmdEnv); v == "1" {
		out = unsetEnv(out, "GIT_SSH_COMMAND")
	} else if run, ok := lookup(out, sshRunEnv); ok {
		out = setEnv(out, "GIT_SSH_COMMAND", run)
	}
	if v, _ := lookup(out, sshOwnVarEnv); v == "1" {
		out = unsetEnv(out, "GIT_SSH_VARIANT")
	}
	for _, k := range []string{sshRunEnv, sshShellEnv, sshStallEnv, sshKeyEnv, sshOwnCmdEnv, sshOwnVarEnv, sshLimitsEnv} {
		out = unsetEnv(out, k)
	}
	return out
}

func exitStatus(err error) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	}
	return 255
}

// SSHStall is the reason in a line the ssh callback printed when it gave
// up a server, without its "error: federate: " start.
func SSHStall(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, sshStallPrefix)
	if !ok {
		return "", false
	}
	return "ssh " + rest, true
}
