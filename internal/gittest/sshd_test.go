package gittest

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Plain git reaches the server over both URL forms, and a stopped server
// refuses connections.
func TestSSHDServesGit(t *testing.T) {
	Isolate(t)
	start := time.Now()
	d := StartSSHD(t)
	t.Logf("sshd started in %v", time.Since(start))
	t.Setenv("GIT_SSH_COMMAND", d.GitSSHCommand())
	work := NewWorkRepo(t)
	bare := filepath.Join(t.TempDir(), "app.git")
	Git(t, "", "init", "-q", "--bare", "-b", "main", bare)

	if out, err := GitCombined(work, nil, "push", d.SCPURL(bare), "main"); err != nil {
		t.Fatalf("push over scp-like URL: %v\n%s\nsshd log:\n%s", err, out, d.Log())
	}
	if got, want := RefOf(t, bare, "main"), RefOf(t, work, "main"); got != want {
		t.Fatalf("main on the server = %q, want %q", got, want)
	}
	out, err := GitErr("", nil, "ls-remote", d.URL(bare))
	if err != nil || !strings.Contains(out, RefOf(t, work, "main")+"\trefs/heads/main") {
		t.Fatalf("ls-remote over ssh://: %v\n%s\nsshd log:\n%s", err, out, d.Log())
	}

	d.Stop()
	if _, err := GitErr("", nil, "ls-remote", d.URL(bare)); err == nil || !strings.Contains(err.Error(), "Connection refused") {
		t.Fatalf("ls-remote after Stop: %v", err)
	}
}

func TestStartSSHDWithoutBinaryNamesTheTestCommand(t *testing.T) {
	f := &fatalTB{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != (stopped{}) {
				panic(r)
			}
		}()
		startSSHD(f, "/nonexistent/sshd")
	}()
	for _, want := range []string{"/nonexistent/sshd", "scripts/test", "openssh-server"} {
		if !strings.Contains(f.msg, want) {
			t.Errorf("message %q should name %q", f.msg, want)
		}
	}
}
