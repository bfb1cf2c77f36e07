package gitexec

import (
	"bytes"
	"context"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
)

// ErrNotSmart is the error of a listing of an http(s) server that came
// back empty from an answer that was not git's smart HTTP.
var ErrNotSmart = i18n.Errorf("listed no refs in an answer that is not git's smart HTTP (cut short?); not taken as an empty repository")

// LsRemote runs `git ls-remote [flags] -- url` and returns its output.
// An http(s) server that lists no ref is listed again, tracing the
// packets git reads, and its empty answer is kept only when git read a
// smart advertisement; otherwise the error is ErrNotSmart. A connection
// cut inside the headers of the answer to info/refs leaves git a 200
// without the smart Content-Type: git reads the empty body as a dumb
// server's ref list, prints nothing and exits 0, which a caller would
// take as a server that deleted every ref.
func (r Runner) LsRemote(ctx context.Context, url string, flags ...string) ([]byte, error) {
	args := append(append([]string{"ls-remote"}, flags...), "--", url)
	out, err := r.Output(ctx, args...)
	server := strings.TrimPrefix(url, plainPrefix)
	if err != nil || !strings.HasPrefix(server, "http://") && !strings.HasPrefix(server, "https://") {
		return out, err
	}
	if a, perr := refs.ParseLsRemote(out); perr != nil || len(a.Refs) > 0 {
		return out, nil
	}
	var trace bytes.Buffer
	r.Env = setEnv(append([]string(nil), r.environ()...), "GIT_TRACE_PACKET", "1")
	r.Stderr = &trace
	if out, err = r.Output(ctx, args...); err != nil {
		return out, err
	}
	if a, perr := refs.ParseLsRemote(out); perr != nil || len(a.Refs) > 0 || smartAnswer(trace.String()) {
		return out, nil
	}
	return nil, ErrNotSmart
}

// smartAnswer reports whether a GIT_TRACE_PACKET trace shows a smart
// server's first packet: "# service=…" (protocol v0) or "version 2".
func smartAnswer(trace string) bool {
	for _, line := range strings.Split(trace, "\n") {
		_, pkt, ok := strings.Cut(line, "< ")
		if ok && (strings.HasPrefix(pkt, "# service=") || strings.HasPrefix(pkt, "version ")) {
			return true
		}
	}
	return false
}
