package gitexec

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// Kind is what went wrong with a git command talking to a server.
type Kind int

// Kinds of failure Classify tells apart.
const (
	KindOther     Kind = iota
	KindNotFound       // the repository does not exist (or is hidden)
	KindAuth           // no token, or the token was refused (401)
	KindNoWrite        // the token may read but not write (403 on push)
	KindBusy           // the server is busy: retry later (503)
	KindNoRead         // the token may not read (403 on a fetch)
	KindForbidden      // git's protocol policy forbids the URL's protocol: nothing was sent
	KindHostKey        // ssh does not trust the server's host key: nothing was sent
	KindTLS            // the server's TLS certificate was refused (its CA, its dates, its name): nothing was sent
)

func (k Kind) String() string {
	return [...]string{"other", "not-found", "auth", "no-write", "busy", "no-read", "forbidden", "host-key", "tls"}[k]
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

// statusRE reads the HTTP status in git's error text; compiled at first
// use.
var statusRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:returned error|HTTP(?: code)?):? (\d{3})`) })

// HTTPStatus is the HTTP status a failed git command reported on stderr
// ("The requested URL returned error: 403"), or 0.
func HTTPStatus(err error) int {
	m := statusRE().FindStringSubmatch(stderrOf(err))
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
	if be := (*BusyError)(nil); errors.As(err, &be) {
		return KindBusy
	}
	s := strings.ToLower(stderrOf(err))
	status := HTTPStatus(err)
	switch {
	case forbiddenTransport(s) != "":
		return KindForbidden
	case strings.Contains(s, "host key verification failed"): // ssh's words, for a key unknown or changed
		return KindHostKey
	case refusedCertificate(s):
		return KindTLS
	case status == 503 || status == 429 || strings.Contains(s, "repository is being read or written") ||
		strings.Contains(s, "service unavailable") || strings.Contains(s, "try again later"):
		return KindBusy
	case status == 401 || strings.Contains(s, "authentication failed") ||
		strings.Contains(s, "terminal prompts disabled") || strings.Contains(s, "could not read username") ||
		strings.Contains(s, "invalid username or password") || strings.Contains(s, "bad credentials") ||
		strings.Contains(s, "permission denied (publickey") || strings.Contains(s, "permission denied (password") ||
		strings.Contains(s, "permission denied (keyboard-interactive"): // ssh's words: no key, or method, accepted
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

// Refused reports whether err is a refusal rather than a failure to
// reach the server: HTTP 401, 403 or 404, or git's words for missing or
// refused credentials or keys, or for an http 404 ("repository '…' not
// found": git's http helper does not give the number); or git's
// protocol policy, which forbade reaching it at all. A refusing server
// was reached and answered, so no other server may silently serve in its
// place: the user must fix the token, the key, the name or the policy.
// Connection failures, timeouts, DNS errors and 5xx are not refusals; nor
// is a TLS certificate or an ssh host key that is not trusted (the server
// trusted was not reached), nor a path that is not a repository ("does
// not appear to be a git repository"), which is how a network share that
// is not mounted looks.
func Refused(err error) bool {
	switch HTTPStatus(err) {
	case 401, 403, 404:
		return true
	}
	switch Classify(err) {
	case KindAuth, KindForbidden:
		return true
	case KindNotFound:
		s := strings.ToLower(stderrOf(err))
		return strings.Contains(s, "fatal: repository '") && strings.Contains(s, "' not found")
	}
	return false
}

// Account is what a hint knows of the account a command used at a
// server.
type Account struct {
	// Forge is the server's kind, as federate.<url>.forge or a
	// well-known host names it ("gitee", "github", …; "" unknown).
	Forge string
	// Named reports whether an account name is configured for the
	// server (credential.<url>.username).
	Named bool
	// NoToken reports that federate holds no token for the server (its
	// token chain found none, and no store failed): a refusal there is
	// not a token's, and the hint says how to give one.
	NoToken bool
	// TokenVar is the server's FEDERATE_TOKEN_<HOST> variable, "" when
	// it has none.
	TokenVar string
	// FromVar is the environment variable the token federate holds for
	// the server came from (TokenVar, or a forge's own such as GH_TOKEN),
	// "" when none did. Variables come before the OS keyring: a token
	// stored with `git federate login` would not be used.
	FromVar string
	// NoKeyring reports that the OS keyring is off or cannot be reached:
	// `git federate login` cannot store a token.
	NoKeyring bool
}

// NoTokenHint says how to give federate a token for url's server, which
// it has none for.
func (a Account) NoTokenHint(url string) i18n.Msg {
	host := hostURL(url)
	var how i18n.Msg
	switch {
	case a.NoKeyring && a.TokenVar != "":
		how = i18n.M("set %s (the OS keyring is off or unreachable, so `git federate login` cannot store one)", a.TokenVar)
	case a.TokenVar != "":
		how = i18n.M("run `git federate login %s` or set %s", host, a.TokenVar)
	default:
		how = i18n.M("run `git federate login %s`", host)
	}
	return i18n.M("no token for %s: %s", host, how)
}

// RefusedHint says how to give hostURL's server another token once it
// refused the one federate sent.
func (a Account) RefusedHint(hostURL string) i18n.Msg {
	return i18n.M("the server refused the credentials: %s", a.TokenFix(hostURL))
}

// TokenFix says how to give hostURL's server a token that works: where
// the one it has came from decides.
func (a Account) TokenFix(hostURL string) i18n.Msg {
	switch {
	case a.FromVar != "":
		return i18n.M("set a valid token in %s (it comes before the OS keyring, so `git federate login` would not change it)", a.FromVar)
	case a.NoKeyring && a.TokenVar != "":
		return i18n.M("set %s (the OS keyring is off or unreachable, so `git federate login` cannot store a token)", a.TokenVar)
	}
	return i18n.M("run `git federate login %s`", hostURL)
}

// needsName reports whether a refusal at a forge is better explained
// by the missing account name: Gitee, self-hosted or not, takes a token
// only with the account's own name, and git sends a placeholder.
func (a Account) needsName() bool { return a.Forge == "gitee" && !a.Named }

// Explain wraps err, a failed git command against url, with a hint that
// says what to do; other errors come back unchanged. url must be the
// URL as configured (it never holds a token). The server's forge is not
// known: ExplainAs gives the hints that depend on it.
func Explain(err error, url string) error { return ExplainAs(err, url, Account{}) }

// ExplainAs is Explain for a server whose forge and account are known:
// a Gitee without a configured account name is told to set one, for a
// 401 as for a 403; a 403 where federate holds no token says how to
// give one, not that the token may not write.
func ExplainAs(err error, url string, acct Account) error {
	kind := Classify(err)
	var hint []i18n.Msg
	switch {
	case kind == KindNotFound:
		hint = append(hint, i18n.M("repository %s not found: was it deleted or renamed?", url))
		switch {
		case strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://"):
			hint = append(hint, i18n.M(" (a private repository also looks missing without a valid token)"))
		case isSSH(url): // the key, not a token, decides what one may see
			hint = append(hint, i18n.M(" (a private repository also looks missing to a key that may not read it)"))
		}
	case kind == KindNoWrite && acct.NoToken: // no token of ours was refused
		hint = []i18n.Msg{acct.NoTokenHint(url)}
	case kind == KindAuth && isSSH(url): // a token does nothing there
		hint = append(hint, i18n.M("%s did not accept your ssh key: tokens do not apply to ssh; see which keys ssh offers with `ssh -v`", sshURLHost(url)))
	case kind == KindHostKey:
		hint = append(hint, i18n.M("ssh does not trust the host key of %s: check it with the server's owner, then add it to known_hosts (or remove an old one with `ssh-keygen -R`)", sshURLHost(url)))
	case (kind == KindAuth || kind == KindNoWrite) && acct.needsName():
		hint = append(hint, i18n.M("Gitee needs the account name with a token: set it with `git config --global credential.%s.username <account>`", hostURL(url)))
	case kind == KindAuth && acct.NoToken: // none was sent
		hint = []i18n.Msg{acct.NoTokenHint(url)}
	case kind == KindAuth:
		hint = append(hint, acct.RefusedHint(hostURL(url)))
	case kind == KindNoWrite:
		hint = append(hint, i18n.M("the token for %s cannot write here: it needs repo/write scope (GitHub: repo or contents:write; GitLab: write_repository; Gitee: projects)", hostURL(url)))
	case kind == KindForbidden:
		name := transportName(err, url)
		hint = append(hint, i18n.M("git may not use %s here: protocol.%s.allow, protocol.allow or GIT_ALLOW_PROTOCOL forbids it", name, name))
	case kind == KindBusy:
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
	return RetryFrom(ctx, delays, fn(ctx), fn)
}

// RetryFrom is Retry after a first attempt, made elsewhere, that failed
// with err (nil: it did not fail, and fn is not run).
func RetryFrom(ctx context.Context, delays []time.Duration, err error, fn func(context.Context) error) error {
	if delays == nil {
		delays = DefaultDelays()
	}
	for _, d := range delays {
		if err == nil || !IsBusy(err) {
			return err
		}
		t := time.NewTimer(max(jitter(d), retryAfter(err)))
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

// MaxRetryAfter bounds the wait a server may ask for with Retry-After:
// one that asks for more is given up on after its retries like any
// busy server, not waited for without end.
const MaxRetryAfter = 30 * time.Second

// BusyError is a server that answered "busy, come back later" (HTTP 429
// or 503) to a request of this process; After is the wait it asked for
// in Retry-After (0: none). Retry waits at least After, at most
// MaxRetryAfter.
type BusyError struct {
	Err   error
	After time.Duration
}

func (e *BusyError) Error() string { return e.Err.Error() }
func (e *BusyError) Unwrap() error { return e.Err }

// Localize says e in p's language, as far as its cause can.
func (e *BusyError) Localize(p *i18n.Printer) string { return p.Error(e.Err) }

// ParseRetryAfter is the wait a Retry-After header value v asks for:
// seconds, or an HTTP date; 0 for anything else or a time past. It goes
// in BusyError.After.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(n, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// retryAfter is the wait err's server asked for, bounded.
func retryAfter(err error) time.Duration {
	if be := (*BusyError)(nil); errors.As(err, &be) {
		return min(max(be.After, 0), MaxRetryAfter)
	}
	return 0
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

// sshURLHost is the host an ssh URL names, with its port if it has one,
// as a hint names it: "ssh://git@host:2222/r" is "host:2222", "git@host:r"
// is "host" (sshHost reads the same from ssh's arguments).
func sshURLHost(url string) string {
	if _, rest, ok := strings.Cut(url, "://"); ok {
		url, _, _ = strings.Cut(rest, "/")
	} else {
		url, _, _ = strings.Cut(url, ":")
	}
	if i := strings.LastIndexByte(url, '@'); i >= 0 {
		url = url[i+1:]
	}
	return url
}

// refusedCertificate reports whether s (lower case) is curl's or Go's
// words for a server certificate refused: from an unknown issuer,
// self-signed, expired, or made out to another name.
func refusedCertificate(s string) bool {
	for _, w := range []string{
		"ssl certificate problem",                 // curl, OpenSSL: unknown issuer, self-signed, expired
		"server certificate verification failed",  // curl, GnuTLS
		"no alternative certificate subject name", // curl: another name
		"does not match target host name",         // curl, GnuTLS: another name
		"x509: certificate",                       // Go: unknown authority, expired, another name
		"tls: failed to verify certificate",       // Go
	} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// forbiddenTransport is the transport git's words in s (lower case) say
// its protocol policy forbids ("fatal: transport 'ssh' not allowed", or
// the same without "fatal: " once a report has cleaned it), or "". The
// name goes into a hint: only what a URL scheme may hold is taken.
func forbiddenTransport(s string) string {
	_, rest, ok := strings.Cut(s, "transport '")
	name, rest, ok2 := strings.Cut(rest, "'")
	if !ok || !ok2 || !strings.HasPrefix(rest, " not allowed") || name == "" || len(name) > 32 ||
		strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789+.-") != "" {
		return ""
	}
	return name
}

// transportName is the name git's protocol policy knows url's transport
// by (protocol.<name>.allow): the one git's words in err give, else read
// from url, where an scp-like URL is ssh and a path is file.
func transportName(err error, url string) string {
	if name := forbiddenTransport(strings.ToLower(stderrOf(err))); name != "" {
		return name
	}
	switch scheme, _, ok := strings.Cut(url, "://"); {
	case ok:
		return strings.ToLower(scheme)
	case isSSH(url):
		return "ssh"
	}
	return "file"
}

// isSSH reports whether url is an ssh:// or scp-like (user@host:path) URL.
func isSSH(url string) bool {
	if strings.HasPrefix(url, "ssh://") || strings.HasPrefix(url, "git+ssh://") || strings.HasPrefix(url, "ssh+git://") {
		return true
	}
	colon, slash := strings.IndexByte(url, ':'), strings.IndexByte(url, '/')
	return !strings.Contains(url, "://") && colon > 0 && (slash < 0 || colon < slash)
}

// ExplainRead is Explain for a fetch or a listing for one: there a 403
// means the token may not read the repository, not that it may not
// write.
func ExplainRead(err error, url string) error { return ExplainReadAs(err, url, Account{}) }

// ExplainReadAs is ExplainRead for a server whose forge and account are
// known, as ExplainAs is for Explain.
func ExplainReadAs(err error, url string, acct Account) error {
	e := ExplainAs(err, url, acct)
	var he *HintError
	if !errors.As(e, &he) || he.Kind != KindNoWrite || acct.needsName() && !acct.NoToken {
		return e // Gitee's 403 is its account-name hint, on a fetch too
	}
	hint := []i18n.Msg{i18n.M("the token for %s cannot read this repository: it needs read scope (GitHub: repo or contents:read; GitLab: read_repository; Gitee: projects)", hostURL(url))}
	if acct.NoToken {
		hint = []i18n.Msg{acct.NoTokenHint(url)}
	}
	read := &HintError{Kind: KindNoRead, URL: url, Err: he.Err, hint: hint}
	read.Hint = read.HintIn(nil)
	return read
}
