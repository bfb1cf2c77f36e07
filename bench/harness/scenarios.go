package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clone: git clone federate::X against git clone X. Target ≤ 1.05×.
func (b *bench) clone(ctx context.Context, r *repo) {
	dst := filepath.Join(r.dir, "clone")
	b.measure(ctx, scenario{
		Title:   r.size.Name + ": clone",
		Prepare: "rm -rf " + shq(dst),
		Verify:  "test \"$(git -C " + shq(dst) + " rev-parse HEAD)\" = \"$(git -C " + shq(r.src) + " rev-parse main)\"",
		Variants: []variant{
			{Name: "git clone federate::bench-" + r.size.Name, Cmd: "git clone -q federate::bench-" + r.size.Name + " " + shq(dst)},
			{Name: "git clone <url>", Cmd: "git clone -q " + shq(r.url("origin.git")) + " " + shq(dst)},
		},
		Ratios: []ratio{{A: 0, B: 1, Target: 1.05}},
	})
}

// noopFetch: a fetch with nothing new. Target: ≤ 30 ms over plain git.
func (b *bench) noopFetch(ctx context.Context, r *repo) {
	b.measure(ctx, scenario{
		Title: r.size.Name + ": no-op fetch",
		Variants: []variant{
			{Name: "git fetch (federate::)", Cmd: "git -C " + shq(r.wfed) + " fetch -q origin"},
			{Name: "git fetch (plain)", Cmd: "git -C " + shq(r.wplain) + " fetch -q origin"},
		},
		Ratios: []ratio{{A: 0, B: 1, MaxDiff: 30 * time.Millisecond}},
	})
}

// push: the whole repository to origin + 3 mirrors. Targets: ≤ 1.1× the
// fastest hand-run (origin, then the mirrors in parallel), and below one
// remote with four pushurls (git pushes them one after another).
func (b *bench) push(ctx context.Context, r *repo) {
	var targets []string
	for _, n := range []string{"origin", "m1", "m2", "m3"} {
		targets = append(targets, filepath.Join(b.srv, r.size.Name, "push", n+".git"))
	}
	push := func(url string) string { return "git -C " + shq(r.src) + " push -q " + shq(url) + " " + refspecs }
	b.measure(ctx, scenario{
		Title: r.size.Name + ": whole push to origin + 3 mirrors",
		// federate keeps a pending queue in GIT_DIR; start each run clean.
		Prepare: resetBare(targets...) + " && rm -rf " + shq(filepath.Join(r.src, "federate")),
		Verify:  sameRefs(r.src, targets...),
		Variants: []variant{
			{Name: "git push federate::push-" + r.size.Name, Cmd: "git -C " + shq(r.src) + " push -q fed " + refspecs},
			{Name: "hand: origin, then 3 parallel", Cmd: push(r.url("push/origin.git")) + " && " + parallel(
				push(r.url("push/m1.git")), push(r.url("push/m2.git")), push(r.url("push/m3.git")))},
			{Name: "one remote, 4 pushurls", Cmd: "git -C " + shq(r.src) + " push -q multi " + refspecs},
		},
		Ratios: []ratio{{A: 0, B: 1, Target: 1.1}, {A: 0, B: 2, Target: 1.0}, {A: 2, B: 1}},
	})
}

// sync: `git federate sync` of one federation with 3 empty mirrors, cache
// warm, against three parallel hand pushes. Target ≤ 1.1×.
func (b *bench) sync(ctx context.Context, r *repo) {
	var mirrors []string
	for _, n := range []string{"m1", "m2", "m3"} {
		mirrors = append(mirrors, filepath.Join(b.srv, r.size.Name, "sync", n+".git"))
	}
	push := func(url string) string { return "git -C " + shq(r.src) + " push -q " + shq(url) + " " + refspecs }
	b.measure(ctx, scenario{
		Title:   r.size.Name + ": sync one federation to 3 empty mirrors (cache warm)",
		Prepare: resetBare(mirrors...),
		Verify:  sameRefs(r.src, mirrors...),
		Variants: []variant{
			{Name: "git federate sync sync-" + r.size.Name, Cmd: "git federate sync sync-" + r.size.Name + " >/dev/null"},
			{Name: "hand: 3 parallel pushes", Cmd: parallel(push(r.url("sync/m1.git")), push(r.url("sync/m2.git")), push(r.url("sync/m3.git")))},
		},
		Ratios: []ratio{{A: 0, B: 1, Target: 1.1}},
	})
}

// sameRefs is shell that fails unless every repository in dirs has the
// branches and tags of want, with the same values.
func sameRefs(want string, dirs ...string) string {
	refs := func(d string) string {
		return "$(git -C " + shq(d) + " for-each-ref --format='%(objectname) %(refname)' refs/heads refs/tags)"
	}
	var s []string
	for _, d := range dirs {
		s = append(s, "test \""+refs(d)+"\" = \""+refs(want)+"\"")
	}
	return strings.Join(s, " && ")
}

// parallel is a POSIX shell command that runs cmds at once and fails if
// any failed.
func parallel(cmds ...string) string {
	var s, wait []string
	for i, c := range cmds {
		s = append(s, fmt.Sprintf("{ %s; } & p%d=$!", c, i))
		wait = append(wait, fmt.Sprintf("wait $p%d", i))
	}
	return "{ " + strings.Join(s, "; ") + "; " + strings.Join(wait, " && ") + "; }"
}

// rss measures peak resident memory: the helper during a clone, a no-op
// fetch and a whole push, and git-federate during a sync, each without
// the git processes it runs. Target < 30 MiB.
func (b *bench) rss(ctx context.Context, r *repo) {
	wrapper := lookPath(b.cfg.Bin, "rsswrap")
	if wrapper == "" {
		b.report.note(r.size.Name + ": peak RSS skipped: bench/rsswrap is not built")
		return
	}
	helperBin := lookPath(b.cfg.Bin, "git-remote-federate")
	wrap := filepath.Join(r.dir, "rssbin")
	log := filepath.Join(r.dir, "rss.log")
	// /usr/bin/time, when present, adds the largest process of the tree
	// (the git children included) for comparison.
	timeLog := filepath.Join(r.dir, "rss-tree.log")
	tree := ""
	if fileExists("/usr/bin/time") {
		tree = "/usr/bin/time -a -o " + shq(timeLog) + " -f %M "
	}
	if err := os.MkdirAll(wrap, 0o755); err != nil {
		b.report.note(err.Error())
		return
	}
	// git runs the helper from PATH: this wrapper comes first and records
	// the real helper's peak RSS (KiB) in the log.
	script := "#!/bin/sh\nexec " + tree + shq(wrapper) + " -o " + shq(log) + " " + shq(helperBin) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(wrap, "git-remote-federate"), []byte(script), 0o755); err != nil {
		b.report.note(err.Error())
		return
	}
	path := "PATH=" + shq(wrap) + ":\"$PATH\" "
	dst := filepath.Join(r.dir, "rss-clone")
	var pushTargets []string
	for _, n := range []string{"origin", "m1", "m2", "m3"} {
		pushTargets = append(pushTargets, filepath.Join(b.srv, r.size.Name, "push", n+".git"))
	}
	var syncMirrors []string
	for _, n := range []string{"m1", "m2", "m3"} {
		syncMirrors = append(syncMirrors, filepath.Join(b.srv, r.size.Name, "sync", n+".git"))
	}
	cases := []struct{ name, prepare, cmd, verify string }{
		{"helper, clone", "rm -rf " + shq(dst), path + "git clone -q federate::bench-" + r.size.Name + " " + shq(dst), "test -d " + shq(filepath.Join(dst, ".git"))},
		{"helper, no-op fetch", "", path + "git -C " + shq(r.wfed) + " fetch -q origin", ""},
		{"helper, whole push to 4", resetBare(pushTargets...) + " && rm -rf " + shq(filepath.Join(r.src, "federate")),
			path + "git -C " + shq(r.src) + " push -q fed " + refspecs, sameRefs(r.src, pushTargets...)},
		{"git-federate, sync to 3", resetBare(syncMirrors...),
			tree + shq(wrapper) + " -o " + shq(log) + " " + shq(lookPath(b.cfg.Bin, "git-federate")) + " sync sync-" + r.size.Name + " >/dev/null", sameRefs(r.src, syncMirrors...)},
	}
	for _, c := range cases {
		os.Remove(log)
		os.Remove(timeLog)
		if c.prepare != "" {
			if err := b.sh(ctx, c.prepare); err != nil {
				b.report.rss(r.size.Name, c.name, 0, 0, err.Error())
				continue
			}
		}
		if err := b.sh(ctx, c.cmd); err != nil {
			b.report.rss(r.size.Name, c.name, 0, 0, err.Error())
			continue
		}
		if c.verify != "" && b.sh(ctx, c.verify) != nil {
			b.report.rss(r.size.Name, c.name, 0, 0, "exited 0, but did not do the work")
			continue
		}
		b.report.rss(r.size.Name, c.name, maxKiB(log), maxKiB(timeLog), "")
	}
	os.RemoveAll(dst)
}

// maxKiB is the largest number on a line of /usr/bin/time's log.
func maxKiB(log string) int {
	data, _ := os.ReadFile(log)
	best := 0
	for _, line := range strings.Split(string(data), "\n") {
		if n, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && n > best {
			best = n
		}
	}
	return best
}

// syncAll: `git federate sync --all` over many unchanged federations,
// against the ref listings it needs (origin and mirror of each), run
// --jobs at a time. Target ≤ 1.2×.
func (b *bench) syncAll(ctx context.Context) error {
	seed, err := b.generated(ctx, "tiny", "-commits", "5", "-dirs", "2", "-files", "3", "-branches", "1", "-tag-every", "2")
	if err != nil {
		return err
	}
	dir := filepath.Join(b.srv, "many")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Only these federations: the other scenarios' federations must not
	// ride along in the measured `sync --all`.
	cfg := filepath.Join(b.runDir, "many.gitconfig")
	if err := os.WriteFile(cfg, nil, 0o644); err != nil {
		return err
	}
	var urls []string
	for i := 0; i < b.cfg.Many; i++ {
		o, m := fmt.Sprintf("o%03d.git", i), fmt.Sprintf("m%03d.git", i)
		for _, n := range []string{o, m} {
			if err := b.sh(ctx, "cp -a "+shq(seed)+" "+shq(filepath.Join(dir, n))); err != nil {
				return err
			}
		}
		ou, mu := b.url+"/many/"+o, b.url+"/many/"+m
		if err := b.federation(ctx, cfg, fmt.Sprintf("f%03d", i), ou, mu); err != nil {
			return err
		}
		urls = append(urls, ou, mu)
	}
	list := filepath.Join(b.runDir, "many.urls")
	if err := os.WriteFile(list, []byte(strings.Join(urls, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	jobs := strconv.Itoa(b.cfg.Jobs)
	fmt.Printf("\n== sync --all: %d unchanged federations (origin + 1 mirror each), %s jobs\n", b.cfg.Many, jobs)
	// Every federation gets its cache on the first, unmeasured run.
	caches := filepath.Join(b.home, ".local", "share", "git-federate")
	verify := fmt.Sprintf("test -d %s && test -d %s", shq(filepath.Join(caches, "f000.git")),
		shq(filepath.Join(caches, fmt.Sprintf("f%03d.git", b.cfg.Many-1))))
	b.measure(ctx, scenario{
		Title: fmt.Sprintf("sync --all, %d unchanged federations", b.cfg.Many),
		Variants: []variant{
			{Name: "git federate sync --all --jobs " + jobs, Cmd: "GIT_CONFIG_GLOBAL=" + shq(cfg) + " git federate sync --all --jobs " + jobs + " >/dev/null", Verify: verify},
			{Name: fmt.Sprintf("%d git ls-remote, %s at a time", len(urls), jobs), Cmd: "xargs -P " + jobs + " -n 1 git ls-remote -q < " + shq(list) + " >/dev/null"},
		},
		Ratios: []ratio{{A: 0, B: 1, Target: 1.2}},
	})
	return nil
}
