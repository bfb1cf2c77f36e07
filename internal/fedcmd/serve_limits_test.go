package fedcmd

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestServeReadLimitFlags runs `git federate serve` as a user does, with
// --header-timeout 1s and --read-timeout 2s: its start-up line names
// them in place of the defaults (10 s, 30 s), and a sender that stalls in
// its headers, or in its body, loses its connection. How soon is not
// timed: a loaded machine may fire the server's timers late.
func TestServeReadLimitFlags(t *testing.T) {
	gittest.Isolate(t)
	t.Setenv(SecretEnv, "s3cret-for-the-test")
	// serve runs syncs with the git-federate on PATH; none is run here.
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "git-federate"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	log := newLog()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- exitCode(NewAppWith(IO{Out: io.Discard, Err: log}, serveCommand).RunContext(ctx,
			[]string{"git-federate", "serve", "--listen", "127.0.0.1:0", "--header-timeout", "1s", "--read-timeout", "2s"}), log)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d:\n%s", code, log.String())
		}
	})
	log.waitFor(t, "msg=listening", time.Minute)
	m := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+) header_timeout=(\S+) read_timeout=(\S+)`).FindStringSubmatch(log.String())
	if m == nil {
		t.Fatalf("no address and limits in the log:\n%s", log.String())
	}
	if m[2] != "1s" || m[3] != "2s" {
		t.Errorf("serve runs with header_timeout=%s read_timeout=%s, want the flags' 1s and 2s", m[2], m[3])
	}
	addr := m[1]

	for _, tc := range []struct{ name, partial string }{
		{"headers", "POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Ev"},
		{"body", "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ref\":"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			slow, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer slow.Close()
			if _, err := io.WriteString(slow, tc.partial); err != nil {
				t.Fatal(err)
			}
			// The test's own bound, far over any limit: reaching it means
			// serve never cut the sender.
			slow.SetReadDeadline(time.Now().Add(5 * time.Minute))
			b, err := io.ReadAll(slow)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("serve never cut a sender stalled in its %s (read %q)", tc.name, b)
			}
			if bytes.Contains(b, []byte("202 Accepted")) || bytes.Contains(b, []byte("200 OK")) {
				t.Fatalf("a partial request was answered:\n%s", b)
			}
		})
	}
}

// Limits under a second, or a read limit shorter than the header limit
// it includes, are refused with a usage error naming the flag; --help
// shows both flags.
func TestServeReadLimitFlagsChecked(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--header-timeout", "500ms"}, "--header-timeout must be at least 1s, got 500ms"},
		{[]string{"--read-timeout", "0s"}, "--read-timeout must be at least 1s, got 0s"},
		{[]string{"--header-timeout", "20s", "--read-timeout", "5s"}, "--read-timeout (5s) must not be shorter than --header-timeout (20s)"},
	} {
		var errOut bytes.Buffer
		args := append([]string{"git-federate", "serve", "--listen", "127.0.0.1:0", "--insecure-no-secret"}, tc.args...)
		code := exitCode(NewAppWith(IO{Out: io.Discard, Err: &errOut}, serveCommand).RunContext(context.Background(), args), &errOut)
		if code != ExitUsage || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("serve %v: exit %d, %q; want exit %d and %q", tc.args, code, errOut.String(), ExitUsage, tc.want)
		}
	}
	var out bytes.Buffer
	NewAppWith(IO{Out: &out, Err: &out}, serveCommand).RunContext(context.Background(), []string{"git-federate", "serve", "--help"})
	for _, want := range []string{"--header-timeout", "--read-timeout", "at least 1s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve --help does not show %q:\n%s", want, out.String())
		}
	}
}
