package keystore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
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
	// call back (gitexec.WithCredentialCallback). store and erase pass
	// on to the user's git credential helpers, as git would, every
	// credential this program did not hand out (a password typed at
	// git's prompt, one the user's helpers gave); a keyring or
	// environment token is never written elsewhere nor deleted.
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
	// Ours, in ModeCallback, holds the tokens this program hands out
	// (environment, keyring, a login's new token): store and erase never
	// pass those to the user's helpers. nil means Store.
	Ours Store
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
	// Configured is every username git's configuration gives k's server
	// or a repository on it (credential.<url>.username, as
	// ConfiguredUsername and RepositoryUsernames read them): the accounts a token of ours goes
	// with when the store names none. nil: a request's username is taken
	// as the token's account.
	Configured func(ctx context.Context, k Key) []string
	// AnyUsername reports whether k's forge takes a token with any
	// username (AnyUsername); nil: none does.
	AnyUsername func(k Key) bool
	// Slot, in ModeCallback, is the session's memory of a credential for
	// one server (gitexec.Slot): store remembers there a credential this
	// program did not hand out (typed at a prompt), so the session's next
	// child does not ask again; erase forgets a refused one. nil: none.
	Slot Slot
	// TracesShown: the git asking shows credentials in its traces
	// (GIT_TRACE_REDACT off, gitexec.TracesShowCredentials). It is handed
	// none of this program's tokens, only what the user's own helpers
	// hold for the server, as they would be shown with plain git.
	TracesShown bool
	// Stderr receives hints (erase refused); nil discards them.
	Stderr io.Writer
	// P says the hints in the user's language; nil is English.
	P *i18n.Printer
}

// Slot is where the children of one session find a credential for one
// server, without calling this program.
type Slot interface {
	// Remember makes c the credential for k, when the slot is k's.
	Remember(k Key, c Credential) error
	// Forget drops the credential for k if its token is token.
	Forget(k Key, token string) error
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
	cred, err := h.Answer(ctx, k)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return Request{"protocol": k.Protocol, "host": req["host"], "username": cred.Username, "password": cred.Token}.Write(out)
}

// Answer is the credential get hands out for k: the store's token, with
// the username the request, the store or the forge names. A request
// that names a user other than the token's account (a URL such as
// http://bob@host/… makes git ask for bob's credentials) is answered as
// git answers it: from the user's own helpers, or not at all, so that
// git prompts for bob's password; the host's token is another account's.
// A token is never handed out over plain http to a host that is not
// loopback.
func (h Helper) Answer(ctx context.Context, k Key) (Credential, error) {
	k, err := k.Canonical() // no store sees a key that is not canonical
	if err != nil {
		return Credential{}, ErrNotFound
	}
	if k.Protocol == "http" && !hostname.IsLoopback(k.Host) {
		h.hint(i18n.M("federate: no token sent to %s: plain http would show it to anyone on the way; use https (plain http is for 127.0.0.1 and localhost only)\n", k.URL()))
		return Credential{}, ErrNotFound
	}
	cred, err := h.Store.Get(ctx, k)
	if err != nil {
		return Credential{}, err
	}
	if cred.Source != SourceGitCredential && h.TracesShown {
		h.hint(i18n.M("federate: no token handed to git for %s: GIT_TRACE_REDACT=0 would show it in git's trace\n", k.URL()))
		return h.usersOwn(ctx, k)
	}
	if k.Username != "" && cred.Source != SourceGitCredential && !h.isAccount(ctx, k, cred) {
		return h.usersOwn(ctx, k)
	}
	if k.Username != "" {
		cred.Username = k.Username
	}
	if cred.Username == "" {
		if cred.Username, err = h.username(k); err != nil {
			return Credential{}, err
		}
	}
	return cred, nil
}

// isAccount reports whether k.Username is the account cred, a token of
// ours, goes with: the one its store names, else the configured one;
// any, on a forge whose tokens take any username (GitHub, GitLab); else
// the forge's default. A forge that needs the real account name and has
// none configured (Gitee) takes the one the request names.
func (h Helper) isAccount(ctx context.Context, k Key, cred Credential) bool {
	if cred.Username != "" {
		return cred.Username == k.Username
	}
	if h.Configured == nil {
		return true
	}
	configured := h.Configured(ctx, k)
	switch {
	case slices.Contains(configured, k.Username), h.AnyUsername != nil && h.AnyUsername(k):
		return true
	case len(configured) > 0:
		return false
	}
	u, err := h.username(k)
	return err != nil || u == k.Username
}

// usersOwn is what the user's own helpers hold for k (ModeCallback),
// else ErrNotFound.
func (h Helper) usersOwn(ctx context.Context, k Key) (Credential, error) {
	if h.GitCredential == nil {
		return Credential{}, ErrNotFound
	}
	return h.GitCredential.Get(ctx, k)
}

// store runs after git used a credential successfully.
func (h Helper) store(ctx context.Context, k Key, password string) error {
	if password == "" || !validValue(password) {
		return nil
	}
	if h.Mode == ModeCallback {
		// git approves a credential that worked to every helper; ours
		// stand for the user's, except for the tokens we hand out.
		if h.handedOut(ctx, k, password) {
			return nil
		}
		typed := Credential{Username: k.Username, Token: password}
		if h.Slot != nil {
			if err := h.Slot.Remember(k, typed); err != nil {
				return err
			}
		}
		if h.GitCredential == nil {
			return nil
		}
		return h.GitCredential.Approve(ctx, k, typed)
	}
	cred, err := h.Store.Get(ctx, k)
	found := err == nil
	if h.Keyring == nil || (found && (cred.Token == password || strings.HasPrefix(string(cred.Source), "env:"))) {
		return nil
	}
	// Turned off by the user, the keyring keeps nothing, and git's other
	// helpers store it: a warning after every command would be noise.
	if err := h.Keyring.Set(ctx, k, Credential{Token: password}); err != nil && !errors.Is(err, ErrKeyringOff) {
		h.hint(i18n.M("federate: could not store the token for %s in the OS keyring: %v\n", k.URL(), err))
	}
	return nil
}

// handedOut reports whether password is a token this program hands out
// for k.
func (h Helper) handedOut(ctx context.Context, k Key, password string) bool {
	cred, err := h.ours().Get(ctx, k)
	if err != nil {
		// A store that failed (a keyring that timed out) may hold it:
		// better not to pass it on than to leak it.
		return !errors.Is(err, ErrNotFound)
	}
	return cred.Token == password
}

func (h Helper) ours() Store {
	if h.Ours != nil {
		return h.Ours
	}
	return h.Store
}

// erase runs after the server refused a credential (401).
func (h Helper) erase(ctx context.Context, k Key, password string) error {
	store := h.Store
	if h.Mode == ModeCallback {
		store = h.ours()
		if h.Slot != nil && password != "" {
			if err := h.Slot.Forget(k, password); err != nil {
				return err
			}
		}
	}
	cred, err := store.Get(ctx, k)
	if err != nil || (password != "" && cred.Token != password) {
		if h.Mode == ModeCallback && h.GitCredential != nil && password != "" && (err == nil || errors.Is(err, ErrNotFound)) {
			// Not ours: git rejects it from every helper.
			return h.GitCredential.Reject(ctx, k, password)
		}
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

// RedactorFor is a Redactor that knows the tokens store (the token
// chain) holds for keys, with the usernames forge implies, so that a
// server echoing them back (raw, base64, Basic header) can be cleaned
// from what is shown or stored. The child gits of this process are handed
// these same tokens by the credential callback, which runs in another
// process. Keys without a token are skipped.
func RedactorFor(ctx context.Context, store Getter, forge func(host string) string, keys ...Key) *redact.Redactor {
	r := redact.New()
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
