package gitexec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// lsRemote runs a real git ls-remote and returns its error.
func lsRemote(t *testing.T, url string) error {
	t.Helper()
	return Runner{Env: WithCredentialCallback(nil, "/bin/false")}.Run(context.Background(), "ls-remote", "--", url)
}

// git's own words for each failure are classified, explained, and told
// a refusal (no failover: the server answered) or not: an http 404 is
// said without its number, and a path that is not a repository is how a
// share that is not mounted looks.
func TestExplainRealServerFailures(t *testing.T) {
	gittest.Isolate(t)
	s := gittest.NewServer(t, gittest.Auth{})
	url := s.InitBare(t, "app.git")
	locked := gittest.NewServer(t, gittest.Auth{Token: "tok"})
	lockedURL := locked.InitBare(t, "app.git")
	down := gittest.NewServer(t, gittest.Auth{})
	downURL := down.RepoURL("app.git")
	down.Close()

	cases := []struct {
		name    string
		url     string
		prep    func()
		kind    Kind
		hint    string
		refused bool
	}{
		{"missing", s.RepoURL("gone.git"), nil, KindNotFound, "deleted or renamed?", true},
		{"no token", lockedURL, nil, KindAuth, "git federate login " + locked.URL, true},
		{"403", url, func() {
			s.AddFault(gittest.Fault{Prefix: "/app.git", Status: 403, Body: "Permission denied", Count: 1})
		}, KindNoWrite, "repo/write scope", true},
		{"busy", url, func() {
			s.AddFault(gittest.Fault{Prefix: "/app.git", Status: 503, Body: "repository is being read or written", Count: 1})
		}, KindBusy, "busy", false},
		{"502", url, func() {
			s.AddFault(gittest.Fault{Prefix: "/app.git", Status: 502, Body: "bad gateway", Count: 1})
		}, KindOther, "502", false},
		{"connection refused", downURL, nil, KindOther, "Failed to connect", false},
		{"a path that is not a repository", filepath.Join(t.TempDir(), "unmounted", "app.git"), nil, KindNotFound, "deleted or renamed?", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.prep != nil {
				c.prep()
			}
			err := lsRemote(t, c.url)
			if got := Classify(err); got != c.kind {
				t.Fatalf("Classify = %v, want %v (err: %v)", got, c.kind, err)
			}
			if e := Explain(err, c.url); !strings.Contains(e.Error(), c.hint) {
				t.Fatalf("Explain = %v, want hint %q", e, c.hint)
			}
			if got := Refused(err); got != c.refused {
				t.Fatalf("Refused = %v, want %v (err: %v)", got, c.refused, err)
			}
		})
	}
	// A listing (ls-remote reads) refused with 403: the token cannot read.
	s.AddFault(gittest.Fault{Prefix: "/app.git", Status: 403, Body: "Permission denied", Count: 1})
	var he *HintError
	if err := ExplainRead(lsRemote(t, url), url); !errors.As(err, &he) || he.Kind != KindNoRead || !strings.Contains(he.Hint, "cannot read") {
		t.Fatalf("ExplainRead = %v, want the token that cannot read", err)
	}
	if err := Explain(errors.New("plain"), url); err.Error() != "plain" {
		t.Fatalf("unclassified error changed: %v", err)
	}
}

func TestRetryBusyServer(t *testing.T) {
	gittest.Isolate(t)
	s := gittest.NewServer(t, gittest.Auth{})
	url := s.InitBare(t, "app.git")
	s.AddFault(gittest.Fault{Prefix: "/app.git", Status: 503, Body: "repository is being read or written", Count: 2})
	attempts := 0
	err := Retry(context.Background(), []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}, func(ctx context.Context) error {
		attempts++
		return lsRemote(t, url)
	})
	if err != nil || attempts != 3 {
		t.Fatalf("Retry = %v after %d attempts, want success on the third", err, attempts)
	}

	s.AddFault(gittest.Fault{Prefix: "/app.git", Status: 503, Body: "repository is being read or written"})
	attempts = 0
	err = Retry(context.Background(), []time.Duration{time.Millisecond, time.Millisecond}, func(ctx context.Context) error {
		attempts++
		return lsRemote(t, url)
	})
	if !IsBusy(err) || attempts != 3 {
		t.Fatalf("always busy: %v after %d attempts, want busy after 3", err, attempts)
	}

	attempts = 0
	_ = Retry(context.Background(), []time.Duration{time.Millisecond}, func(ctx context.Context) error {
		attempts++
		return lsRemote(t, s.RepoURL("gone.git"))
	})
	if attempts != 1 {
		t.Fatalf("a missing repository was retried %d times", attempts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Retry(ctx, []time.Duration{time.Hour}, func(context.Context) error { return lsRemote(t, url) }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled retry = %v", err)
	}
}

func TestRunnerRetriesBusyServer(t *testing.T) {
	dir := t.TempDir()
	count := filepath.Join(dir, "count")
	// A fake git that answers like a busy server twice, then succeeds.
	fake := filepath.Join(dir, "git")
	script := "#!/bin/sh\nn=$(cat " + count + " 2>/dev/null || echo 0)\nn=$((n+1))\necho $n > " + count + "\n" +
		"if [ $n -le 2 ]; then echo 'error: RPC failed; HTTP 503 curl 22 The requested URL returned error: 503' >&2; exit 128; fi\necho ok\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := Runner{Git: fake, BusyRetry: []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}}
	out, err := r.Output(t.Context(), "ls-remote", "x")
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("Output = %q, %v; want ok after two busy answers", out, err)
	}
	os.Remove(count)
	r.BusyRetry = []time.Duration{time.Millisecond}
	if _, err := r.Output(t.Context(), "ls-remote", "x"); !IsBusy(err) {
		t.Fatalf("with one retry the second busy answer must be reported, got %v", err)
	}
}

// Retry waits are spread, not fixed: within [d/2, d), and not all equal.
func TestRetryJitter(t *testing.T) {
	d := 100 * time.Millisecond
	seen := map[time.Duration]bool{}
	for range 200 {
		j := jitter(d)
		if j < d/2 || j >= d {
			t.Fatalf("jitter(%v) = %v, want within [%v, %v)", d, j, d/2, d)
		}
		seen[j] = true
	}
	if len(seen) < 10 {
		t.Fatalf("jitter drew only %d distinct waits in 200", len(seen))
	}
}

// ssh's own words for a refusal are one: the server refused every key
// or method; it answered, so it is not "down". A host key ssh does not
// trust is not a refusal (as a TLS certificate that is not trusted: the
// server trusted was not reached), but has its own hint; a connection
// that failed has none.
func TestSSHRefusalOrNot(t *testing.T) {
	for _, c := range []struct {
		stderr  string
		kind    Kind
		refused bool
		hint    string
	}{
		{"git@example.com: Permission denied (publickey).\r\nfatal: Could not read from remote repository.\n", KindAuth, true, "example.com did not accept your ssh key"},
		{"git@example.com: Permission denied (publickey,password).\n", KindAuth, true, "example.com did not accept your ssh key"},
		{"No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\nfatal: Could not read from remote repository.\n", KindHostKey, false, "host key of example.com"},
		{"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\nHost key verification failed.\r\n", KindHostKey, false, "host key of example.com"},
		{"ssh: connect to host example.com port 22: Connection refused\r\nfatal: Could not read from remote repository.\n", KindOther, false, ""},
		{"ssh: Could not resolve hostname example.com: Name or service not known\r\n", KindOther, false, ""},
	} {
		err := &Error{Subcommand: "ls-remote", Stderr: c.stderr}
		if got := Classify(err); got != c.kind {
			t.Errorf("%q: Classify = %v, want %v", c.stderr, got, c.kind)
		}
		if got := Refused(err); got != c.refused {
			t.Errorf("%q: Refused = %v, want %v", c.stderr, got, c.refused)
		}
		e := Explain(err, "git@example.com:app.git")
		if c.hint != "" && !strings.Contains(e.Error(), c.hint) {
			t.Errorf("%q: Explain = %v, want the hint %q", c.stderr, e, c.hint)
		}
		if strings.Contains(e.Error(), "git federate login") {
			t.Errorf("%q: a token is offered for ssh: %v", c.stderr, e)
		}
	}
}

// git's protocol policy forbidding a server is a refusal whose hint
// names the setting by git's name for the transport: an scp-like URL's
// is ssh, a path's is file, whatever the URL looks like. git's words
// may have lost their "fatal: " in a report that cleaned them.
func TestForbiddenTransportHint(t *testing.T) {
	for _, c := range []struct{ stderr, url, want string }{
		{"fatal: transport 'ssh' not allowed\n", "git@example.com:app.git", "protocol.ssh.allow"},
		{"transport 'ssh' not allowed", "root@fedssh:/srv/m.git", "protocol.ssh.allow"},
		{"fatal: transport 'file' not allowed\n", "/srv/m.git", "protocol.file.allow"},
		{"fatal: transport 'http' not allowed\n", "http://127.0.0.1:8080/m.git", "protocol.http.allow"},
	} {
		err := &Error{Subcommand: "push", Stderr: c.stderr}
		if got := Classify(err); got != KindForbidden || !Refused(err) {
			t.Errorf("%q: Classify = %v, Refused = %v; want forbidden, a refusal", c.stderr, got, Refused(err))
		}
		e := Explain(err, c.url)
		if !strings.Contains(e.Error(), "hint: git may not use "+strings.TrimSuffix(strings.TrimPrefix(c.want, "protocol."), ".allow")+" here: "+c.want+", ") {
			t.Errorf("%q at %s: Explain = %v, want the hint to name %s", c.stderr, c.url, e, c.want)
		}
	}
	for _, s := range []string{"fatal: transport '' not allowed", "transport 'ssh' is fine", "not allowed",
		"remote: transport '\x1b[2jssh' not allowed"} {
		if got := Classify(&Error{Stderr: s}); got == KindForbidden {
			t.Errorf("%q: Classify = forbidden", s)
		}
	}
}

// A certificate that is not trusted, in curl's words (OpenSSL's or
// GnuTLS's) or Go's, is its own kind and not a refusal: the server
// trusted was not reached, so a mirror may serve in its place.
func TestUntrustedCertificate(t *testing.T) {
	for _, s := range []string{
		"fatal: unable to access 'https://h/r.git/': SSL certificate problem: self-signed certificate",
		"fatal: unable to access 'https://h/r.git/': SSL certificate problem: unable to get local issuer certificate",
		"fatal: unable to access 'https://h/r.git/': server certificate verification failed. CAfile: none CRLfile: none",
		"fatal: unable to access 'https://h/r.git/': SSL: no alternative certificate subject name matches target host name 'h'",
		`Get "https://h/r.git/info/refs": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
	} {
		err := &Error{Subcommand: "ls-remote", Stderr: s}
		if got := Classify(err); got != KindTLS || Refused(err) {
			t.Errorf("%q: Classify = %v, Refused = %v; want tls, not a refusal", s, got, Refused(err))
		}
	}
	for _, s := range []string{"fatal: unable to access 'https://h/r.git/': Could not resolve host: h", "remote: certificate of origin required"} {
		if got := Classify(&Error{Stderr: s}); got == KindTLS {
			t.Errorf("%q: Classify = tls", s)
		}
	}
}

// A refused token's hint says where to change it: the variable it came
// from (which comes before the keyring), else login, unless the keyring
// cannot store one; a host with no token at all is told how to give one.
func TestTokenHintsNameWhereTheTokenLives(t *testing.T) {
	const host = "https://git.example.com"
	err := &Error{Subcommand: "ls-remote", ExitCode: 128,
		Stderr: "remote: invalid credentials\nfatal: Authentication failed for '" + host + "/app.git/'\n"}
	for _, c := range []struct {
		name string
		acct Account
		want string
	}{
		{"keyring", Account{TokenVar: "FEDERATE_TOKEN_GIT_EXAMPLE_COM"}, "the server refused the credentials: run `git federate login " + host + "`"},
		{"variable", Account{TokenVar: "FEDERATE_TOKEN_GIT_EXAMPLE_COM", FromVar: "FEDERATE_TOKEN_GIT_EXAMPLE_COM"},
			"the server refused the credentials: set a valid token in FEDERATE_TOKEN_GIT_EXAMPLE_COM (it comes before the OS keyring"},
		{"forge variable", Account{TokenVar: "FEDERATE_TOKEN_GIT_EXAMPLE_COM", FromVar: "GH_TOKEN", NoKeyring: true},
			"the server refused the credentials: set a valid token in GH_TOKEN"},
		{"no keyring", Account{TokenVar: "FEDERATE_TOKEN_GIT_EXAMPLE_COM", NoKeyring: true},
			"the server refused the credentials: set FEDERATE_TOKEN_GIT_EXAMPLE_COM (the OS keyring is off or unreachable"},
		{"no token", Account{TokenVar: "FEDERATE_TOKEN_GIT_EXAMPLE_COM", NoToken: true},
			"no token for " + host + ": run `git federate login " + host + "` or set FEDERATE_TOKEN_GIT_EXAMPLE_COM"},
		{"no token, no keyring", Account{TokenVar: "FEDERATE_TOKEN_GIT_EXAMPLE_COM", NoToken: true, NoKeyring: true},
			"no token for " + host + ": set FEDERATE_TOKEN_GIT_EXAMPLE_COM (the OS keyring is off or unreachable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if Classify(err) != KindAuth {
				t.Fatalf("Classify = %v, want KindAuth", Classify(err))
			}
			var he *HintError
			if e := ExplainAs(err, host+"/app.git", c.acct); !errors.As(e, &he) || !strings.Contains(he.Hint, c.want) {
				t.Errorf("hint = %v, want %q", e, c.want)
			}
		})
	}
}
