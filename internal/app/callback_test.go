package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// TestCallbackFromEnvironmentRunsNoGit: a child git calls the credential
// callback twice per server (get, then store once the token worked). When
// the token is in FEDERATE_TOKEN_<HOST> and git sent the username the
// configuration names (credential.<url>.username), the answer needs no
// forge: get runs only the `git config --get-urlmatch` that tells the
// token's account from a user a URL names, store and erase run no git;
// a get without a username still asks config for the forge's username.
func TestCallbackFromEnvironmentRunsNoGit(t *testing.T) {
	bin := t.TempDir()
	ran := filepath.Join(t.TempDir(), "ran")
	fake := "#!/bin/sh\necho \"$*\" >> " + ran + "\n" +
		"case \"$*\" in \"config --get-urlmatch credential.username \"*) echo me; exit 0 ;; esac\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FEDERATE_KEYRING", "off")
	t.Setenv("HOME", t.TempDir())
	const host = "127.0.0.1:8080"
	t.Setenv(keystore.EnvName(host), "tok-123")
	call := func(op, in string) string {
		t.Helper()
		var out, errb bytes.Buffer
		code := Main(context.Background(), "git-remote-federate", []string{gitexec.CallbackArg, op},
			Stdio{In: strings.NewReader(in), Out: &out, Err: &errb})
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", op, code, errb.String())
		}
		return out.String()
	}
	got := call("get", "protocol=http\nhost="+host+"\nusername=me\n\n")
	if !strings.Contains(got, "username=me\n") || !strings.Contains(got, "password=tok-123\n") {
		t.Errorf("get answered %q", got)
	}
	if b, _ := os.ReadFile(ran); string(b) != "config --get-urlmatch credential.username http://"+host+"\n" {
		t.Errorf("get ran git %q, want only the configured username read", b)
	}
	_ = os.Remove(ran)
	call("store", "protocol=http\nhost="+host+"\nusername=me\npassword=tok-123\n\n")
	call("erase", "protocol=http\nhost="+host+"\nusername=me\npassword=tok-123\n\n")
	if b, err := os.ReadFile(ran); err == nil {
		t.Errorf("the callback ran git: %s", b)
	}
	got = call("get", "protocol=http\nhost="+host+"\n\n")
	if !strings.Contains(got, "username="+keystore.DefaultUsername+"\n") {
		t.Errorf("get without a username answered %q", got)
	}
	if b, _ := os.ReadFile(ran); !strings.Contains(string(b), "config") {
		t.Errorf("a get without a username did not read config for the forge: git ran %q", b)
	}
}

// `git credential-federate --help` says what it is, at once, without
// waiting for a request on stdin.
func TestCredentialHelperHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		var out, errb bytes.Buffer
		code := Main(context.Background(), "git-credential-federate", []string{arg},
			Stdio{In: blockingReader{}, Out: &out, Err: &errb})
		if code != 0 || !strings.Contains(out.String(), "usage: git credential-federate get|store|erase") ||
			!strings.Contains(out.String(), "credential.helper federate") {
			t.Errorf("%s: exit %d\n%s%s", arg, code, out.String(), errb.String())
		}
	}
}

// blockingReader fails the test's deadline if read: a help must not read stdin.
type blockingReader struct{}

func (blockingReader) Read([]byte) (int, error) { select {} }
