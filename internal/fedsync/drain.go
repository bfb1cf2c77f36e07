package fedsync

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
)

// repoQueue is the pending queue of the repository sync runs in: the
// updates its pushes queued for mirrors that refused them.
type repoQueue struct {
	q       *pending.Queue
	objects string // the repository's object directory
}

// RepoQueue is the pending queue of the repository the engine runs in
// (Config.Repo), for reports; nil outside a repository or when nothing
// was ever queued there.
func (e *Engine) RepoQueue(ctx context.Context) *pending.Queue {
	if e.cfg.Repo == "" {
		return nil
	}
	if rq := e.openRepoQueue(ctx); rq != nil {
		return rq.q
	}
	return nil
}

// openRepoQueue finds the pending queue of the repository cfg.Repo is in. It
// returns nil when it is not in a repository or nothing is queued there.
// Where the repository is is asked of git once per engine; whether its
// queue exists, every time.
func (e *Engine) openRepoQueue(ctx context.Context) *repoQueue {
	e.repoOnce.Do(func() {
		g := e.runner(nil, e.cfg.Repo, ListTimeout)
		out, err := g.Output(ctx, "rev-parse", "--path-format=absolute", "--absolute-git-dir", "--git-common-dir")
		if err != nil {
			return
		}
		if gitDir, common, ok := strings.Cut(strings.TrimSpace(string(out)), "\n"); ok {
			e.repoDirs = [2]string{gitDir, common}
		}
	})
	gitDir, common := e.repoDirs[0], e.repoDirs[1]
	if gitDir == "" {
		return nil
	}
	q := pending.Open(gitDir)
	if _, err := os.Stat(q.Path()); err != nil {
		return nil
	}
	return &repoQueue{q: q, objects: filepath.Join(common, "objects")}
}

// settle settles what is queued for mirror m, which now holds origin's
// value (now) of every ref f covers: that supersedes a queued update of
// a covered ref. What sync does not carry (refs it does not cover, and
// deletes of refs origin no longer has) is pushed, and dropped from the
// queue once the mirror took it.
//
// That push runs in the sync cache, borrowing the repository's objects:
// neither the repository's hooks nor its push settings (push.followTags,
// a pre-push hook) apply to sync, which the user did not run as a push.
func (e *Engine) settle(ctx context.Context, rq *repoQueue, c *cache, f *federation.Federation, m federation.Endpoint, now *refs.Listing) error {
	entries, err := rq.q.ForMirror(m.Raw)
	if err != nil || len(entries) == 0 {
		return err
	}
	var settled, deliver []pending.Entry
	for _, en := range entries {
		covered := covers(f)(en.Ref)
		switch {
		case covered && !en.Delete():
			settled = append(settled, en)
		case covered && now.OID(en.Ref) != "":
			settled = append(settled, en) // origin has the ref again
		default:
			deliver = append(deliver, en)
		}
	}
	var refused int
	if len(deliver) > 0 {
		took, err := e.deliver(ctx, rq, c, f, m, deliver)
		settled = append(settled, took...)
		refused = len(deliver) - len(took)
		if err != nil && refused > 0 {
			err = i18n.Errorf("%d queued update(s) still refused: %w", refused, gitexec.ExplainAs(err, m.Raw, e.account(ctx, m.Raw)))
			rq.recordAttempt(ctx, deliver, took, err)
			if rmErr := rq.q.Remove(ctx, settled...); rmErr != nil {
				return i18n.Errorf("%w; %w", err, rmErr)
			}
			return err
		}
	}
	return rq.q.Remove(ctx, settled...)
}

// deliver pushes entries to m from the cache, with the repository's
// objects as alternates, and returns the entries m took. Their LFS
// objects go first; without them nothing is pushed.
func (e *Engine) deliver(ctx context.Context, rq *repoQueue, c *cache, f *federation.Federation, m federation.Endpoint, entries []pending.Entry) ([]pending.Entry, error) {
	p := gitexec.Push{URL: m.Raw}
	var tips []string
	for _, en := range entries {
		u := gitexec.Update{Dst: en.Ref, Force: en.Force}
		if !en.Delete() {
			u.Src = en.OID
			tips = append(tips, en.OID)
		}
		p.Updates = append(p.Updates, u)
	}
	g := e.runner(f, c.dir, PushTimeout)
	g.Env = append(append([]string(nil), g.Env...), "GIT_ALTERNATE_OBJECT_DIRECTORIES="+rq.objects)
	if err := e.uploadLFS(ctx, f, g, m, tips, nil, filepath.Dir(rq.objects)); err != nil {
		return nil, err
	}
	var res gitexec.PushResult
	err := e.net(ctx, func() error {
		var err error
		res, err = g.Push(ctx, p)
		return err
	})
	var took []pending.Entry
	for _, en := range entries {
		if res.Report(en.Ref).OK() {
			took = append(took, en)
		}
	}
	return took, err
}

// recordAttempt counts a failed delivery of the entries of tried that
// are not in took, keeping err as their last error for
// `git federate status`.
func (rq *repoQueue) recordAttempt(ctx context.Context, tried, took []pending.Entry, err error) {
	var again []pending.Entry
	for _, en := range tried {
		if !slices.ContainsFunc(took, func(t pending.Entry) bool { return t.Ref == en.Ref }) {
			en.Reason = err.Error()
			again = append(again, en)
		}
	}
	// A failure to write is not worth hiding the delivery error for: the
	// entries are still queued either way.
	_ = rq.q.Add(ctx, again...)
}
