package keystore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	zkeyring "github.com/zalando/go-keyring"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// KeyringService is the service name tokens are stored under in the OS
// keyring; the user name is the host URL ("https://host[:port]").
const KeyringService = "git-remote-federate"

// DefaultKeyringTimeout bounds every keyring call: a locked keyring with a
// prompter can otherwise block forever.
const DefaultKeyringTimeout = 3 * time.Second

// ErrKeyringUnavailable is wrapped by errors saying the OS keyring cannot
// be used at all: turned off, no session bus, no Secret Service.
var ErrKeyringUnavailable = i18n.Errorf("keystore: OS keyring unavailable")

// ErrKeyringOff is ErrKeyringUnavailable because the user turned the
// keyring off (FEDERATE_KEYRING=off): nothing to warn about.
var ErrKeyringOff = i18n.Errorf("%w: turned off", ErrKeyringUnavailable)

// TimeoutError is a keyring call that did not answer in time.
type TimeoutError struct {
	Op      string
	Timeout time.Duration
}

func (e *TimeoutError) Error() string { return e.Localize(nil) }

// Localize is the error in p's language.
func (e *TimeoutError) Localize(p *i18n.Printer) string {
	return p.Sprintf("keystore: OS keyring %s did not answer within %s (locked keyring waiting for a prompt?)", e.Op, e.Timeout.String())
}

// Is makes a TimeoutError match ErrKeyringUnavailable.
func (e *TimeoutError) Is(target error) bool { return target == ErrKeyringUnavailable }

// KeyringBackend is the raw OS keyring: go-keyring's package functions in
// production, a map in unit tests.
type KeyringBackend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// OSKeyring is the real keyring through github.com/zalando/go-keyring
// (Secret Service on Linux, Keychain on macOS, Credential Manager on
// Windows). It reports not-found as keyring.ErrNotFound.
type OSKeyring struct{}

// Get implements KeyringBackend.
func (OSKeyring) Get(service, user string) (string, error) { return zkeyring.Get(service, user) }

// Set implements KeyringBackend.
func (OSKeyring) Set(service, user, pw string) error { return zkeyring.Set(service, user, pw) }

// Delete implements KeyringBackend.
func (OSKeyring) Delete(service, user string) error { return zkeyring.Delete(service, user) }

// Keyring is the Store backed by the OS keyring: service KeyringService,
// user Key.URL(), the token as the secret. Every call runs under a time
// limit, and on Linux without a session bus it fails at once with
// ErrKeyringUnavailable instead of letting D-Bus auto-launch daemons.
type Keyring struct {
	// Backend is the keyring; nil means OSKeyring.
	Backend KeyringBackend
	// Getenv looks up FEDERATE_KEYRING and the D-Bus variables; nil
	// means os.Getenv.
	Getenv func(string) string
	// Timeout bounds each call; 0 means DefaultKeyringTimeout.
	Timeout time.Duration
	// NoBusCheck skips the session-bus check (for fake backends).
	NoBusCheck bool
}

// Available reports why the keyring cannot be used, or nil. It does not
// talk to the keyring: it checks FEDERATE_KEYRING and, on Linux, that a
// session bus exists.
func (kr Keyring) Available() error {
	getenv := kr.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	switch strings.ToLower(getenv("FEDERATE_KEYRING")) {
	case "off", "0", "false", "no":
		return i18n.Errorf("%w by FEDERATE_KEYRING=%s", ErrKeyringOff, getenv("FEDERATE_KEYRING"))
	}
	if kr.NoBusCheck || runtime.GOOS != "linux" {
		return nil
	}
	if getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" {
		if fi, err := os.Stat(filepath.Join(dir, "bus")); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return nil
		}
	}
	return i18n.Errorf("%w: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and there is no $XDG_RUNTIME_DIR/bus)", ErrKeyringUnavailable)
}

// Get implements Store. An unavailable keyring counts as "not found" (it
// wraps both errors), so the chain moves on quietly; a timeout or a
// failing Secret Service is reported.
func (kr Keyring) Get(ctx context.Context, k Key) (Credential, error) {
	k, err := k.Canonical()
	if err != nil {
		return Credential{}, err
	}
	if err := kr.Available(); err != nil {
		return Credential{}, i18n.Errorf("%w: %w", ErrNotFound, err)
	}
	var tok string
	err = kr.call(ctx, "get", func(b KeyringBackend) error {
		var err error
		tok, err = b.Get(KeyringService, k.URL())
		return err
	})
	if err != nil {
		return Credential{}, err
	}
	if tok == "" || !validValue(tok) {
		return Credential{}, i18n.Errorf("%w: keyring entry for %s is empty or holds a newline", ErrNotFound, k.URL())
	}
	return Credential{Token: tok, Source: SourceKeyring}, nil
}

// Set implements Store.
func (kr Keyring) Set(ctx context.Context, k Key, c Credential) error {
	if c.Token == "" || !validValue(c.Token) {
		return i18n.Errorf("%w: token is empty or holds a newline or NUL", ErrBadCredentialInput)
	}
	k, err := k.Canonical()
	if err != nil {
		return err
	}
	if err := kr.Available(); err != nil {
		return err
	}
	return kr.call(ctx, "set", func(b KeyringBackend) error { return b.Set(KeyringService, k.URL(), c.Token) })
}

// Delete implements Store.
func (kr Keyring) Delete(ctx context.Context, k Key) error {
	k, err := k.Canonical()
	if err != nil {
		return err
	}
	if err := kr.Available(); err != nil {
		return err
	}
	return kr.call(ctx, "delete", func(b KeyringBackend) error { return b.Delete(KeyringService, k.URL()) })
}

// call runs f in a goroutine and gives up after the timeout or when ctx
// ends: go-keyring has no cancellation of its own. The goroutine may
// outlive the call; the processes using this are short-lived.
func (kr Keyring) call(ctx context.Context, op string, f func(KeyringBackend) error) error {
	b := kr.Backend
	if b == nil {
		b = OSKeyring{}
	}
	timeout := kr.Timeout
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	done := make(chan error, 1)
	go func() { done <- f(b) }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return mapKeyringError(op, err)
	case <-timer.C:
		return &TimeoutError{Op: op, Timeout: timeout}
	case <-ctx.Done():
		return i18n.Errorf("keystore: OS keyring %s: %w", op, ctx.Err())
	}
}

func mapKeyringError(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, zkeyring.ErrNotFound), errors.Is(err, ErrNotFound):
		return ErrNotFound
	}
	return i18n.Errorf("%w: %s: %w", ErrKeyringUnavailable, op, err)
}
