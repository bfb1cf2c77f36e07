package helper

import (
	"context"
	"errors"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// pushTargetDown is the one-line failure of a push whose first server
// (origin, or the first mirror with pushOrigin = false) could not list its
// refs. Nothing has been sent anywhere at that point, and the user is told
// so, with what to do; the raw "git ls-remote failed (exit 128)" says
// neither.
func (s *Session) pushTargetDown(target federation.Endpoint, err error) error {
	where := s.named(target.Raw)
	var he *gitexec.HintError
	if errors.As(err, &he) && he.Kind == gitexec.KindForbidden {
		// Nothing was sent: git's own policy stopped it, in git's words.
		return i18n.Errorf("%s: %s (%s); nothing was pushed anywhere", where, cause(nil, err), he.HintIn(nil))
	}
	if errors.As(err, &he) && he.Kind != gitexec.KindBusy {
		// The server answered: a token, scope or name problem, which the
		// hint already says how to fix.
		return i18n.Errorf("%s refused the push: %s; nothing was pushed anywhere", where, he.Hint)
	}
	if gitexec.IsBusy(err) {
		return s.busyDown(where)
	}
	advice := i18n.M("retry when it is back")
	if s.role(target.Raw) == "origin" {
		if s.Fed.Name != "" {
			advice = i18n.M("retry when it is back, or set pushOrigin = false (`git config federation.%s.pushOrigin false`) if origin is meant to be read-only", s.Fed.Name)
		} else {
			advice = i18n.M("retry when it is back, or set pushOrigin = false if origin is meant to be read-only")
		}
	}
	var why any = cause(nil, err)
	if se := (*stall.Error)(nil); gitexec.IsStalled(err) || errors.As(err, &se) {
		_, key := s.Fed.TimeoutOf(target)
		why = i18n.M("no answer within %s while listing its refs; the limit is %s", s.listLimitOf(target).String(), key)
	}
	return i18n.Errorf("%s is unreachable (%s): nothing was pushed anywhere; %s", where, why, advice)
}

// primaryFailed rewrites the reason of each ref the first server never
// answered for (the push failed as a whole: a cut connection, a crash of
// the server): it names the server, and says the mirrors were not sent
// the push, so a retry is all it takes.
func (s *Session) primaryFailed(url string, status []transport.Status) []transport.Status {
	for i, st := range status {
		if st.Unreported {
			status[i].Reason = transport.Ours(st.Reason.Code, i18n.M("%s: %s; not sent to the mirrors, retry the push",
				s.named(url), st.Reason))
		}
	}
	return status
}

// fetchBroke tells the user which server a fetch lost in the middle of
// its answer; git's own lines ("RPC failed; curl 18", "early EOF") name
// none. git updates no ref of a fetch that failed. A server that
// refused the token midway (stderr, git's, says 401, 403 or 404: a
// token revoked) did not break: that is said, with what to do.
func (s *Session) fetchBroke(ctx context.Context, srv federation.Endpoint, stderr string) {
	err := s.explainRead(ctx, &gitexec.Error{Subcommand: "fetch", Stderr: stderr}, srv.Raw)
	var he *gitexec.HintError
	if errors.As(err, &he) && gitexec.Refused(err) {
		s.P.Fprintf(s.Stderr, "error: federate: %s refused the fetch: nothing was updated\nhint: %s\n",
			s.named(srv.Raw).Localize(s.P), he.HintIn(s.P))
		return
	}
	s.P.Fprintf(s.Stderr, "error: federate: the connection to %s broke during the fetch: nothing was updated; run the fetch again\n",
		s.named(srv.Raw).Localize(s.P))
}

// named is how a message names server url, masked: "origin <url>" or
// "mirror <url>", in the user's language when printed.
func (s *Session) named(url string) i18n.Msg {
	if s.role(url) == "origin" {
		return i18n.M("origin %s", redact.URL(url))
	}
	return i18n.M("mirror %s", redact.URL(url))
}

// role is how a message names server url: "origin" or "mirror".
func (s *Session) role(url string) string {
	if url == s.Fed.Origin.Raw {
		return "origin"
	}
	return "mirror"
}

// timeoutKey is the config key of the federation's time limit.
func (s *Session) timeoutKey() string { return s.Fed.TimeoutKey() }

// cause is why err, a server's failure, happened, in one printable line:
// git's (curl's, ssh's) own short words (gitexec.Cause), else the error's
// own, in p's language.
func cause(p *i18n.Printer, err error) string {
	var se *ServerError
	var ge *gitexec.Error
	switch {
	case errors.As(err, &se) && strings.TrimSpace(se.Stderr) != "":
		return gitexec.Cause(se.Stderr)
	case errors.As(err, &ge) && strings.TrimSpace(ge.Stderr) != "":
		return gitexec.Cause(ge.Stderr)
	case se != nil:
		return redact.OneLine(p.Error(se.Err))
	}
	return redact.OneLine(p.Error(err))
}
