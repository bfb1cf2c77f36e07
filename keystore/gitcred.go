package keystore

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
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
	if err != nil {
		// With prompts off, git fails when no helper has a password.
		return Credential{}, fmt.Errorf("%w: %w", ErrNotFound, err)
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
		return Credential{}, fmt.Errorf("%w: git credential fill answered a value with a newline or NUL", ErrBadCredentialInput)
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

func (g GitCredential) run(ctx context.Context, op string, req Request) ([]byte, error) {
	var in bytes.Buffer
	if err := req.Write(&in); err != nil {
		return nil, err
	}
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = DefaultGitCredentialTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	git := g.Git
	if git == "" {
		git = "git"
	}
	cmd := exec.CommandContext(ctx, git, "credential", op)
	cmd.Env = noPrompts(g.Env)
	cmd.Stdin = &in
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Run(); err != nil {
		// stderr of git credential never holds the password; keep its tail.
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[len(msg)-300:]
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, &GitCredentialError{Op: op, Stderr: msg, Err: err}
	}
	return out.Bytes(), nil
}

// GitCredentialError is a failed `git credential` run.
type GitCredentialError struct {
	Op     string
	Stderr string
	Err    error
}

func (e *GitCredentialError) Error() string {
	msg := "git credential " + e.Op + " failed"
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *GitCredentialError) Unwrap() error { return e.Err }

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
