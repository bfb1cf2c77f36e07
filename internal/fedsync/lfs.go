package fedsync

import (
	"context"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/lfs"
)

// carryLFS gives mirror m, from origin, the LFS objects of todo's new
// values that it lacks (the batch API says which), before any of its
// refs move: a mirror must never get a ref pointing at an object it
// does not hold. The cache is bare, so pointers are found in the git
// objects, not in a working copy.
func (e *Engine) carryLFS(ctx context.Context, f *federation.Federation, c *cache, m federation.Endpoint, todo []RefPlan) error {
	var tips, have []string
	for _, p := range todo {
		if p.Action != ActDelete {
			tips = append(tips, p.Origin)
		}
		if p.Mirror != "" {
			have = append(have, p.Mirror)
		}
	}
	return e.uploadLFS(ctx, f, e.runner(nil, c.dir, ListTimeout), m, tips, have, "")
}

// uploadLFS gives mirror m the LFS objects of the commits tips (over
// have) that it lacks, reading pointers with g: from the repository
// whose git directory is local when it holds them (the pending queue's
// repository), else from origin.
func (e *Engine) uploadLFS(ctx context.Context, f *federation.Federation, g gitexec.Runner, m federation.Endpoint, tips, have []string, local string) error {
	on, always := f.CarriesLFS()
	if !on {
		return nil
	}
	objs, err := lfs.Pointers(ctx, g, always, tips, have)
	if err != nil || len(objs) == 0 {
		return err
	}
	creds := lfs.GitCredentials(e.cfg.Git.Env)
	origin, ok1 := e.lfsClient(ctx, f.Origin.Raw, creds)
	mirror, ok2 := e.lfsClient(ctx, m.Raw, creds)
	if !ok1 || !ok2 {
		return i18n.Errorf("Git LFS objects travel over http(s) only: %w", lfs.ErrUnsupported)
	}
	origin.Limit(f.TimeoutOf(f.Origin)) // each server's own limit, else f's
	mirror.Limit(f.TimeoutOf(m))
	src := lfs.Source(origin.Download)
	if local != "" {
		src = lfs.Fallback(lfs.Store(local), origin.Download)
	}
	var n int
	err = e.net(ctx, func() error {
		n, err = mirror.Upload(ctx, objs, src)
		return err
	})
	if n > 0 {
		e.progress(i18n.M("%s: %s: uploaded %d LFS object(s)", f.Name, m.Raw, n))
	}
	if err != nil {
		return i18n.Errorf("LFS objects for %s: %w", m.Raw, err)
	}
	return nil
}

// lfsClient is the LFS client of the repository at raw, which reaches
// servers as the engine's listings and git children do: by git's http
// settings for each (proxy, certificates, extra headers), read where the
// listings read them.
func (e *Engine) lfsClient(ctx context.Context, raw string, creds lfs.Credentials) (*lfs.Client, bool) {
	return lfs.NewClient(raw, creds, e.httpSettings(ctx))
}

// missingLFS counts the LFS objects of origin's values of plans that
// mirror m lacks, for status. Errors count as unknown (-1).
func (e *Engine) missingLFS(ctx context.Context, f *federation.Federation, c *cache, m federation.Endpoint, plans []RefPlan) int {
	on, always := f.CarriesLFS()
	if !on {
		return 0
	}
	var tips []string
	for _, p := range plans {
		if p.Origin != "" {
			tips = append(tips, p.Origin)
		}
	}
	objs, err := lfs.Pointers(ctx, e.runner(nil, c.dir, ListTimeout), always, tips, nil)
	if err != nil {
		return -1
	}
	if len(objs) == 0 {
		return 0
	}
	mirror, ok := e.lfsClient(ctx, m.Raw, lfs.GitCredentials(e.cfg.Git.Env))
	if !ok {
		return -1
	}
	mirror.Limit(f.TimeoutOf(m))
	var miss []lfs.Object
	err = e.net(ctx, func() error {
		miss, err = mirror.Missing(ctx, objs)
		return err
	})
	if err != nil {
		return -1
	}
	return len(miss)
}

// ReasonLFSNotDelivered is the reason of a ref not pushed because its
// LFS objects did not reach the mirror; reports say it in the user's
// language, JSON keeps the English.
var ReasonLFSNotDelivered = i18n.M("LFS objects not delivered")

// failRefs records that none of todo was pushed to the mirror because of
// err; the next sync tries again.
func failRefs(res *MirrorResult, byRef map[string]*RefResult, todo []RefPlan, err error) {
	res.err = err
	res.Error = err.Error()
	for _, p := range todo {
		if r := byRef[p.Ref]; r != nil {
			r.Result, r.Reason = ResultFailed, ReasonLFSNotDelivered.String()
		}
	}
}
