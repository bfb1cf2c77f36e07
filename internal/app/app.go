// Package app is the one program behind the three installed names:
// git-remote-federate, git-federate and git-credential-federate.
package app

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/git-remote-federate/git-remote-federate/helper"
	"github.com/git-remote-federate/git-remote-federate/internal/fedcmd"
	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// Stdio is a program's standard streams.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// Main runs the program called name (the binary's base name) with args
// (without the program name) and returns its exit status. Whatever the
// name, a first argument of gitexec.CallbackArg makes it the credential
// helper that child git processes call back, and one of
// gitexec.SSHCallbackArg their ssh command (the stall limit over ssh).
func Main(ctx context.Context, name string, args []string, stdio Stdio) int {
	// Messages speak the language git would speak; everything below gets
	// the printer from ctx.
	ctx = i18n.NewContext(ctx, i18n.New(i18n.Detect(os.Getenv)))
	if len(args) > 0 && args[0] == gitexec.CallbackArg {
		return credentialMain(ctx, args[1:], stdio, true)
	}
	if len(args) > 0 && args[0] == gitexec.SSHCallbackArg {
		return gitexec.SSHMain(ctx, args[1:], stdio.In, stdio.Out, stdio.Err)
	}
	switch strings.TrimSuffix(filepath.Base(name), ".exe") {
	case "git-remote-federate":
		return helper.Main(ctx, args, stdio.In, stdio.Out, stdio.Err)
	case "git-credential-federate":
		return credentialMain(ctx, args, stdio, false)
	}
	return fedcmd.Main(ctx, args, stdio.In, stdio.Out, stdio.Err)
}

// credentialMain is `git credential-federate get|store|erase`. As the
// callback of a child git (callback true) it also consults the user's own
// git credential helpers, run with the callback taken out of their
// environment; as a helper the user configured, it must not, or git would
// call it again.
func credentialMain(ctx context.Context, args []string, stdio Stdio, callback bool) int {
	p := i18n.From(ctx)
	if len(args) != 1 {
		p.Fprintf(stdio.Err, "usage: git credential-federate get|store|erase\n")
		return 2
	}
	if !callback && (args[0] == "-h" || args[0] == "--help") {
		p.Fprintf(stdio.Out, "usage: git credential-federate get|store|erase\n\n"+
			"A git credential helper that answers with the tokens git federate uses\n"+
			"(FEDERATE_TOKEN_<HOST>, the forges' usual variables, the OS keyring), so that\n"+
			"plain git reaches the same servers:\n\n"+
			"    git config --global credential.helper federate\n\n"+
			"git runs it; see \"Tokens\" in the manual (git federate --help).\n")
		return 0
	}
	// Config only tells which forge a host is; a mistake elsewhere in it is
	// reported by the command the user ran, not once per credential request.
	// The callback reads it only when an answer needs the forge (its usual
	// token variable, its username): a child git calls back twice per
	// server it reaches, and most answers come from FEDERATE_TOKEN_<HOST>
	// and the username git already sent.
	load := sync.OnceValue(func() *federation.Config {
		cfg, err := federation.Load(ctx, "", "")
		if cfg == nil {
			if !callback {
				p.Fprintf(stdio.Err, "federate: %s\n", p.Error(err))
			}
			cfg, _ = federation.Parse(nil)
		}
		return cfg
	})
	if !callback {
		load()
	}
	forge := func(host string) string { return load().ForgeOf("https", host) }
	opts := keystore.Options{Getenv: os.Getenv, Forge: forge}
	h := keystore.Helper{Mode: keystore.ModeUserHelper, Usernames: keystore.ForgeUsernames(forge), Stderr: stdio.Err, P: p,
		TracesShown: gitexec.TracesShowCredentials(os.Environ())}
	// Asked only when a request names a user and a token of ours is
	// there: whether that user is the token's account.
	h.Configured = func(ctx context.Context, k keystore.Key) []string {
		env := gitexec.WithoutCredentialCallback(os.Environ())
		u, _ := keystore.ConfiguredUsername(ctx, "git", "", k.URL(), env)
		if u == k.Username {
			return []string{u}
		}
		names, _ := keystore.RepositoryUsernames(ctx, "git", "", k.URL(), env)
		if u != "" {
			names = append(names, u)
		}
		return names
	}
	h.AnyUsername = func(k keystore.Key) bool { return keystore.AnyUsername(forge(k.Host)) }
	if callback {
		h.Mode = keystore.ModeCallback
		opts.GitCredential = &keystore.GitCredential{Env: gitexec.WithoutCredentialCallback(os.Environ())}
		h.GitCredential = opts.GitCredential
	} else {
		h.Keyring = opts.KeyringStore()
	}
	h.Store = keystore.Default(opts)
	if callback {
		fixed := withFixed(nil)
		h.Store = append(fixed, h.Store.(keystore.Chain)...)
		ours := opts
		ours.GitCredential = nil
		h.Ours = append(fixed, keystore.Default(ours)...)
		if slot := gitexec.OpenChildSlot(os.Getenv); slot != nil {
			h.Slot = childSlot{slot}
		}
		if os.Getenv(keystore.TokenFDEnv) != "" {
			// login verifying a new token: its pipe was read by get, and
			// the token must not reach the user's helpers.
			h.GitCredential = nil
		}
	}
	if err := h.Serve(ctx, args[0], stdio.In, stdio.Out); err != nil {
		p.Fprintf(stdio.Err, "federate: %s\n", p.Error(err))
		return 1
	}
	return 0
}

// withFixed puts first in chain the credential a parent passed through
// the pipe named by keystore.TokenFDEnv (login verifying a new token).
func withFixed(chain keystore.Chain) keystore.Chain {
	fd, err := strconv.Atoi(os.Getenv(keystore.TokenFDEnv))
	host := os.Getenv(keystore.TokenFDHostEnv)
	if err != nil || fd < 3 || host == "" {
		return chain
	}
	f := os.NewFile(uintptr(fd), "token-pipe")
	if f == nil {
		return chain
	}
	defer f.Close()
	fixed, err := keystore.ReadFixed(f, host)
	if err != nil {
		return chain
	}
	return append(keystore.Chain{fixed}, chain...)
}

// childSlot is the credential slot a session gave its child, as the
// callback of that child updates it.
type childSlot struct{ *gitexec.ChildSlot }

// Remember implements keystore.Slot.
func (c childSlot) Remember(k keystore.Key, cred keystore.Credential) error {
	if k.URL() != c.URL {
		return nil
	}
	return c.Put(cred.Username, cred.Token)
}

// Forget implements keystore.Slot.
func (c childSlot) Forget(k keystore.Key, token string) error {
	if k.URL() != c.URL {
		return nil
	}
	return c.ChildSlot.Forget(token)
}
