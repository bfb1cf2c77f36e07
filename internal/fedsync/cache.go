package fedsync

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/lockfile"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
)

// mirrorNamespace is where the cache keeps refs fetched from mirrors, only
// to have the objects that ancestry checks need. Nothing is pushed from it.
const mirrorNamespace = "refs/federate/mirrors/"

// repackAfterPacks is how many packs the cache may collect from
// incremental fetches before a full `repack -adb` folds them back into
// one pack with a bitmap.
const repackAfterPacks = 16

// DefaultCacheRoot is $XDG_DATA_HOME/git-federate, or
// ~/.local/share/git-federate when XDG_DATA_HOME is unset.
func DefaultCacheRoot() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "git-federate"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", i18n.Errorf("finding the cache directory: %w", err)
	}
	return filepath.Join(home, ".local", "share", "git-federate"), nil
}

// unsafeName matches what a cache file name may not hold; compiled at
// first use.
var unsafeName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^A-Za-z0-9._-]`) })

// cacheBase is the file name (without ".git") for a federation's cache.
// Names are git config subsections and may hold "/" or start with ".";
// those are replaced and a short hash keeps distinct names apart.
func cacheBase(name string) string {
	safe := unsafeName().ReplaceAllString(name, "_")
	if safe == name && name != "" && !strings.HasPrefix(name, ".") {
		return name
	}
	sum := sha1.Sum([]byte(name))
	return strings.TrimLeft(safe, ".") + "-" + hex.EncodeToString(sum[:4])
}

// cache is one federation's bare cache repository.
type cache struct {
	dir string
	git gitexec.Runner // runs inside dir
}

// ensure creates the bare cache if needed and removes what a killed run
// may have left: *.lock files and temporary packs. The caller holds the
// federation lock, so no live git process owns them.
func (c *cache) ensure(ctx context.Context) error {
	if fi, err := os.Lstat(c.dir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		// git would follow it and write the cache (and later, with
		// prune, delete refs) wherever it points.
		return i18n.Errorf("the sync cache %s is a symlink: %w", c.dir, lockfile.ErrSymlink)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "HEAD")); err != nil || !c.configured() {
		// init is idempotent: it completes a directory a killed init left.
		// It runs beside the cache (under the lock there), not where sync
		// runs: git would read that repository's config, the federations
		// of a sync run in the repository that holds them.
		g := c.git
		g.Dir = filepath.Dir(c.dir)
		if err := g.Run(ctx, "init", "-q", "--bare", "--", c.dir); err != nil {
			return i18n.Errorf("creating the sync cache %s: %w", c.dir, err)
		}
		if err := c.configure(ctx); err != nil {
			return err
		}
	}
	return c.cleanStale()
}

// cacheSettings keep the cache cheap to maintain and fast to push from:
// fetched packs are kept as packs (never exploded into loose objects),
// automatic gc is off (sync repacks itself, under its lock), and repacks
// write bitmaps so pack-objects can reuse pack data for mirror pushes.
var cacheSettings = [][2]string{
	{"core.logAllRefUpdates", "false"},
	{"fetch.unpackLimit", "1"},
	{"transfer.unpackLimit", "1"},
	{"gc.auto", "0"},
	{"repack.writeBitmaps", "true"},
	{"pack.writeBitmapHashCache", "true"},
	{"federate.cache", "true"}, // written last: marks a finished setup
}

func (c *cache) configure(ctx context.Context) error {
	for _, kv := range cacheSettings {
		if err := c.git.Run(ctx, "config", kv[0], kv[1]); err != nil {
			return i18n.Errorf("configuring the sync cache: %w", err)
		}
	}
	return nil
}

// configured reports whether configure finished once, by reading the
// config file directly (no process on the fast path).
func (c *cache) configured() bool {
	b, err := os.ReadFile(filepath.Join(c.dir, "config"))
	return err == nil && strings.Contains(string(b), "[federate]")
}

// cleanStale removes lock files and temporary packs left by a process
// that died while holding them.
func (c *cache) cleanStale() error {
	var errs []error
	for _, top := range []string{"", "refs", "objects/pack", "objects/info"} {
		root := filepath.Join(c.dir, top)
		walk := func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // a missing directory has nothing stale
			}
			if d.IsDir() {
				if top == "" && p != root {
					return fs.SkipDir // top level only; refs are walked on their own
				}
				return nil
			}
			n := d.Name()
			// Temporary object files live only under objects/: in refs/ a
			// "tmp_" name is a real branch.
			tmp := strings.HasPrefix(top, "objects/") && (strings.HasPrefix(n, "tmp_") || strings.HasPrefix(n, ".tmp-"))
			if strings.HasSuffix(n, ".lock") || tmp {
				if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, err)
				}
			}
			return nil
		}
		_ = filepath.WalkDir(root, walk)
	}
	if len(errs) > 0 {
		return i18n.Errorf("removing stale files from the sync cache: %w", i18n.Join(errs...))
	}
	return nil
}

// refs returns the cache's own refs (origin's copy), without the mirror
// namespace.
func (c *cache) refs(ctx context.Context) (*refs.Listing, error) {
	all, err := refs.ReadFiles(c.dir)
	if err != nil {
		out, gerr := c.git.Output(ctx, "for-each-ref", refs.ForEachRefFormat)
		if gerr == nil {
			all, gerr = refs.ParseForEachRef(out)
		}
		if gerr != nil {
			return nil, i18n.Errorf("reading the sync cache refs: %w", gerr)
		}
	}
	return all.Filter(func(r string) bool { return !strings.HasPrefix(r, "refs/federate/") }), nil
}

// fetch brings refspecs (force-updating) from url into the cache.
func (c *cache) fetch(ctx context.Context, url string, refspecs []string) error {
	if len(refspecs) == 0 {
		return nil
	}
	in := strings.NewReader(strings.Join(refspecs, "\n") + "\n")
	g, url := c.git.Plain(url)
	_, err := g.OutputStdin(ctx, in, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head",
		"--no-auto-maintenance", "--no-recurse-submodules", "--stdin", "--", url)
	return err
}

// setRefs makes the cache's origin copy equal want: it deletes refs the
// origin no longer has (fetch alone never deletes).
func (c *cache) deleteRefs(ctx context.Context, refs []string) error {
	if len(refs) == 0 {
		return nil
	}
	var b strings.Builder
	for _, r := range refs {
		fmt.Fprintf(&b, "delete %s\n", r)
	}
	_, err := c.git.OutputStdin(ctx, strings.NewReader(b.String()), "update-ref", "--stdin")
	return err
}

// missing returns which of oids the cache does not have.
func (c *cache) missing(ctx context.Context, oids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(oids) == 0 {
		return out, nil
	}
	res, err := c.git.OutputStdin(ctx, strings.NewReader(strings.Join(oids, "\n")+"\n"),
		"cat-file", "--batch-check=%(objectname)")
	if err != nil {
		return nil, i18n.Errorf("checking objects in the sync cache: %w", err)
	}
	for _, line := range strings.Split(string(res), "\n") {
		if oid, ok := strings.CutSuffix(line, " missing"); ok {
			out[oid] = true
		}
	}
	return out, nil
}

// isAncestor reports whether commit a is an ancestor of (or equal to) b.
func (c *cache) isAncestor(ctx context.Context, a, b string) (bool, error) {
	return c.git.IsAncestor(ctx, a, b)
}

// maintain keeps pushes cheap: the first time the cache holds objects it
// is repacked into one pack with a bitmap, and again only when
// incremental fetches have piled up repackAfterPacks packs.
func (c *cache) maintain(ctx context.Context) error {
	packs, _ := filepath.Glob(filepath.Join(c.dir, "objects", "pack", "*.pack"))
	bitmaps, _ := filepath.Glob(filepath.Join(c.dir, "objects", "pack", "*.bitmap"))
	if len(packs) == 0 || (len(bitmaps) > 0 && len(packs) < repackAfterPacks) {
		return nil
	}
	if err := c.git.Run(ctx, "repack", "-a", "-d", "-b", "-q"); err != nil {
		return i18n.Errorf("repacking the sync cache: %w", err)
	}
	return nil
}

// mirrorRef is where the cache keeps ref of mirror m.
func mirrorRef(m federation.Endpoint, ref string) string {
	sum := sha1.Sum([]byte(m.Normalized()))
	return mirrorNamespace + hex.EncodeToString(sum[:6]) + "/" + ref
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
