package fedcmd

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// pendingQueue settles, during a sync, the updates that pushes from one
// repository queued for mirrors that refused them
// ($GIT_DIR/federate/pending).
type pendingQueue struct {
	q   *pending.Queue
	git gitexec.Runner // runs in the repository, with the credential callback
}

// repoQueue returns the pending queue of the repository dir is in, or
// nil when dir is not in a repository or nothing is queued there.
func repoQueue(ctx context.Context, dir string, git gitexec.Runner) *pendingQueue {
	g := git
	g.Dir = dir
	out, err := g.Output(ctx, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return nil
	}
	gitDir := strings.TrimSpace(string(out))
	q := pending.Open(gitDir)
	if _, err := os.Stat(q.Path()); err != nil {
		return nil
	}
	g.Dir = gitDir
	return &pendingQueue{q: q, git: g}
}

// DrainPending implements fedsync.PendingDrainer. The mirror now holds
// origin's value of every covered ref, which supersedes a queued update
// of that ref. What sync does not carry (refs it does not cover, and
// deletes of refs origin no longer has) is pushed from the repository,
// and dropped from the queue once the mirror took it.
func (p *pendingQueue) DrainPending(ctx context.Context, f *federation.Federation, m federation.Endpoint, now map[string]string) error {
	entries, err := p.q.ForMirror(m.Raw)
	if err != nil || len(entries) == 0 {
		return err
	}
	var settled, deliver []pending.Entry
	for _, e := range entries {
		covered := strings.HasPrefix(e.Ref, "refs/") && f.Covers(e.Ref)
		switch {
		case covered && !e.Delete():
			settled = append(settled, e)
		case covered && now[e.Ref] != "":
			settled = append(settled, e) // origin has the ref again
		default:
			deliver = append(deliver, e)
		}
	}
	if len(deliver) > 0 {
		args := []string{"push", "--porcelain", "--no-progress", "--", m.Raw}
		for _, e := range deliver {
			args = append(args, e.Refspec())
		}
		if err := p.git.Run(ctx, args...); err != nil {
			err = fmt.Errorf("%d queued update(s) still refused: %w", len(deliver), gitexec.Explain(err, m.Raw))
			p.recordAttempt(ctx, deliver, err)
			return err
		}
		settled = append(settled, deliver...)
	}
	return p.q.Remove(ctx, settled...)
}

// recordAttempt counts a failed delivery in the queue and keeps its error
// as the entries' last error, for `git federate status`.
func (p *pendingQueue) recordAttempt(ctx context.Context, entries []pending.Entry, err error) {
	again := make([]pending.Entry, len(entries))
	for i, e := range entries {
		e.Reason = err.Error()
		again[i] = e
	}
	// A failure to write is not worth hiding the delivery error for: the
	// entries are still queued either way.
	_ = p.q.Add(ctx, again...)
}
