package fedsync

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/git-remote-federate/git-remote-federate/internal/delivery"
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
// Where the repository is is asked of git once per engine (RepoLookup);
// whether its queue exists, every time.
func (e *Engine) openRepoQueue(ctx context.Context) *repoQueue {
	e.repoOnce.Do(func() {
		if e.repo = e.cfg.RepoLookup; e.repo == nil {
			e.repo = StartRepoLookup(ctx, e.cfg.Git, e.cfg.Repo)
		}
	})
	gitDir, common := e.repo.Wait()
	if gitDir == "" {
		return nil
	}
	q := pending.Open(gitDir)
	if _, err := os.Stat(q.Path()); err != nil {
		return nil
	}
	return &repoQueue{q: q, objects: filepath.Join(common, "objects")}
}

// RepoLookup is where the repository of a directory keeps its pending
// queue, as `git rev-parse` says: its git dir and common dir. Every
// federation listed in-process asks it, so a caller starts it ahead
// (StartRepoLookup), beside its own first work: looked up when the first
// listings came back, it held up every federation then in flight for a
// git process.
type RepoLookup struct {
	done chan struct{}
	// unasked is the git dir the files name (gitexec.FindGitDir), which
	// held no queue when the lookup started, so git was not asked: git
	// is asked once a queue is there (a daemon outlives many pushes).
	unasked string
	ask     func() // runs git, and sets gitDir and common
	mu      sync.Mutex
	asked   bool

	gitDir, common string // "" outside a repository
}

// StartRepoLookup starts looking up the repository dir is in, with g's
// git and environment as every child of an engine has it (childEnv),
// and returns at once; dir "" is the current directory. Where the files
// tell that git would find no repository, or which git dir it would
// find and that it holds no pending queue, no git runs (until a queue
// is there): git would only say "not a git repository", or name a
// repository with nothing queued, at the cost of a process that reads
// the whole config, in the repository that holds thousands of
// federations every one of them.
func StartRepoLookup(ctx context.Context, g gitexec.Runner, dir string) *RepoLookup {
	g.Env = childEnv(g.Env)
	g.Dir, g.Stderr, g.Timeout = dir, nil, ListTimeout
	l := &RepoLookup{done: make(chan struct{})}
	l.ask = func() {
		out, err := g.Output(ctx, "rev-parse", "--path-format=absolute", "--absolute-git-dir", "--git-common-dir")
		if err != nil {
			return // not a repository: nothing is queued
		}
		if gitDir, common, ok := strings.Cut(strings.TrimSpace(string(out)), "\n"); ok {
			l.gitDir, l.common = gitDir, common
		}
	}
	gitDir, sure := gitexec.FindGitDir(dir)
	if sure && !queued(gitDir) {
		l.unasked = gitDir
		close(l.done)
		return l
	}
	go func() {
		defer close(l.done)
		l.ask()
	}()
	return l
}

// queued reports whether gitDir ("": none) may hold a pending queue.
func queued(gitDir string) bool {
	if gitDir == "" {
		return false
	}
	_, err := os.Lstat(pending.Open(gitDir).Path())
	return !errors.Is(err, fs.ErrNotExist)
}

// Wait returns what the lookup found, once git has answered: the git
// dir and the common dir, or "" outside a repository or while nothing
// is queued where git was not asked.
func (l *RepoLookup) Wait() (gitDir, common string) {
	<-l.done
	if l.unasked == "" {
		return l.gitDir, l.common
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.asked && queued(l.unasked) {
		l.asked = true
		l.ask()
	}
	return l.gitDir, l.common
}

// settle settles what is queued for mirror m once sync is done with it
// (delivery.Decide): against origin's refs now (upstream) and the
// mirror's as sync left them (its listing, l, with what sync's own push
// r landed), an entry the mirror has is dropped, one origin moved on from
// waits, and the rest is pushed; delivery.Write records the outcome,
// with the mirror's value as the old value of what stays queued. A
// mirror sync could not list or push to counts an attempt for what was
// to go, with the same reason a push's fan-out gives.
//
// That push runs in the sync cache, borrowing the repository's objects:
// neither the repository's hooks nor its push settings (push.followTags,
// a pre-push hook) apply to sync, which the user did not run as a push.
func (e *Engine) settle(ctx context.Context, rq *repoQueue, c *cache, f *federation.Federation, m federation.Endpoint, upstream *refs.Listing, l listing, r *MirrorResult) error {
	entries, err := rq.q.ForMirror(m.Raw)
	if err != nil || len(entries) == 0 {
		return err
	}
	var now *refs.Listing
	if r.err == nil {
		now = landed(l.all, r)
	}
	p := delivery.Decide(m.Raw, entries, upstream, now)
	res := delivery.Result{Plan: p, Failed: r.err}
	if r.err == nil && len(p.Todo) > 0 {
		res = e.deliver(ctx, rq, c, f, m, p)
	}
	res.Listed = now // what the mirror did not take keeps its value as the old one
	w := delivery.Write(res)
	dropErr, queueErr := w.Apply(ctx, rq.q)
	if n := len(w.Queue); n > 0 && r.err == nil {
		// The queue keeps the reason in English; so does this error, but
		// a push that failed as a whole says what to do about it.
		why := errors.New(w.Queue[0].Reason)
		if res.Failed != nil {
			why = gitexec.ExplainAs(res.Failed, m.Raw, e.account(ctx, m.Raw))
		}
		err = i18n.Errorf("%d queued update(s) still refused: %w", n, why)
	}
	for _, werr := range []error{dropErr, queueErr} {
		switch {
		case werr == nil:
		case err == nil:
			err = werr
		default:
			err = i18n.Errorf("%w; %w", err, werr)
		}
	}
	return err
}

// landed is the mirror's refs once sync's push (r) is done: its listing
// with each ref r pushed at origin's value.
func landed(listed *refs.Listing, r *MirrorResult) *refs.Listing {
	if listed == nil {
		listed = &refs.Listing{}
	}
	took := map[string]string{}
	for _, ref := range r.Refs {
		switch {
		case ref.Result != ResultOK:
		case ref.Action == ActDelete:
			took[ref.Ref] = ""
		default:
			took[ref.Ref] = ref.Origin
		}
	}
	return delivery.After(listed, took)
}

// deliver pushes p.Todo to m from the cache, with the repository's
// objects as alternates. Their LFS objects go first; without them
// nothing is pushed.
func (e *Engine) deliver(ctx context.Context, rq *repoQueue, c *cache, f *federation.Federation, m federation.Endpoint, p delivery.Plan) delivery.Result {
	push := gitexec.Push{URL: m.Raw}
	var tips []string
	for _, t := range p.Todo {
		push.Updates = append(push.Updates, t.Update())
		if !t.Delete() {
			tips = append(tips, t.OID)
		}
	}
	g := e.runner(f, c.dir, PushTimeout)
	g.Env = append(append([]string(nil), g.Env...), "GIT_ALTERNATE_OBJECT_DIRECTORIES="+rq.objects)
	if err := e.uploadLFS(ctx, f, g, m, tips, nil, filepath.Dir(rq.objects)); err != nil {
		return delivery.Result{Plan: p, Failed: delivery.Ours(delivery.LFSReason(err))}
	}
	var res gitexec.PushResult
	err := e.net(ctx, func() error {
		var err error
		res, err = g.Push(ctx, push)
		return err
	})
	return delivery.ChildResult(p, res, err)
}
