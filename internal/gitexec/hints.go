package gitexec

import (
	"context"
	"errors"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// Kind is what went wrong with a git command talking to a server.
type Kind int

// Kinds of failure Classify tells apart.
const (
	KindOther    Kind = iota
	KindNotFound      // the repository does not exist (or is hidden)
	KindAuth          // no token, or the token was refused (401)
	KindNoWrite       // the token may read but not write (403 on push)
	KindBusy          // the server is busy: retry later (503)
)

func (k Kind) String() string {
	return [...]string{"other", "not-found", "auth", "no-write", "busy"}[k]
}

// HintError is a failed command wrapped with what the user should do.
type HintError struct {
	Kind Kind
	URL  string
	Hint string
	Err  error

	hint []i18n.Msg // Hint, to say in the user's language
}

func (e *HintError) Error() string { return e.Err.Error() + "\nhint: " + e.Hint }
func (e *HintError) Unwrap() error { return e.Err }

// Localize is the error with its hint in p's language.
func (e *HintError) Localize(p *i18n.Printer) string {
	return p.Error(e.Err) + p.Sprintf("\nhint: %s", e.HintIn(p))
}

// HintIn is Hint in p's language.
func (e *HintError) HintIn(p *i18n.Printer) string {
	if e.hint == nil {
		return e.Hint
	}
	var b strings.Builder
	for _, m := range e.hint {
		b.WriteString(m.Localize(p))
	}
	return b.String()
}

var statusRE = regexp.MustCompile(`(?:returned error|HTTP(?: code)?):? (\d{3})`)

// HTTPStatus is the HTTP status a failed git command reported on stderr
// ("The requested URL returned error: 403"), or 0.
func HTTPStatus(err error) int {
	m := statusRE.FindStringSubmatch(stderrOf(err))
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// Classify tells what kind of failure err is, from git's stderr and the
// HTTP status in it.
func Classify(err error) Kind {
	if err == nil {
		return KindOther
	}
	var he *HintError
	if errors.As(err, &he) {
		return he.Kind
	}
	s := strings.ToLower(stderrOf(err))
	status := HTTPStatus(err)
	switch {
	case status == 503 || status == 429 || strings.Contains(s, "repository is being read or written") ||
		strings.Contains(s, "service unavailable") || strings.Contains(s, "try again later"):
		return KindBusy
	case status == 401 || strings.Contains(s, "authentication failed") ||
		strings.Contains(s, "terminal prompts disabled") || strings.Contains(s, "could not read username") ||
		strings.Contains(s, "invalid username or password") || strings.Contains(s, "bad credentials"):
		return KindAuth
	case status == 403 || strings.Contains(s, "permission to") && strings.Contains(s, "denied") ||
		strings.Contains(s, "write access") || strings.Contains(s, "not allowed to push"):
		return KindNoWrite
	case status == 404 || strings.Contains(s, "not found") ||
		strings.Contains(s, "does not appear to be a git repository") || strings.Contains(s, "does not exist"):
		return KindNotFound
	}
	return KindOther
}

// Refused reports whether err is a server's refusal rather than a failure
// to reach it: HTTP 401, 403 or 404, or git's words for missing or refused
// credentials. A refusing server was reached and answered, so no other
// server may silently serve in its place: the user must fix the token or
// the name. Connection failures, timeouts, DNS errors and 5xx are not
// refusals.
func Refused(err error) bool {
	switch HTTPStatus(err) {
	case 401, 403, 404:
		return true
	}
	return Classify(err) == KindAuth
}

// Explain wraps err, a failed git command against url, with a hint that
// says what to do; other errors come back unchanged. url must be the
// URL as configured (it never holds a token).
func Explain(err error, url string) error {
	kind := Classify(err)
	var hint []i18n.Msg
	switch kind {
	case KindNotFound:
		hint = append(hint, i18n.M("repository %s not found: was it deleted or renamed?", url))
		switch {
		case strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://"):
			hint = append(hint, i18n.M(" (a private repository also looks missing without a valid token)"))
		case isSSH(url): // the key, not a token, decides what one may see
			hint = append(hint, i18n.M(" (a private repository also looks missing to a key that may not read it)"))
		}
	case KindAuth:
		hint = append(hint, i18n.M("the server refused the credentials: run `git federate login %s`", hostURL(url)))
	case KindNoWrite:
		hint = append(hint, i18n.M("the token for %s cannot write here: it needs repo/write scope (GitHub: repo or contents:write; GitLab: write_repository; Gitee: projects)", hostURL(url)))
		if h := hostURL(url); strings.EqualFold(h, "https://gitee.com") {
			// Gitee takes a token only with the account's own name, and
			// answers 403 to any other (git sends a placeholder).
			hint = []i18n.Msg{i18n.M("Gitee needs the account name with a token: set it with `git config --global credential.%s.username <account>`; if it is set, the token lacks the projects scope", h)}
		}
	case KindBusy:
		hint = append(hint, i18n.M("%s is busy (the repository is being read or written); retried, try again later", hostURL(url)))
	default:
		return err
	}
	var he *HintError
	if errors.As(err, &he) {
		return err
	}
	he = &HintError{Kind: kind, URL: url, Err: err, hint: hint}
	he.Hint = he.HintIn(nil)
	return he
}

// IsStalled reports whether err is a server that stopped answering: the
// stall limit of WithStallLimit (curl's "Operation too slow", or the ssh
// callback giving up), a connection timeout, or the command's own time
// limit.
func IsStalled(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if strings.Contains(stderrOf(err), sshStallPrefix) {
		return true
	}
	s := strings.ToLower(stderrOf(err))
	return strings.Contains(s, "operation too slow") || strings.Contains(s, "curl 28") ||
		strings.Contains(s, "timed out")
}

// IsBusy reports whether err says the server was busy and a retry may
// succeed.
func IsBusy(err error) bool { return Classify(err) == KindBusy }

// DefaultDelays are Retry's waits between attempts: five attempts at
// most, about 7.5 s in all.
func DefaultDelays() []time.Duration {
	return []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
}

// Retry runs fn, and again after each of delays (nil: DefaultDelays)
// while it fails with a busy server: at most len(delays)+1 attempts. Each
// wait is jittered (see jitter). It returns fn's last error, or ctx's
// error when ctx ends while waiting.
func Retry(ctx context.Context, delays []time.Duration, fn func(context.Context) error) error {
	if delays == nil {
		delays = DefaultDelays()
	}
	err := fn(ctx)
	for _, d := range delays {
		if err == nil || !IsBusy(err) {
			return err
		}
		t := time.NewTimer(jitter(d))
		select {
		case <-ctx.Done():
			t.Stop()
			return i18n.Errorf("%w (while waiting to retry: %w)", err, ctx.Err())
		case <-t.C:
		}
		err = fn(ctx)
	}
	return err
}

// jitter draws a wait in [d/2, d): clients that found a server busy at
// the same moment (a push and a sync, webhooks for many federations) do
// not all come back at the same moment and find it busy again.
func jitter(d time.Duration) time.Duration {
	if d < 2 {
		return d
	}
	return d/2 + rand.N(d-d/2)
}

func stderrOf(err error) string {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Stderr
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// hostURL is "<scheme>://<host>" of a URL, or the URL itself when it has
// no scheme (scp-like ssh).
func hostURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	host, _, _ := strings.Cut(rest, "/")
	if _, h, ok := strings.Cut(host, "@"); ok {
		host = h
	}
	return scheme + "://" + host
}

// isSSH reports whether url is an ssh:// or scp-like (user@host:path) URL.
func isSSH(url string) bool {
	if strings.HasPrefix(url, "ssh://") || strings.HasPrefix(url, "git+ssh://") || strings.HasPrefix(url, "ssh+git://") {
		return true
	}
	colon, slash := strings.IndexByte(url, ':'), strings.IndexByte(url, '/')
	return !strings.Contains(url, "://") && colon > 0 && (slash < 0 || colon < slash)
}
