package keystore

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// storeFunc is a Store whose Get is a function.
type storeFunc func(Key) (Credential, error)

func (f storeFunc) Get(_ context.Context, k Key) (Credential, error) { return f(k) }
func (storeFunc) Set(context.Context, Key, Credential) error         { return ErrReadOnly }
func (storeFunc) Delete(context.Context, Key) error                  { return ErrReadOnly }

// recordSlot is a Slot that notes what it was told.
type recordSlot struct{ remembered, forgotten []string }

func (r *recordSlot) Remember(_ Key, c Credential) error {
	r.remembered = append(r.remembered, c.Username+":"+c.Token)
	return nil
}

func (r *recordSlot) Forget(_ Key, token string) error {
	r.forgotten = append(r.forgotten, token)
	return nil
}

// TestCallbackStorePassesOnOnlyWhatIsNotOurs checks the callback's
// store: a password it did not hand out goes to the session's slot and
// the user's helpers; a token it hands out goes nowhere, nor does a
// password when the store of its tokens failed (it may be one of them).
func TestCallbackStorePassesOnOnlyWhatIsNotOurs(t *testing.T) {
	// A git that cannot run: any attempt to reach the user's helpers fails.
	gc := &GitCredential{Git: "/nonexistent/git"}
	tests := []struct {
		name     string
		ours     Store
		password string
		reached  bool
	}{
		{"typed", storeFunc(func(Key) (Credential, error) { return Credential{}, ErrNotFound }), "typed", true},
		{"our token", storeFunc(func(Key) (Credential, error) { return Credential{Token: "tok", Source: "env:X"}, nil }), "tok", false},
		{"another password than ours", storeFunc(func(Key) (Credential, error) { return Credential{Token: "tok", Source: "env:X"}, nil }), "typed", true},
		{"our store failed", storeFunc(func(Key) (Credential, error) {
			return Credential{}, errors.Join(ErrBroken, errors.New("keyring timed out"))
		}), "tok", false},
	}
	for _, tt := range tests {
		slot := &recordSlot{}
		h := Helper{Mode: ModeCallback, Store: tt.ours, Ours: tt.ours, GitCredential: gc, Slot: slot}
		err := h.Serve(context.Background(), "store", strings.NewReader("protocol=https\nhost=example.com\nusername=alice\npassword="+tt.password+"\n"), &strings.Builder{})
		if reached := err != nil; reached != tt.reached {
			t.Errorf("%s: reached the user's helpers = %v (%v), want %v", tt.name, reached, err, tt.reached)
		}
		if remembered := len(slot.remembered) > 0; remembered != tt.reached {
			t.Errorf("%s: remembered in the slot %q, want %v", tt.name, slot.remembered, tt.reached)
		}
	}
}

// TestTokenOnlyForItsAccount checks get for a request that names a user
// (git sends the user of a URL such as http://bob@host/…): the host's
// token goes only to the account it is for — the configured username,
// any on a forge whose tokens take any, else the forge's — and another
// user gets what the user's own helpers hold for that user, or nothing,
// so that git prompts as it would.
func TestTokenOnlyForItsAccount(t *testing.T) {
	env := Env{Getenv: func(k string) string {
		return map[string]string{"FEDERATE_TOKEN_GIT_EXAMPLE_COM": "tok", "FEDERATE_TOKEN_GITHUB_COM": "tok"}[k]
	}}
	configured := map[string][]string{}
	h := Helper{Mode: ModeCallback, Store: env, Ours: env,
		Configured:  func(_ context.Context, k Key) []string { return configured[k.Host] },
		AnyUsername: func(k Key) bool { return k.Host == "github.com" }}
	tests := []struct {
		name, host, user, configured, answer string // answer: the username the token goes with, "" for none
	}{
		{"no user named", "git.example.com", "", "", "x-access-token"},
		{"the forge's username", "git.example.com", "x-access-token", "", "x-access-token"},
		{"the configured account", "git.example.com", "alice", "alice", "alice"},
		{"another user", "git.example.com", "bob", "", ""},
		{"another user than the configured account", "git.example.com", "bob", "alice", ""},
		{"the account configured for one repository", "git.example.com", "carol", "alice carol", "carol"},
		{"any user where tokens take any", "github.com", "bob", "alice", "bob"},
	}
	for _, tt := range tests {
		configured[tt.host] = strings.Fields(tt.configured)
		req := "protocol=https\nhost=" + tt.host + "\n"
		if tt.user != "" {
			req += "username=" + tt.user + "\n"
		}
		got := serve(t, h, "get", req+"\n")
		gave := strings.Contains(got, "password=tok\n") && strings.Contains(got, "username="+tt.answer+"\n")
		if (tt.answer == "" && got != "") || (tt.answer != "" && !gave) {
			t.Errorf("%s: get answered %q, want the token for %q", tt.name, got, tt.answer)
		}
	}
}

// TestNoTokenToATracingGit checks get for a git whose traces show
// credentials (GIT_TRACE_REDACT=0): it is handed none of the tokens this
// program holds, says why, and gets what the user's own helpers hold.
func TestNoTokenToATracingGit(t *testing.T) {
	env := Env{Getenv: func(k string) string { return map[string]string{"FEDERATE_TOKEN_GIT_EXAMPLE_COM": "tok"}[k] }}
	var stderr strings.Builder
	h := Helper{Mode: ModeCallback, Store: env, Ours: env, TracesShown: true, Stderr: &stderr}
	if got := serve(t, h, "get", "protocol=https\nhost=git.example.com\n\n"); got != "" {
		t.Errorf("a tracing git was answered %q", got)
	}
	if !strings.Contains(stderr.String(), "GIT_TRACE_REDACT=0") {
		t.Errorf("no word of why: %q", stderr.String())
	}
	h.TracesShown = false
	if got := serve(t, h, "get", "protocol=https\nhost=git.example.com\n\n"); !strings.Contains(got, "password=tok\n") {
		t.Errorf("a git that redacts its traces was answered %q", got)
	}
}
