package gitexec

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// isolated is an environment with no git config but what the test adds.
func isolated(t *testing.T, extra ...string) []string {
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + filepath.Join(home, ".gitconfig")}
	return append(env, extra...)
}

// The ssh command is found in git's order (GIT_SSH_COMMAND,
// core.sshCommand, GIT_SSH, ssh), and the variant git would have told
// from its name is kept unless GIT_SSH_VARIANT or ssh.variant says it.
func TestSSHInGitsOrder(t *testing.T) {
	cfg := func(k, v string) []string {
		return []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=" + k, "GIT_CONFIG_VALUE_0=" + v}
	}
	for _, c := range []struct {
		name string
		env  []string
		want SSHCommand
	}{
		{"default", nil, SSHCommand{Run: "ssh", Variant: "ssh"}},
		{"GIT_SSH", []string{"GIT_SSH=/opt/bin/plink"}, SSHCommand{Run: "/opt/bin/plink", Variant: "putty"}},
		{"core.sshCommand over GIT_SSH", append(cfg("core.sshCommand", "ssh -i /k/id -p 2222"), "GIT_SSH=plink"),
			SSHCommand{Run: "ssh -i /k/id -p 2222", Shell: true, Variant: "ssh"}},
		{"GIT_SSH_COMMAND over core.sshCommand", append(cfg("core.sshCommand", "ssh -i /k/id"), "GIT_SSH_COMMAND='/x/TortoisePlink.exe' -v"),
			SSHCommand{Run: "'/x/TortoisePlink.exe' -v", Shell: true, Variant: "tortoiseplink"}},
		{"quoted path with a space", []string{`GIT_SSH_COMMAND="/c/Program Files/OpenSSH/ssh.exe" -v`},
			SSHCommand{Run: `"/c/Program Files/OpenSSH/ssh.exe" -v`, Shell: true, Variant: "ssh"}},
		{"unknown name: git asks it", []string{"GIT_SSH_COMMAND=my-ssh-wrapper --fast"}, SSHCommand{Run: "my-ssh-wrapper --fast", Shell: true}},
		{"GIT_SSH_VARIANT", []string{"GIT_SSH_COMMAND=ssh", "GIT_SSH_VARIANT=simple"}, SSHCommand{Run: "ssh", Shell: true}},
		{"ssh.variant", append(cfg("ssh.variant", "putty"), "GIT_SSH=ssh"), SSHCommand{Run: "ssh"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Runner{Env: isolated(t, c.env...), Dir: t.TempDir()}.SSH(context.Background())
			if err != nil || got != c.want {
				t.Errorf("SSH() = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

// WithStallLimit sets git's http limit and points GIT_SSH_COMMAND at the
// callback; the callback's ssh gets the user's environment back.
func TestWithStallLimitEnv(t *testing.T) {
	for _, user := range []string{"", "ssh -i '/my key'"} {
		env := isolated(t)
		if user != "" {
			env = append(env, "GIT_SSH_COMMAND="+user)
		}
		r, err := Runner{Env: env, Dir: t.TempDir()}.WithStallLimit(context.Background(), 1500*time.Millisecond, "federation.x.timeout", "/bin/fed'x")
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]string{
			"GIT_HTTP_LOW_SPEED_LIMIT": "1", "GIT_HTTP_LOW_SPEED_TIME": "2",
			"GIT_SSH_COMMAND": `'/bin/fed'\''x' ` + SSHCallbackArg, "GIT_SSH_VARIANT": "ssh",
			sshRunEnv: or(user, "ssh"), sshStallEnv: "2s", sshKeyEnv: "federation.x.timeout",
		} {
			if got, _ := lookup(r.Env, k); got != want {
				t.Errorf("user %q: %s = %q, want %q", user, k, got, want)
			}
		}
		back := sshEnv(r.Env)
		got, ok := lookup(back, "GIT_SSH_COMMAND")
		if got != user || ok != (user != "") {
			t.Errorf("user %q: the ssh command gets GIT_SSH_COMMAND %q (set %v)", user, got, ok)
		}
		for _, k := range []string{"GIT_SSH_VARIANT", sshRunEnv, sshStallEnv, sshKeyEnv} {
			if v, ok := lookup(back, k); ok {
				t.Errorf("user %q: the ssh command gets %s=%q", user, k, v)
			}
		}
		// Applied again (a federation's own limit on a runner set up
		// once): the user's command stays, the limit changes.
		r2, err := r.WithStallLimit(context.Background(), 5*time.Second, "federation.y.timeout", "/bin/fed'x")
		if err != nil {
			t.Fatal(err)
		}
		if run, _ := lookup(r2.Env, sshRunEnv); run != or(user, "ssh") {
			t.Errorf("user %q: applied twice, the ssh command is %q", user, run)
		}
		if key, _ := lookup(r2.Env, sshKeyEnv); key != "federation.y.timeout" {
			t.Errorf("key = %q", key)
		}
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// fakeSSH makes the user's ssh command a script and sets up the
// callback's environment as WithStallLimit does.
func fakeSSH(t *testing.T, script, limit string) {
	p := filepath.Join(t.TempDir(), "fake ssh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(sshRunEnv, ShellQuote(p)+" -o Batch=yes")
	t.Setenv(sshShellEnv, "1")
	t.Setenv(sshStallEnv, limit)
	t.Setenv(sshKeyEnv, "federation.fed.timeout")
	t.Setenv(sshOwnCmdEnv, "1")
	t.Setenv("GIT_SSH_COMMAND", "callback")
}

// The callback runs the user's command line with git's arguments, as
// git would, relays both ways and passes its exit status on.
func TestSSHMainRelays(t *testing.T) {
	// A limit, so that the relay is the watching one, which this healthy
	// server never reaches on a loaded machine.
	fakeSSH(t, `printf '%s|' "$@"; printf 'GIT_SSH_COMMAND=%s|' "${GIT_SSH_COMMAND-unset}"; cat; exit 7`, "1h")
	var out, errb bytes.Buffer
	code := SSHMain(context.Background(), []string{"-p", "2222", "git@host", "git-upload-pack '/r.git'"}, strings.NewReader("0000"), &out, &errb)
	want := "-o|Batch=yes|-p|2222|git@host|git-upload-pack '/r.git'|GIT_SSH_COMMAND=unset|0000"
	if code != 7 || out.String() != want || errb.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q; want 7, %q", code, out.String(), errb.String(), want)
	}
}

// A server that moves no byte for the limit is given up: ssh is killed,
// and the message, in the user's language, names the host, the step and
// the key. The limit also covers the fake server's healthy start (a
// shell that prints an advertisement): 1s where it prints nothing, 5s
// where it must print before the limit, which no loaded machine's
// process start reaches.
func TestSSHMainGivesUpAStalledServer(t *testing.T) {
	zh := i18n.NewContext(context.Background(), i18n.New(language.SimplifiedChinese))
	for _, c := range []struct {
		name, script, limit, want string
		ctx                       context.Context
	}{
		{"listing", "exec sleep 600", "1s", "no data moved for 1s while listing its refs; gave up (the limit is federation.fed.timeout)", context.Background()},
		{"push", "printf 'advertisement'; exec sleep 600", "5s", "no data moved for 5s during the push; gave up (the limit is federation.fed.timeout)", context.Background()},
		{"zh-Hans", "printf 'advertisement'; exec sleep 600", "5s", "推送期间 5s 内没有任何数据往来；已放弃（时限由 federation.fed.timeout 设置）", zh},
	} {
		t.Run(c.name, func(t *testing.T) {
			fakeSSH(t, c.script, c.limit)
			stdin, w := io.Pipe() // git, waiting on the server
			defer w.Close()
			var out, errb bytes.Buffer
			done := make(chan int, 1)
			go func() {
				done <- SSHMain(c.ctx, []string{"-p", "2222", "git@example.org", "git-receive-pack '/r.git'"}, stdin, &out, &errb)
			}()
			select {
			case code := <-done:
				want := "error: federate: ssh example.org:2222: " + c.want + "\n"
				if code != 255 || errb.String() != want {
					t.Errorf("exit %d, stderr %q; want 255, %q", code, errb.String(), want)
				}
				if why, ok := SSHStall(strings.TrimSpace(errb.String())); !ok || !strings.HasPrefix(why, "ssh example.org:2222: ") {
					t.Errorf("SSHStall(%q) = %q, %v", errb.String(), why, ok)
				}
			case <-time.After(5 * time.Minute): // the test's own bound, far over the limit
				t.Fatal("the callback still waits on a server that sends nothing")
			}
		})
	}
}
