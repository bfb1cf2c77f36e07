package fedsync

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/fedset"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
	"github.com/git-remote-federate/git-remote-federate/internal/sendpack"
)

// Options are the per-run switches of `git federate sync`. Force and
// Prune add to the federation's own force/prune settings.
type Options struct {
	DryRun bool
	Force  bool
	Prune  bool
	// Full lists every federation's refs even when its forge reports no
	// push to origin since the last sync left the mirrors in sync.
	Full bool
}

// Result values of a RefResult.
const (
	ResultOK       = "ok"       // the mirror took the push
	ResultRejected = "rejected" // the mirror refused it (Reason says why)
	ResultFailed   = "failed"   // the push did not complete
	ResultKept     = "kept"     // left as is (see Action keep)
	ResultPlanned  = "planned"  // --dry-run: would be pushed
	ResultNone     = "none"     // nothing to do
)

// RefResult is one ref of one mirror: its plan and, for sync, what came
// of it.
type RefResult struct {
	RefPlan
	Result string `json:"result,omitempty"`
	Reason string `json:"reason,omitempty"`
	held   bool   // a delete held back by holdPrune
	moved  bool   // a delete or forced update left as it is: origin moved (confirm)
}

// MirrorResult is one mirror of a federation.
type MirrorResult struct {
	URL    string      `json:"url"`
	Error  string      `json:"error,omitempty"`
	Pushed bool        `json:"pushed"` // a git push ran
	Refs   []RefResult `json:"refs"`
	// LFSMissing (status only) counts the LFS objects of origin's refs
	// the mirror lacks; -1 when the mirror could not tell.
	LFSMissing int `json:"lfs_missing,omitempty"`
	err        error
}

// Err is what went wrong with the mirror as a whole, if anything.
func (m *MirrorResult) Err() error { return m.err }

// OutOfSync reports whether any ref of the mirror is not in sync, or
// the mirror lacks LFS objects of origin's refs.
func (m *MirrorResult) OutOfSync() bool {
	if m.LFSMissing > 0 {
		return true
	}
	for _, r := range m.Refs {
		if r.State != InSync {
			return true
		}
	}
	return false
}

// incomplete reports whether sync left work undone on this mirror: an
// error, a refused ref, or an ahead/diverged ref it kept.
func (m *MirrorResult) incomplete() bool {
	if m.err != nil {
		return true
	}
	for _, r := range m.Refs {
		if r.Result == ResultRejected || r.Result == ResultFailed || r.held ||
			r.Action == ActKeep && (r.State == Ahead || r.State == Diverged) && !r.moved {
			return true
		}
	}
	return false
}

// FederationResult is one federation's status or sync.
type FederationResult struct {
	Name    string `json:"name"`
	Origin  string `json:"origin"`
	DryRun  bool   `json:"dry_run,omitempty"`
	Fetched bool   `json:"fetched"` // the cache fetched from origin
	// Unchanged: skipped without listing refs, because the forge reports
	// no push to origin since a sync that left every mirror in sync.
	Unchanged bool           `json:"unchanged,omitempty"`
	Error     string         `json:"error,omitempty"`
	Mirrors   []MirrorResult `json:"mirrors"`
	err       error
}

// Err is the failure of the whole federation (origin unreachable, cache
// broken, lock busy), if any.
func (r *FederationResult) Err() error { return r.err }

// Outcome is "ok", "partial" (some mirrors failed or kept refs) or
// "failed" (nothing could be done).
func (r *FederationResult) Outcome() string {
	if r.err != nil {
		return "failed"
	}
	bad := 0
	for i := range r.Mirrors {
		if r.Mirrors[i].incomplete() {
			bad++
		}
	}
	switch {
	case bad == 0:
		return "ok"
	case bad == len(r.Mirrors) && allErrored(r.Mirrors):
		return "failed"
	}
	return "partial"
}

func allErrored(ms []MirrorResult) bool {
	for i := range ms {
		if ms[i].err == nil {
			return false
		}
	}
	return true
}

// OutOfSync reports whether any mirror ref is not in sync.
func (r *FederationResult) OutOfSync() bool {
	for i := range r.Mirrors {
		if r.Mirrors[i].OutOfSync() {
			return true
		}
	}
	return false
}

// Sync brings f's mirrors up to date from its origin.
func (e *Engine) Sync(ctx context.Context, f *federation.Federation, opts Options) *FederationResult {
	return e.run(ctx, f, opts, !opts.DryRun)
}

// Status compares every covered ref of f's origin and mirrors. The
// actions it reports are what sync would do with f's own settings.
func (e *Engine) Status(ctx context.Context, f *federation.Federation) *FederationResult {
	return e.run(ctx, f, Options{DryRun: true}, false)
}

// SyncAll syncs feds, Jobs federations at a time, and returns their
// results in the order given.
func (e *Engine) SyncAll(ctx context.Context, feds []*federation.Federation, opts Options) []*FederationResult {
	out := make([]*FederationResult, 0, len(feds))
	e.SyncEach(ctx, feds, opts, func(r *FederationResult, _ bool) { out = append(out, r) })
	return out
}

// SyncEach syncs feds, Jobs federations at a time, and hands each result
// to report in the order of feds, as soon as it and those before it are
// done: a run over thousands of federations keeps only the results not
// yet reported. report is called from one goroutine at a time; more
// says whether the next result is ready already (a writer flushes when
// it is not).
func (e *Engine) SyncEach(ctx context.Context, feds []*federation.Federation, opts Options, report func(r *FederationResult, more bool)) {
	e.each(ctx, feds, func(ctx context.Context, f *federation.Federation) *FederationResult {
		return e.Sync(ctx, f, opts)
	}, report)
}

// StatusAll is Status for each of feds, Jobs at a time.
func (e *Engine) StatusAll(ctx context.Context, feds []*federation.Federation) []*FederationResult {
	out := make([]*FederationResult, 0, len(feds))
	e.each(ctx, feds, e.Status, func(r *FederationResult, _ bool) { out = append(out, r) })
	return out
}

// each runs fn for every federation and reports the results in order.
func (e *Engine) each(ctx context.Context, feds []*federation.Federation, fn func(context.Context, *federation.Federation) *FederationResult,
	report func(r *FederationResult, more bool)) {
	type finished struct {
		i int
		r *FederationResult
	}
	// Network commands are bounded by the engine's Jobs slots; more
	// federations than slots are in flight so that a slot freed while one
	// federation does its local work (lock, cache, plan) is taken at once.
	// Each of them runs on one of inFlight goroutines that take the
	// federations in order: a goroutine for each federation began with a
	// small stack and grew it, thousands of times in a run.
	inFlight := min(4*e.cfg.Jobs, len(feds))
	results := make(chan finished, inFlight)
	var taken atomic.Int64
	var running sync.WaitGroup
	for range inFlight {
		running.Go(func() {
			for i := int(taken.Add(1)) - 1; i < len(feds); i = int(taken.Add(1)) - 1 {
				results <- finished{i, fn(ctx, feds[i])}
			}
		})
	}
	go func() {
		running.Wait()
		close(results)
	}()
	held := map[int]*FederationResult{} // done before one ahead of them
	next := 0
	for f := range results {
		held[f.i] = f.r
		for r, ok := held[next]; ok; r, ok = held[next] {
			delete(held, next)
			next++
			_, more := held[next]
			report(r, more || len(results) > 0)
		}
	}
}

func (e *Engine) run(ctx context.Context, f *federation.Federation, opts Options, push bool) *FederationResult {
	res := &FederationResult{Name: f.Name, Origin: f.Origin.Raw, DryRun: opts.DryRun, Mirrors: []MirrorResult{}}
	if err := e.runLocked(ctx, f, opts, push, res); err != nil {
		res.err = i18n.Errorf("%s: %w", f.Name, err)
		res.Error = res.err.Error()
	}
	if push && !res.Unchanged {
		e.recordHint(f, res)
	}
	return res
}

func (e *Engine) runLocked(ctx context.Context, f *federation.Federation, opts Options, push bool, res *FederationResult) error {
	if e.unchangedByForge(ctx, f, opts, push) {
		res.Unchanged = true
		return nil
	}
	var pre *listings
	var clients []*httpx.Client
	if push {
		clients = e.inProcessClients(ctx, f)
	}
	if clients != nil {
		// An unchanged federation is decided from its listings alone,
		// before the lock: no git process, no write to the cache.
		pre = e.listAll(ctx, f, push, clients)
		if pre.err != nil {
			return pre.err
		}
		if pre.inSync() && !e.queuedFor(ctx, f) {
			res.Mirrors = inSyncResults(f, pre)
			return nil
		}
	}
	if ctx.Err() != nil {
		// Stopped (SIGINT, SIGTERM) while listing: what failed since
		// failed for that alone.
		return i18n.Errorf("interrupted: %w", context.Cause(ctx))
	}
	lock, err := e.lock(ctx, f.Name)
	if err != nil {
		return err
	}
	defer lock.release()
	c := &cache{dir: e.CachePath(f.Name), git: e.runner(f, e.CachePath(f.Name), FetchTimeout)}
	if err := c.ensure(ctx); err != nil {
		return err
	}
	// Listed (again) under the lock: what another sync left is the truth.
	// A listing may still be stale when a push happens; every push is a
	// compare-and-swap on the value listed. A mirror that just failed to
	// answer is not waited for twice.
	l := pre
	if l == nil || !l.mirrorFailed() {
		if l = e.listAll(ctx, f, push, nil); l.err != nil {
			return l.err
		}
		l.createdBy(pre)
	}
	origin, mirrors := l.origin, l.mirrors
	have, err := c.refs(ctx)
	if err != nil {
		return err
	}
	var held *pruneHold
	if opts.Prune || f.Prune {
		held = holdPrune(origin, have, mirrors)
	}
	changed, err := e.updateCache(ctx, f, c, have, origin)
	if err != nil {
		return err
	}
	res.Fetched = changed
	if changed {
		// The cache is the truth now: origin may have moved since its listing.
		if origin, err = c.refs(ctx); err != nil {
			return err
		}
	}
	var rq *repoQueue
	var upstream *refs.Listing
	if push && e.cfg.Repo != "" {
		rq = e.openRepoQueue(ctx)
		upstream = l.upstream(f, origin)
	}
	res.Mirrors = make([]MirrorResult, len(f.Mirrors))
	now := e.originAgain(ctx, f) // every mirror has answered
	var g errgroup.Group
	g.SetLimit(e.cfg.Jobs)
	for i, m := range f.Mirrors {
		g.Go(func() error {
			res.Mirrors[i] = e.mirror(ctx, f, c, m, origin, mirrors[i], opts, push, held, now, rq.forcedQueued(f, m, origin, mirrors[i].refs))
			if rq != nil {
				if err := e.settle(ctx, rq, c, f, m, upstream, mirrors[i], &res.Mirrors[i]); err != nil {
					e.progress(i18n.M("%s: %s: settling queued pushes: %v", f.Name, m.Raw, err))
				}
			}
			return nil
		})
	}
	_ = g.Wait()
	if n := heldRefs(res.Mirrors); n > 0 {
		e.progress(held.say(f, n))
	}
	return nil
}

// inProcessClients are the clients that list f's servers, origin's
// first, when this process lists every one of them, so that listing f
// before its lock costs a request per server and no git process; nil
// otherwise: a federation with a server only git lists keeps listing
// under the lock, once. They are chosen once, for the requests too.
func (e *Engine) inProcessClients(ctx context.Context, f *federation.Federation) []*httpx.Client {
	clients := make([]*httpx.Client, 1+len(f.Mirrors))
	for i := range clients {
		ep := f.Origin
		if i > 0 {
			ep = f.Mirrors[i-1]
		}
		c, err := e.lister.client(ctx, ep)
		if err != nil {
			return nil
		}
		clients[i] = c
	}
	return clients
}

// inSyncResults is the result of a federation whose every mirror listed
// origin's covered refs: each ref in sync, nothing to do. The mirrors
// share one slice of refs, read only: a run over 10,000 federations
// keeps every result until it reports.
func inSyncResults(f *federation.Federation, l *listings) []MirrorResult {
	origin := l.origin.Sorted()
	refs := make([]RefResult, len(origin))
	for j, r := range origin {
		refs[j] = RefResult{RefPlan: RefPlan{Ref: r.Name, State: InSync, Action: ActNone, Origin: r.OID, Mirror: r.OID}, Result: ResultNone}
	}
	out := make([]MirrorResult, len(f.Mirrors))
	for i, m := range f.Mirrors {
		out[i] = MirrorResult{URL: m.Raw, Refs: refs}
	}
	return out
}

func (e *Engine) lock(ctx context.Context, name string) (*fileLock, error) {
	if err := mkdirAll(e.cfg.CacheRoot); err != nil {
		return nil, err
	}
	wait := max(e.cfg.LockWait, 0)
	return acquireLock(ctx, e.lockPath(name), wait, func(holder string) {
		e.progress(i18n.M("%s: waiting for another sync (pid %s) to finish", name, holder))
	})
}

// listing is one mirror's listing outcome.
type listing struct {
	refs    *refs.Listing
	all     *refs.Listing // every ref listed, covered or not (the pending queue's)
	err     error
	created bool // the mirror did not exist: this run created it (createMissing)
}

// createdBy marks the mirrors that the listing before, pre (nil: none),
// created.
func (l *listings) createdBy(pre *listings) {
	if pre == nil {
		return
	}
	for i := range l.mirrors {
		l.mirrors[i].created = l.mirrors[i].created || pre.mirrors[i].created
	}
}

// listings are a federation's listings, covered refs only; err is
// origin's failure, the only fatal one.
type listings struct {
	origin    *refs.Listing
	originAll *refs.Listing // every ref origin listed, covered or not
	mirrors   []listing
	err       error
}

// upstream is origin's refs as the pending queue is judged against them:
// covered refs as the cache has them now (covered), the others as listed.
func (l *listings) upstream(f *federation.Federation, covered *refs.Listing) *refs.Listing {
	out := l.originAll.Filter(func(ref string) bool { return !covers(f)(ref) })
	out.Refs = append(out.Refs, covered.Filter(covers(f)).Refs...)
	return out
}

// inSync reports whether every mirror listed exactly origin's refs.
func (l *listings) inSync() bool {
	for _, m := range l.mirrors {
		if m.err != nil || !m.refs.Equal(l.origin) {
			return false
		}
	}
	return true
}

// mirrorFailed reports whether a mirror's listing failed.
func (l *listings) mirrorFailed() bool {
	return slices.ContainsFunc(l.mirrors, func(m listing) bool { return m.err != nil })
}

// listAll lists origin and every mirror at once: when nothing changed,
// that is all a sync costs. A mirror about to be pushed to is listed as
// a push lists it (receive-pack).
func (e *Engine) listAll(ctx context.Context, f *federation.Federation, push bool, clients []*httpx.Client) *listings {
	l := &listings{mirrors: make([]listing, len(f.Mirrors))}
	mirrorService := sendpack.UploadPack
	if push {
		mirrorService = sendpack.ReceivePack
	}
	// Every server's first request goes out at once, from this
	// goroutine, and the answers are waited for together. What they
	// leave to do (a busy server, one git lists, a missing mirror to
	// create) goes on beside, a goroutine for each such mirror; a server
	// git lists is started on before the wait.
	firsts := make([]listed, 1+len(f.Mirrors))
	covered := covers(f)
	var wg sync.WaitGroup
	var g errgroup.Group
	finish := func(i int, m federation.Endpoint) {
		g.Go(func() error {
			refs, err := e.finishListing(ctx, f, m, mirrorService, firsts[1+i])
			created := false
			switch {
			case err != nil && push:
				refs, created, err = e.createMissing(ctx, f, m, err)
			case err != nil && f.CreateMissing && gitexec.Classify(err) == gitexec.KindNotFound && fedset.Creatable(e.cfg.Federations, m):
				// status, --dry-run: create nothing, but say what sync would do
				err = i18n.Errorf("%w; `git federate sync %s` creates it (createMissing)", err, f.Name)
			}
			l.mirrors[i] = listing{refs: refs.Filter(covered), all: refs, err: err, created: created}
			return nil
		})
	}
	client := func(i int) *httpx.Client {
		if clients == nil {
			return nil // chosen by startListing
		}
		return clients[i]
	}
	e.startListing(ctx, &wg, &firsts[0], f, f.Origin, sendpack.UploadPack, client(0))
	for i, m := range f.Mirrors {
		if e.startListing(ctx, &wg, &firsts[1+i], f, m, mirrorService, client(1+i)); !firsts[1+i].started {
			finish(i, m)
		}
	}
	if !firsts[0].started {
		l.origin, l.err = e.finishListing(ctx, f, f.Origin, sendpack.UploadPack, firsts[0])
	}
	wg.Wait()
	for i, m := range f.Mirrors {
		switch first := firsts[1+i]; {
		case !first.started:
		case first.err == nil:
			l.mirrors[i] = listing{refs: first.refs.Filter(covered), all: first.refs}
		default:
			finish(i, m)
		}
	}
	if firsts[0].started {
		l.origin, l.err = e.finishListing(ctx, f, f.Origin, sendpack.UploadPack, firsts[0])
	}
	_ = g.Wait()
	if l.err != nil {
		l.err = i18n.Errorf("origin: %w", l.err)
		return l
	}
	l.originAll, l.origin = l.origin, l.origin.Filter(covered)
	return l
}

// createMissing creates mirror m when listing it failed because it does
// not exist and the federation asks for that (createMissing); it then
// lists the new, empty repository. Otherwise listErr stands.
func (e *Engine) createMissing(ctx context.Context, f *federation.Federation, m federation.Endpoint, listErr error) (*refs.Listing, bool, error) {
	if !f.CreateMissing || gitexec.Classify(listErr) != gitexec.KindNotFound {
		return nil, false, listErr
	}
	created, err := fedset.EnsureMirror(ctx, f, m, e.forgeDeps(ctx, f))
	if err != nil {
		return nil, false, i18n.Errorf("%w; creating it (createMissing): %w", listErr, err)
	}
	if !created {
		return nil, false, listErr
	}
	e.progress(i18n.M("%s: created missing mirror %s", f.Name, m.Raw))
	l, err := e.listRefs(ctx, f, m, sendpack.ReceivePack)
	return l, true, err
}

// originHead is origin's default branch for mirror m when m was empty
// (or did not exist) before this run and its forge can be told
// (fedset.OriginHead); "" otherwise. A mirror that had branches keeps
// the default its owner chose.
func (e *Engine) originHead(ctx context.Context, f *federation.Federation, m federation.Endpoint, l listing) string {
	if !l.created && l.all.Len() > 0 {
		return ""
	}
	branch, err := fedset.OriginHead(ctx, f, m, e.forgeDeps(ctx, f))
	if err != nil {
		return ""
	}
	return branch
}

// headFirst moves the update of branch to the front of todo: a forge
// that takes the first branch pushed to an empty repository as its
// default, as Gitea does after the push has returned, then agrees with
// setMirrorHead.
func headFirst(todo []RefPlan, branch string) {
	for i, p := range todo {
		if p.Ref == "refs/heads/"+branch {
			copy(todo[1:i+1], todo[:i])
			todo[0] = p
			return
		}
	}
}

// setMirrorHead makes branch the default branch of mirror m once the
// push brought it there. The mirror is in sync without it: a failure is
// said, and fails nothing.
func (e *Engine) setMirrorHead(ctx context.Context, f *federation.Federation, m federation.Endpoint, branch string, res *MirrorResult) {
	ok := false
	for _, r := range res.Refs {
		if r.Ref == "refs/heads/"+branch {
			ok = r.Result == ResultOK || r.State == InSync
		}
	}
	if !ok {
		return
	}
	if err := fedset.SetMirrorHead(ctx, m, branch, e.forgeDeps(ctx, f)); err != nil {
		e.progress(i18n.M("%s: warning: %v; a clone from the mirror may check out another branch than origin's", f.Name, err))
		return
	}
	e.progress(i18n.M("%s: set the default branch of %s to %s, as origin's", f.Name, m.Raw, branch))
}

// forgeDeps is what f's forge calls need: the hosts' forges, git's http
// settings, f's timeout and the progress lines.
func (e *Engine) forgeDeps(ctx context.Context, f *federation.Federation) fedset.Deps {
	return fedset.Deps{Config: e.cfg.Federations, Git: e.runner(f, e.cfg.Repo, ListTimeout), Settings: e.httpSettings(ctx),
		Timeout: f.Timeout, Warnf: e.progressf}
}

// covers is f.Covers restricted to real refs: a glob like "*" must not
// make sync push HEAD as a branch.
func covers(f *federation.Federation) func(string) bool {
	return func(ref string) bool { return strings.HasPrefix(ref, "refs/") && f.Covers(ref) }
}

// updateCache makes the cache's refs equal origin's covered refs,
// fetching only the refs that changed, and reports whether it fetched.
func (e *Engine) updateCache(ctx context.Context, f *federation.Federation, c *cache, cached, listed *refs.Listing) (bool, error) {
	if cached.Equal(listed) {
		return false, nil
	}
	have, origin := cached.Values(), listed.Values()
	var specs, gone []string
	for _, ref := range sortedKeys(origin) {
		if have[ref] != origin[ref] {
			specs = append(specs, "+"+ref+":"+ref)
		}
	}
	for _, ref := range sortedKeys(have) {
		if _, ok := origin[ref]; !ok {
			gone = append(gone, ref)
		}
	}
	if len(specs) > 0 {
		e.progress(i18n.M("%s: fetching %d ref(s) from origin", f.Name, len(specs)))
		err := e.net(ctx, func() error { return c.fetch(ctx, f.Origin.Raw, specs) })
		if err != nil {
			return false, i18n.Errorf("fetching origin %s into the sync cache: %w", f.Origin.Raw, err)
		}
	}
	if err := c.deleteRefs(ctx, gone); err != nil {
		return false, i18n.Errorf("dropping refs origin no longer has from the sync cache: %w", err)
	}
	if err := c.maintain(ctx); err != nil {
		return false, err
	}
	return len(specs) > 0, nil
}

// mirror plans and (when push) carries out the sync of one mirror.
func (e *Engine) mirror(ctx context.Context, f *federation.Federation, c *cache, m federation.Endpoint,
	origin *refs.Listing, l listing, opts Options, push bool, held *pruneHold, now originNow, forced map[string]bool) MirrorResult {
	res := MirrorResult{URL: m.Raw, Refs: []RefResult{}}
	if l.err != nil {
		res.err = l.err
		res.Error = l.err.Error()
		return res
	}
	plans, err := e.plan(ctx, f, c, m, origin, l.refs)
	if err != nil {
		res.err = err
		res.Error = err.Error()
		return res
	}
	decide(plans, opts.Force || f.Force, opts.Prune || f.Prune)
	forceQueued(plans, forced)
	kept := held.apply(plans)
	var moved map[string]i18n.Msg
	if push {
		moved = confirm(plans, now)
	}
	res.Refs = make([]RefResult, len(plans))
	for i, p := range plans {
		res.Refs[i] = RefResult{RefPlan: p, Result: initialResult(p.Action, opts.DryRun)}
		if kept[p.Ref] {
			res.Refs[i].Reason, res.Refs[i].held = ReasonPruneHeld.String(), true
		}
		if why, ok := moved[p.Ref]; ok {
			res.Refs[i].Reason, res.Refs[i].moved = why.String(), true
		}
	}
	if !push {
		res.LFSMissing = e.missingLFS(ctx, f, c, m, plans)
		return res
	}
	todo := pushable(plans)
	if len(todo) == 0 {
		return res
	}
	head := e.originHead(ctx, f, m, l)
	headFirst(todo, head)
	e.push(ctx, f, c, m, todo, &res)
	if head != "" {
		e.setMirrorHead(ctx, f, m, head, &res)
	}
	return res
}

func initialResult(a Action, dryRun bool) string {
	switch a {
	case ActNone:
		return ResultNone
	case ActKeep:
		return ResultKept
	}
	if dryRun {
		return ResultPlanned
	}
	return ""
}

// plan classifies the mirror's refs, first fetching into the cache's
// mirror namespace the mirror commits it lacks: they are commits only
// the mirror has, and only the commit graph tells ahead from diverged.
func (e *Engine) plan(ctx context.Context, f *federation.Federation, c *cache, m federation.Endpoint, originRefs, mirrorRefs *refs.Listing) ([]RefPlan, error) {
	origin, mirror := originRefs.Values(), mirrorRefs.Values()
	var unknown []string
	for ref, oid := range mirror {
		if needsAncestry(ref, origin[ref], oid) {
			unknown = append(unknown, oid)
		}
	}
	miss, err := c.missing(ctx, unknown)
	if err != nil {
		return nil, err
	}
	var specs []string
	for _, ref := range sortedKeys(mirror) {
		if miss[mirror[ref]] && needsAncestry(ref, origin[ref], mirror[ref]) {
			specs = append(specs, "+"+ref+":"+mirrorRef(m, ref))
		}
	}
	if len(specs) > 0 {
		e.progress(i18n.M("%s: fetching %d ref(s) that only %s has, to compare histories", f.Name, len(specs), m.Raw))
		err := e.net(ctx, func() error { return c.fetch(ctx, m.Raw, specs) })
		if err != nil {
			return nil, i18n.Errorf("fetching commits only the mirror has: %w", err)
		}
	}
	return classify(ctx, origin, mirror, c.isAncestor)
}

// push sends todo to mirror m from the cache and records each ref's
// result in res.
func (e *Engine) push(ctx context.Context, f *federation.Federation, c *cache, m federation.Endpoint, todo []RefPlan, res *MirrorResult) {
	e.progress(i18n.M("%s: pushing %d ref(s) to %s", f.Name, len(todo), m.Raw))
	byRef := map[string]*RefResult{}
	for i := range res.Refs {
		byRef[res.Refs[i].Ref] = &res.Refs[i]
	}
	if err := e.carryLFS(ctx, f, c, m, todo); err != nil {
		failRefs(res, byRef, todo, err)
		return
	}
	var out gitexec.PushResult
	err := e.net(ctx, func() error {
		var err error
		out, err = e.runner(f, c.dir, PushTimeout).Push(ctx, mirrorPush(m.Raw, todo))
		return err
	})
	res.Pushed = true
	said := serverWords(err)
	for _, p := range todo {
		r := byRef[p.Ref]
		switch rep := out.Report(p.Ref); {
		case rep.OK():
			r.Result = ResultOK
		case out.Failed:
			r.Result, r.Reason = ResultFailed, rep.Reason
		default:
			r.Result, r.Reason = ResultRejected, rejection(rep)
			if said != "" {
				r.Reason += ": " + said
			}
		}
	}
	// A non-zero exit with every ref reported is a refusal, already
	// recorded per ref; anything else is the mirror's failure.
	if err != nil && out.Failed {
		res.err = i18n.Errorf("pushing to %s: %w", m.Raw, e.explain(ctx, err, m.Raw))
		res.Error = res.err.Error()
	}
}

// serverWords is what the mirror itself said while refusing a push (a
// hook's message), from err's stderr, which the runner cleaned.
func serverWords(err error) string {
	var ge *gitexec.Error
	if !errors.As(err, &ge) {
		return ""
	}
	return gitexec.ServerWords(ge.Stderr)
}

// rejection is git's verdict on a refused ref, as git prints it:
// "[remote rejected] (pre-receive hook declined)".
func rejection(r gitexec.RefReport) string {
	if r.Reason == "" {
		return r.Summary
	}
	return r.Summary + " (" + r.Reason + ")"
}

// Summary counts a mirror's refs by state.
func (m *MirrorResult) Summary() map[State]int {
	out := map[State]int{}
	for _, r := range m.Refs {
		out[r.State]++
	}
	return out
}

// TotalsEnv names a file to which `git federate sync` writes its run's
// Totals as JSON: how `serve`, which runs syncs as processes, counts
// them in its metrics.
const TotalsEnv = "FEDERATE_SYNC_TOTALS"

// Totals sums up one run of sync, for --json and the metrics.
type Totals struct {
	// Checked counts the federations looked at.
	Checked int `json:"checked"`
	// Changed counts those where sync fetched from origin or pushed.
	Changed int `json:"changed"`
	// Failed counts those not fully in sync after the run: failed, or
	// partly done. They are listed again by the next run.
	Failed int `json:"failed"`
	// Requests counts the listing requests this process made itself
	// (retries included); GitListings the listings left to git.
	Requests    int64 `json:"requests"`
	GitListings int64 `json:"git_listings"`
	// Seconds is the run's wall time.
	Seconds float64 `json:"duration_seconds"`
}

// Counters are the engine's listings so far: those made in-process
// (requests) and those left to a git child.
func (e *Engine) Counters() (requests, gitListings int64) {
	return e.lister.requests.Load(), e.gitListings.Load()
}

// Count adds one federation's result to t, as it is reported.
func (t *Totals) Count(r *FederationResult) {
	t.Checked++
	if r.Outcome() != "ok" {
		t.Failed++
	}
	if r.Fetched || slices.ContainsFunc(r.Mirrors, func(m MirrorResult) bool { return m.Pushed }) {
		t.Changed++
	}
}

// Finish records the run's listings (what the engine's Counters grew
// by) and its wall time d.
func (t *Totals) Finish(requests, gitListings int64, d time.Duration) {
	t.Requests, t.GitListings, t.Seconds = requests, gitListings, d.Seconds()
}
