package keystore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/hostname"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
)

// Usernames gives the username a forge expects with a token, for a key
// whose request named none.
type Usernames func(k Key) (string, error)

// DefaultUsername is the username used with a token when neither the
// request nor the store names one: GitHub and GitLab accept any.
const DefaultUsername = "x-access-token"

// Mode says who runs a Helper, which decides what store and erase do.
type Mode int

const (
	// ModeCallback is the credential helper child gits of this program
	// call back (gitexec.WithCredentialCallback). store and erase reach
	// the user's git credential helpers only for a token that came from
	// them; a keyring or environment token is never written elsewhere nor
	// deleted.
	ModeCallback Mode = iota
	// ModeUserHelper is `git credential-federate`, configured by the user
	// as credential.helper = federate. store writes the keyring; erase
	// refuses to delete a keyring token and prints a hint instead.
	ModeUserHelper
)

// Helper answers git's credential-helper requests (get, store, erase)
// from a Store. It is both `git credential-federate` and the callback
// child gits run.
type Helper struct {
	// Store is the chain get answers from, and store/erase re-derive
	// where a token came from with.
	Store Store
	// Mode selects the store/erase behaviour.
	Mode Mode
	// Keyring is where ModeUserHelper's store writes; nil ignores store.
	Keyring Store
	// GitCredential approves and rejects git-credential tokens in
	// ModeCallback; nil ignores store and erase.
	GitCredential *GitCredential
	// Usernames names the user when neither request nor store does; nil
	// means DefaultUsername.
	Usernames Usernames
	// Stderr receives hints (erase refused); nil discards them.
	Stderr io.Writer
	// P says the hints in the user's language; nil is English.
	P *i18n.Printer
}

// Serve handles one request: op is get, store or erase; in holds the
// key=value description git sends; the answer goes to out. Having no
// token is not an error: git then asks the next helper, or fails with its
// own "Authentication failed".
func (h Helper) Serve(ctx context.Context, op string, in io.Reader, out io.Writer) error {
	req, err := ReadRequest(in)
	if err != nil {
		return err
	}
	k := req.Key()
	if (k.Protocol != "https" && k.Protocol != "http") || k.Host == "" {
		return nil
	}
	if k, err = k.Canonical(); err != nil {
		h.hint(i18n.M("federate: no token for the host %q: its name has no ASCII form\n", req["host"]))
		return nil
	}
	switch op {
	case "get":
		return h.get(ctx, k, req, out)
	case "store":
		return h.store(ctx, k, req["password"])
	case "erase":
		return h.erase(ctx, k, req["password"])
	}
	return i18n.Errorf("keystore: unknown credential operation %q (want get, store or erase)", op)
}

func (h Helper) get(ctx context.Context, k Key, req Request, out io.Writer) error {
	if k.Protocol == "http" && !hostname.IsLoopback(k.Host) {
		h.hint(i18n.M("federate: no token sent to %s: plain http would show it to anyone on the way; use https (plain http is for 127.0.0.1 and localhost only)\n", k.URL()))
		return nil
	}
	cred, err := h.Store.Get(ctx, k)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	user := k.Username
	if user == "" {
		user = cred.Username
	}
	if user == "" {
		if user, err = h.username(k); err != nil {
			return err
		}
	}
	return Request{"protocol": k.Protocol, "host": req["host"], "username": user, "password": cred.Token}.Write(out)
}

// store runs after git used a credential successfully.
func (h Helper) store(ctx context.Context, k Key, password string) error {
	if password == "" || !validValue(password) {
		return nil
	}
	cred, err := h.Store.Get(ctx, k)
	found := err == nil
	switch h.Mode {
	case ModeCallback:
		// Only a token the user's helpers gave us goes back to them: a
		// keyring or environment token must never land in ~/.git-credentials.
		if found && cred.Source == SourceGitCredential && cred.Token == password && h.GitCredential != nil {
			if cred.Username == "" {
				cred.Username = k.Username
			}
			return h.GitCredential.Approve(ctx, k, cred)
		}
		return nil
	case ModeUserHelper:
		if h.Keyring == nil || (found && (cred.Token == password || strings.HasPrefix(string(cred.Source), "env:"))) {
			return nil
		}
		if err := h.Keyring.Set(ctx, k, Credential{Token: password}); err != nil {
			h.hint(i18n.M("federate: could not store the token for %s in the OS keyring: %v\n", k.URL(), err))
		}
	}
	return nil
}

// erase runs after the server refused a credential (401).
func (h Helper) erase(ctx context.Context, k Key, password string) error {
	cred, err := h.Store.Get(ctx, k)
	if err != nil || (password != "" && cred.Token != password) {
		return nil
	}
	switch {
	case cred.Source == SourceGitCredential && h.Mode == ModeCallback && h.GitCredential != nil:
		return h.GitCredential.Reject(ctx, k, cred.Token)
	case cred.Source == SourceKeyring:
		// One 401 is no proof the token is bad (a server hiccup, a
		// repository the token does not cover): never delete it here.
		h.hint(i18n.M("federate: %s refused the token stored in the OS keyring; it was kept.\n"+
			"hint: store a new one with `git federate login %s`, or remove it with `git federate logout %s`\n",
			k.URL(), k.URL(), k.URL()))
	case strings.HasPrefix(string(cred.Source), "env:"):
		h.hint(i18n.M("federate: %s refused the token from $%s\n", k.URL(), strings.TrimPrefix(string(cred.Source), "env:")))
	}
	return nil
}

func (h Helper) hint(m i18n.Msg) {
	if h.Stderr != nil {
		fmt.Fprint(h.Stderr, m.Localize(h.P))
	}
}

func (h Helper) username(k Key) (string, error) {
	if h.Usernames == nil {
		return DefaultUsername, nil
	}
	return h.Usernames(k)
}

// RedactorFor is a Redactor that knows the tokens the environment and the
// OS keyring hold for keys, with the usernames forge implies, so that a
// server echoing them back (raw, base64, Basic header) can be cleaned
// from what is shown or stored. The child gits of this process are handed
// these same tokens by the credential callback, which runs in another
// process. Keys without a token are skipped.
func RedactorFor(ctx context.Context, forge func(host string) string, keys ...Key) *redact.Redactor {
	r := redact.New()
	store := Default(Options{Getenv: os.Getenv, Forge: forge})
	usernames := ForgeUsernames(forge)
	for _, k := range keys {
		cred, err := store.Get(ctx, k)
		if err != nil || cred.Token == "" {
			continue
		}
		r.Add(DefaultUsername, cred.Token)
		r.Add(cred.Username, cred.Token)
		if u, err := usernames(k); err == nil {
			r.Add(u, cred.Token)
		}
	}
	return r
}
