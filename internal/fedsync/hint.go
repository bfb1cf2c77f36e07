package fedsync

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// hintFile, inside a federation's cache, records the forge's "last pushed"
// time of origin as of the last sync that left every mirror in sync.
const hintFile = "federate-forge-hint.json"

// forgeHint is what hintFile holds.
type forgeHint struct {
	OriginChangedAt time.Time `json:"origin_changed_at"`
}

// unchangedByForge reports whether sync may skip f without listing a ref:
// the forge says origin has not been pushed to since a sync that left
// every mirror in sync, and no push of the repository sync runs in waits
// for one of f's mirrors. Ref listings stay the truth everywhere else:
// no hint (a plain federation, a forge that does not say), a hint that
// moved, --full, or a dry run or status all list refs.
func (e *Engine) unchangedByForge(ctx context.Context, f *federation.Federation, opts Options, push bool) bool {
	if opts.Full || !push || f.OriginChangedAt.IsZero() {
		return false
	}
	h, err := readHint(e.CachePath(f.Name))
	if err != nil || !h.OriginChangedAt.Equal(f.OriginChangedAt) {
		return false
	}
	return !e.queuedFor(ctx, f)
}

// queuedFor reports whether the repository's pending queue holds work
// for one of f's mirrors.
func (e *Engine) queuedFor(ctx context.Context, f *federation.Federation) bool {
	if e.cfg.Repo == "" {
		return false
	}
	rq := e.openRepoQueue(ctx)
	if rq == nil {
		return false
	}
	// One read of the queue for all of f's mirrors: one per mirror was
	// three reads for each of thousands of unchanged federations.
	entries, err := rq.q.Load()
	if err != nil {
		return true
	}
	for _, en := range entries {
		for _, m := range f.Mirrors {
			if en.Mirror == m.Raw {
				return true
			}
		}
	}
	return false
}

// recordHint keeps the forge's time when the sync left every mirror in
// sync, and forgets it otherwise, so the next sync lists refs again.
func (e *Engine) recordHint(f *federation.Federation, res *FederationResult) {
	ok := !res.DryRun && res.Outcome() == "ok"
	if f.OriginChangedAt.IsZero() && ok {
		// No time to record, and a hint kept from before still says
		// something true: the mirrors were in sync when origin had not
		// changed since it. A plain federation has none: 10,000 of them
		// made 10,000 removals of a file that was never there.
		return
	}
	path := filepath.Join(e.CachePath(f.Name), hintFile)
	if f.OriginChangedAt.IsZero() || !ok {
		_ = os.Remove(path)
		return
	}
	if h, err := readHint(e.CachePath(f.Name)); err == nil && h.OriginChangedAt.Equal(f.OriginChangedAt) {
		return // already there: an unchanged federation writes nothing
	}
	data, err := json.Marshal(forgeHint{OriginChangedAt: f.OriginChangedAt})
	if err != nil {
		return
	}
	tmp := path + ".tmp"
	if os.WriteFile(tmp, data, 0o600) == nil {
		_ = os.Rename(tmp, path)
	}
}

func readHint(cache string) (forgeHint, error) {
	var h forgeHint
	data, err := os.ReadFile(filepath.Join(cache, hintFile))
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return h, i18n.Errorf("unreadable forge hint: %w", err)
	}
	return h, nil
}
