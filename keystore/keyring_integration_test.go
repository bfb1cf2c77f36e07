package keystore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// secretService is the real gnome-keyring the integration tests use,
// started once: godbus keeps one session connection per process.
var secretService struct {
	bus *gittest.Bus
	err error
}

func TestMain(m *testing.M) {
	if os.Getenv("KEYSTORE_TEST_CHILD") != "" {
		os.Exit(m.Run())
	}
	secretService.bus, secretService.err = gittest.StartSecretService()
	code := m.Run()
	if secretService.bus != nil {
		secretService.bus.Stop()
	}
	os.Exit(code)
}

// realKeyring points this test at the private Secret Service; it fails,
// never skips, when gnome-keyring is not installed.
func realKeyring(t *testing.T) Keyring {
	t.Helper()
	if secretService.err != nil {
		t.Fatalf("no Secret Service for the keyring tests: %v", secretService.err)
	}
	for _, kv := range secretService.bus.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("FEDERATE_KEYRING", "")
	return Keyring{}
}

func TestRealKeyringStoreReadReplaceDelete(t *testing.T) {
	kr := realKeyring(t)
	ctx := context.Background()
	k := Key{Protocol: "https", Host: "real.example.com:8443"}
	if _, err := kr.Get(ctx, k); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrBroken) {
		t.Fatalf("empty: %v", err)
	}
	for _, tok := range []string{"tok-1", "tok-2"} {
		if err := kr.Set(ctx, k, Credential{Token: tok}); err != nil {
			t.Fatal(err)
		}
		// Read it back the way a user would, outside this program.
		out, err := exec.Command("secret-tool", "lookup", "service", KeyringService, "username", "https://real.example.com:8443").Output()
		if err != nil || string(out) != tok {
			t.Fatalf("secret-tool lookup = %q, %v; want %q", out, err, tok)
		}
		if c, err := kr.Get(ctx, k); err != nil || c.Token != tok || c.Source != SourceKeyring {
			t.Fatalf("Get = %+v, %v", c, err)
		}
	}
	if err := kr.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := kr.Delete(ctx, k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete again: %v, want ErrNotFound", err)
	}
	if _, err := kr.Get(ctx, k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

// TestRealKeyringNoBusSkipsAtOnce runs the real backend with no session
// bus: the call must come back as "unavailable" before its own time
// limit could fire, so no D-Bus connection or auto-launch was attempted.
func TestRealKeyringNoBusSkipsAtOnce(t *testing.T) {
	realKeyring(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	kr := Keyring{Timeout: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := kr.Get(ctx, Key{Protocol: "https", Host: "h"})
	if !errors.Is(err, ErrKeyringUnavailable) || !strings.Contains(err.Error(), "no D-Bus session bus") {
		t.Fatalf("Get without a bus = %v", err)
	}
	if err := kr.Set(ctx, Key{Protocol: "https", Host: "h"}, Credential{Token: "t"}); !errors.Is(err, ErrKeyringUnavailable) || ctx.Err() != nil {
		t.Fatalf("Set without a bus = %v (ctx %v)", err, ctx.Err())
	}
}

// TestRealKeyringBusWithoutSecretService runs in a child process, since
// this one's D-Bus connection is tied to the test keyring's bus.
func TestRealKeyringBusWithoutSecretService(t *testing.T) {
	if os.Getenv("KEYSTORE_TEST_CHILD") == "no-secret-service" {
		err := Keyring{}.Set(context.Background(), Key{Protocol: "https", Host: "h"}, Credential{Token: "t"})
		fmt.Printf("RESULT unavailable=%v err=%v\n", errors.Is(err, ErrKeyringUnavailable), err)
		return
	}
	bus, err := gittest.StartBus()
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRealKeyringBusWithoutSecretService$")
	cmd.Env = append(append(os.Environ(), bus.Env()...), "KEYSTORE_TEST_CHILD=no-secret-service", "FEDERATE_KEYRING=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "RESULT unavailable=true") || !strings.Contains(string(out), "org.freedesktop.secrets was not provided") {
		t.Fatalf("child said:\n%s", out)
	}
}

// TestRealKeyringLockedCollection locks the login collection of a fresh
// gnome-keyring (in a child process, with its own daemon and bus) and
// checks that a lookup reports the locked keyring as broken, not as "no
// token", without waiting for a prompt nobody can answer.
func TestRealKeyringLockedCollection(t *testing.T) {
	if os.Getenv("KEYSTORE_TEST_CHILD") == "locked" {
		lockedChild(t)
		return
	}
	if secretService.err != nil {
		t.Fatalf("no Secret Service for the keyring tests: %v", secretService.err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRealKeyringLockedCollection$", "-test.v")
	cmd.Env = append(os.Environ(), "KEYSTORE_TEST_CHILD=locked", "FEDERATE_KEYRING=")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func lockedChild(t *testing.T) {
	bus, err := gittest.StartSecretService()
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Stop()
	for _, kv := range bus.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx := context.Background()
	k := Key{Protocol: "https", Host: "locked.example.com"}
	kr := Keyring{}
	if err := kr.Set(ctx, k, Credential{Token: "tok"}); err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(lctx, "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets",
		"/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock",
		"array:objpath:/org/freedesktop/secrets/collection/login").CombinedOutput()
	if err != nil {
		t.Fatalf("locking the collection: %v\n%s", err, out)
	}
	_, err = Chain{kr}.Get(ctx, k)
	if !errors.Is(err, ErrKeyringUnavailable) || !errors.Is(err, ErrBroken) || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "unlock") {
		t.Fatalf("Get from a locked keyring = %v, want a reported keyring failure", err)
	}
	if err := kr.Set(ctx, k, Credential{Token: "new"}); !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("Set into a locked keyring = %v", err)
	}
}
