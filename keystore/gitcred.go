package keystore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// DefaultGitCredentialTimeout bounds each `git credential` run.
const DefaultGitCredentialTimeout = 30 * time.Second

// GitCredential is the Store backed by the user's own git credential
// helpers, through `git credential fill|approve|reject` with every prompt
// off: it must answer from helpers or fail, never wait on a terminal.
type GitCredential struct {
	// Git is the git binary; "" means "git".
	Git string
	// Env is the environment git runs with; nil means os.Environ(). In the
	// credential callback it must come from
	// gitexec.WithoutCredentialCallback, or git would call us again.
	Env []string
	// Timeout bounds each run; 0 means DefaultGitCredentialTimeout.
	Timeout time.Duration
}

// Get implements Store: `git credential fill`.
func (g GitCredential) Get(ctx context.Context, k Key) (Credential, error) {
	out, err := g.run(ctx, "fill", g.request(k, ""))
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Credential{}, err // a helper that hangs may still hold the token
	}
	if err != nil {
		// With prompts off, git fails when no helper has a password.
		return Credential{}, i18n.Errorf("%w: %w", ErrNotFound, err)
	}
	resp, err := ReadRequest(bytes.NewReader(out))
	if err != nil {
		return Credential{}, err
	}
	tok := resp["password"]
	if tok == "" {
		return Credential{}, ErrNotFound
	}
	user := resp["username"]
	if !validValue(tok) || !validValue(user) {
		return Credential{}, i18n.Errorf("%w: git credential fill answered a value with a newline or NUL", ErrBadCredentialInput)
	}
	return Credential{Username: user, Token: tok, Source: SourceGitCredential}, nil
}

// Set implements Store: `git credential approve`, after a token worked.
func (g GitCredential) Set(ctx context.Context, k Key, c Credential) error {
	req := g.request(k, c.Token)
	if c.Username != "" {
		req["username"] = c.Username
	}
	_, err := g.run(ctx, "approve", req)
	return err
}

// Delete implements Store: `git credential reject`, after a 401.
func (g GitCredential) Delete(ctx context.Context, k Key) error {
	_, err := g.run(ctx, "reject", g.request(k, ""))
	return err
}

// Approve tells the helpers c worked for k.
func (g GitCredential) Approve(ctx context.Context, k Key, c Credential) error {
	return g.Set(ctx, k, c)
}

// Reject tells the helpers the token for k was refused (a 401).
func (g GitCredential) Reject(ctx context.Context, k Key, token string) error {
	req := g.request(k, token)
	_, err := g.run(ctx, "reject", req)
	return err
}

func (g GitCredential) request(k Key, token string) Request {
	req := Request{"protocol": k.Protocol, "host": k.Host}
	if k.Path != "" {
		req["path"] = k.Path
	}
	if k.Username != "" {
		req["username"] = k.Username
	}
	if token != "" {
		req["password"] = token
	}
	return req
}

// run runs `git credential op` with req on stdin through the one git
// runner, under the time limit. git credential never writes the password
// to stderr, so the runner's error text is safe to show.
func (g GitCredential) run(ctx context.Context, op string, req Request) ([]byte, error) {
	var in bytes.Buffer
	if err := req.Write(&in); err != nil {
		return nil, err
	}
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = DefaultGitCredentialTimeout
	}
	r := gitexec.Runner{Git: g.Git, Env: noPrompts(g.Env), Timeout: timeout}
	return r.OutputStdin(ctx, &in, "credential", op)
}

// noPrompts returns env with git's terminal prompt and every askpass
// program turned off: an empty GIT_ASKPASS stops git from looking at
// core.askPass and SSH_ASKPASS.
func noPrompts(env []string) []string {
	if env == nil {
		env = os.Environ()
	}
	out := make([]string, 0, len(env)+3)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GIT_TERMINAL_PROMPT", "GIT_ASKPASS", "SSH_ASKPASS":
			continue
		}
		out = append(out, kv)
	}
	return append(out, "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=")
}
