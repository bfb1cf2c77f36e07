package keystore

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// brokenStore fails every call, as a keyring whose service errors does.
type brokenStore struct{}

var errStoreDown = errors.New("store down")

func (brokenStore) Get(context.Context, Key) (Credential, error) { return Credential{}, errStoreDown }
func (brokenStore) Set(context.Context, Key, Credential) error   { return errStoreDown }
func (brokenStore) Delete(context.Context, Key) error            { return errStoreDown }

// A lookup tells "no token anywhere" from "a store failed, so the token
// may exist": the second never matches ErrNotFound.
func TestChainTellsBrokenFromNotFound(t *testing.T) {
	ctx := context.Background()
	k := Key{Protocol: "https", Host: "example.com"}
	off := Keyring{Backend: newFake(), Getenv: env(map[string]string{"FEDERATE_KEYRING": "off"})}

	_, err := Chain{off, Env{Getenv: env(nil)}}.Get(ctx, k)
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrBroken) {
		t.Errorf("nothing stored, keyring off: %v, want ErrNotFound only", err)
	}
	_, err = Chain{off, brokenStore{}}.Get(ctx, k)
	if errors.Is(err, ErrNotFound) || !errors.Is(err, ErrBroken) || !errors.Is(err, errStoreDown) {
		t.Errorf("a failing store: %v, want ErrBroken wrapping its failure, not ErrNotFound", err)
	}
	cred, err := Chain{brokenStore{}, Env{Getenv: env(map[string]string{EnvName("example.com"): "tok"})}}.Get(ctx, k)
	if err != nil || cred.Token != "tok" {
		t.Errorf("a failing store before a hit: %+v, %v", cred, err)
	}
}

// A git credential helper that does not answer in time is a failure, not
// "no token": the git child is bounded by the runner's time limit.
func TestGitCredentialHelperThatHangsIsBroken(t *testing.T) {
	gittest.Isolate(t)
	fifo := filepath.Join(t.TempDir(), "never")
	if out, err := exec.Command("mkfifo", fifo).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v %s", err, out)
	}
	t.Cleanup(func() {
		// Opening the writing end lets the blocked helper read EOF and exit.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	gittest.Git(t, "", "config", "--global", "credential.helper", "!exec 2>/dev/null; read x <"+fifo)
	// The helper never answers, so the limit is the hanging helper's
	// alone: Get returning at all, with the runner's deadline as the
	// cause, shows it was given up; how long that took is not asserted.
	_, err := GitCredential{Timeout: 300 * time.Millisecond}.Get(context.Background(), Key{Protocol: "https", Host: "example.com"})
	if err == nil || errors.Is(err, ErrNotFound) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get with a hanging helper = %v, want a timeout that is not ErrNotFound", err)
	}
	_, err = (Chain{GitCredential{Timeout: 300 * time.Millisecond}}).Get(context.Background(), Key{Protocol: "https", Host: "example.com"})
	if !errors.Is(err, ErrBroken) {
		t.Errorf("Chain.Get with a hanging helper = %v, want ErrBroken", err)
	}
}
