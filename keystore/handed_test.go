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
