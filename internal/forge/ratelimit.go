package forge

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// ErrRateLimited means the forge refused a call because the token's (or,
// without one, the address's) request budget is spent: HTTP 429, or 403
// with no request left. The StatusError says until when, when the forge
// said.
var ErrRateLimited = i18n.Errorf("the forge's API request budget is spent")

// budget is what a forge's answer says about the requests left before
// its rate-limit window resets.
type budget struct {
	remaining, limit int       // -1: not said
	reset            time.Time // zero: not said
}

// readBudget reads an answer's rate-limit headers: X-RateLimit-* (GitHub,
// Gitea and Gitee when they send them) or RateLimit-* (GitLab). ok is
// false when the answer says nothing of the requests left.
func readBudget(h http.Header, now time.Time) (b budget, ok bool) {
	for _, prefix := range []string{"X-RateLimit-", "RateLimit-"} {
		rem, ok := headerInt(h, prefix+"Remaining")
		if !ok {
			continue
		}
		b = budget{remaining: max(rem, 0), limit: -1, reset: resetTime(h, prefix, now)}
		if l, ok := headerInt(h, prefix+"Limit"); ok {
			b.limit = l
		}
		return b, true
	}
	return budget{remaining: -1, limit: -1}, false
}

// resetTime is when the window resets: a Unix time in <prefix>Reset
// (GitHub, GitLab), or seconds from now there (the IETF draft's form:
// no Unix time is that small), else GitLab's RFC 1123 <prefix>ResetTime.
func resetTime(h http.Header, prefix string, now time.Time) time.Time {
	if n, ok := headerInt(h, prefix+"Reset"); ok && n >= 0 {
		if n < 1_000_000_000 {
			return now.Add(time.Duration(n) * time.Second)
		}
		return time.Unix(int64(n), 0)
	}
	if t, err := http.ParseTime(h.Get(prefix + "ResetTime")); err == nil {
		return t
	}
	return time.Time{}
}

func headerInt(h http.Header, name string) (int, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// answerError is the error of a non-2xx answer. A refusal for a spent
// budget is marked RateLimited; one that asks to come back within
// gitexec.MaxRetryAfter (Retry-After, or the budget's reset), and any
// 503, comes wrapped in a *gitexec.BusyError, which gitexec.Retry waits
// for. One whose budget comes back later fails at once: waiting up to an
// hour for GitHub's window is not a retry.
func answerError(se *StatusError, h http.Header, now time.Time) error {
	b, known := readBudget(h, now)
	after := gitexec.ParseRetryAfter(h.Get("Retry-After"), now)
	spent := known && b.remaining == 0
	switch {
	case se.Status == http.StatusTooManyRequests,
		se.Status == http.StatusForbidden && (spent || h.Get("Retry-After") != ""):
		se.RateLimited = true
	case se.Status != http.StatusServiceUnavailable:
		return se
	}
	if after == 0 && spent && !b.reset.IsZero() {
		after = max(b.reset.Sub(now), 0)
	}
	if se.RateLimited && after > 0 {
		se.Reset = now.Add(after)
	}
	if after > gitexec.MaxRetryAfter {
		return se
	}
	return &gitexec.BusyError{Err: se, After: after}
}

// clock is a time of day as messages show it, in the local zone.
func clock(t time.Time) string { return t.Local().Format("15:04:05 MST") }
