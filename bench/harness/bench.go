package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// bench is one run: an isolated HOME, a server, the report.
type bench struct {
	cfg    config
	env    []string
	home   string
	srv    string // directory the server serves
	runDir string // working copies, scratch
	url    string
	server *exec.Cmd
	stdin  io.WriteCloser
	report *report
}

// refspecs push every branch and tag: a whole repository.
const refspecs = `'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'`

func newBench(ctx context.Context, c config) (*bench, error) {
	b := &bench{cfg: c, report: &report{}}
	b.home = filepath.Join(c.Work, "home")
	b.srv = filepath.Join(c.Work, "srv")
	b.runDir = filepath.Join(c.Work, "run")
	for _, d := range []string{b.home, b.srv, b.runDir} {
		if err := os.RemoveAll(d); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	b.env = gitexec.PrivateEnv(os.Environ(), b.home, c.Bin)
	for _, kv := range [][2]string{
		{"protocol.federate.allow", "always"},
		{"user.name", "Bench"}, {"user.email", "bench@example.com"},
		{"init.defaultBranch", "main"},
		{"advice.detachedHead", "false"},
	} {
		if err := b.git(ctx, "", "config", "--global", kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	if err := b.startServer(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *bench) timer() string {
	if b.cfg.Hyperfine != "" {
		return "hyperfine (" + b.cfg.Hyperfine + ")"
	}
	return "repeated runs, median"
}

func (b *bench) startServer(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, lookPath(b.cfg.Bin, "serve"), "-root", b.srv, "-stdin", "-timeout", "3h")
	cmd.Env = b.env
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if b.stdin, err = cmd.StdinPipe(); err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting bench/serve: %w", err)
	}
	b.server = cmd
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
		io.Copy(io.Discard, out)
	}()
	select {
	case b.url = <-line:
	case <-time.After(30 * time.Second):
	}
	if !strings.HasPrefix(b.url, "http://127.0.0.1:") {
		b.close()
		return errors.New("bench/serve did not report its URL")
	}
	return nil
}

func (b *bench) close() {
	if b.stdin != nil {
		b.stdin.Close() // serve stops at EOF on stdin
	}
	if b.server != nil {
		done := make(chan struct{})
		go func() { b.server.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			b.server.Process.Kill()
			<-done
		}
	}
}

// git runs git in dir with the bench environment.
func (b *bench) git(ctx context.Context, dir string, args ...string) error {
	_, err := b.output(ctx, dir, "git", args...)
	return err
}

func (b *bench) output(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = b.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, tail(stderr.String(), 3))
	}
	return strings.TrimSpace(string(out)), nil
}

// sh runs a shell script with the bench environment.
func (b *bench) sh(ctx context.Context, script string) error {
	_, err := b.output(ctx, "", "sh", "-c", script)
	return err
}

// repo is one size's repositories and URLs.
type repo struct {
	size     size
	describe string
	url      func(path string) string
	src      string // local bare copy with remotes: the push source
	wfed     string // working clone whose origin is federate::bench-<size>
	wplain   string // working clone whose origin is the plain URL
	dir      string // scratch for this size
}

// prepareSize generates (or reuses) the repository, puts it on the
// server and configures the federations the scenarios use.
func (b *bench) prepareSize(ctx context.Context, sz size) (*repo, error) {
	cache, err := b.generated(ctx, fmt.Sprintf("%s-%d", sz.Name, sz.Commits), "-commits", strconv.Itoa(sz.Commits))
	if err != nil {
		return nil, err
	}
	r := &repo{size: sz, dir: filepath.Join(b.runDir, sz.Name)}
	r.url = func(p string) string { return b.url + "/" + sz.Name + "/" + p }
	srv := filepath.Join(b.srv, sz.Name)
	if err := os.MkdirAll(srv, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, err
	}
	r.src = filepath.Join(r.dir, "src.git")
	for _, dst := range []string{filepath.Join(srv, "origin.git"), filepath.Join(srv, "fm1.git"),
		filepath.Join(srv, "fm2.git"), filepath.Join(srv, "fm3.git"), r.src} {
		if err := b.sh(ctx, "cp -a "+shq(cache)+" "+shq(dst)); err != nil {
			return nil, err
		}
	}
	objects, _ := b.output(ctx, cache, "git", "count-objects", "-v")
	r.describe = fmt.Sprintf("%d commits on main; %s", sz.Commits, strings.Join(pick(objects, "in-pack", "size-pack"), ", "))

	n := sz.Name
	fed := map[string][]string{
		"bench-" + n: {r.url("origin.git"), r.url("fm1.git"), r.url("fm2.git"), r.url("fm3.git")},
		"push-" + n:  {r.url("push/origin.git"), r.url("push/m1.git"), r.url("push/m2.git"), r.url("push/m3.git")},
		"sync-" + n:  {r.url("origin.git"), r.url("sync/m1.git"), r.url("sync/m2.git"), r.url("sync/m3.git")},
	}
	for name, urls := range fed {
		if err := b.federation(ctx, "", name, urls[0], urls[1:]...); err != nil {
			return nil, err
		}
	}
	// The push source: remotes for federate and for git's own fan-out.
	for _, args := range [][]string{
		{"remote", "add", "fed", "federate::push-" + n},
		{"remote", "add", "multi", r.url("push/origin.git")},
		{"config", "--add", "remote.multi.pushurl", r.url("push/origin.git")},
		{"config", "--add", "remote.multi.pushurl", r.url("push/m1.git")},
		{"config", "--add", "remote.multi.pushurl", r.url("push/m2.git")},
		{"config", "--add", "remote.multi.pushurl", r.url("push/m3.git")},
	} {
		if err := b.git(ctx, r.src, args...); err != nil {
			return nil, err
		}
	}
	// Working clones for the no-op fetch: made by plain git, so the
	// fetch scenario does not depend on federate's clone.
	r.wplain, r.wfed = filepath.Join(r.dir, "wplain"), filepath.Join(r.dir, "wfed")
	if err := b.git(ctx, "", "clone", "-q", "--no-checkout", r.url("origin.git"), r.wplain); err != nil {
		return nil, err
	}
	if err := b.sh(ctx, "cp -a "+shq(r.wplain)+" "+shq(r.wfed)); err != nil {
		return nil, err
	}
	if err := b.git(ctx, r.wfed, "remote", "set-url", "origin", "federate::bench-"+n); err != nil {
		return nil, err
	}
	return r, nil
}

// federation writes [federation "name"] to the global config, or to file.
func (b *bench) federation(ctx context.Context, file, name, origin string, mirrors ...string) error {
	where := []string{"config", "--global"}
	if file != "" {
		where = []string{"config", "--file", file}
	}
	if err := b.git(ctx, "", append(where, "federation."+name+".origin", origin)...); err != nil {
		return err
	}
	for _, m := range mirrors {
		if err := b.git(ctx, "", append(where, "--add", "federation."+name+".mirror", m)...); err != nil {
			return err
		}
	}
	return nil
}

// generated returns a cached generated repository, making it first when
// needed. The name carries the parameters, so a change makes a new one.
func (b *bench) generated(ctx context.Context, name string, args ...string) (string, error) {
	dir := filepath.Join(b.cfg.Work, "repos", name+".git")
	if fileExists(filepath.Join(dir, "packed-refs")) {
		return dir, nil
	}
	fmt.Printf("generating %s (once; cached in %s)...\n", name, dir)
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	if _, err := b.output(ctx, "", lookPath(b.cfg.Bin, "genrepo"), append([]string{"-out", tmp}, args...)...); err != nil {
		return "", err
	}
	os.RemoveAll(dir)
	return dir, os.Rename(tmp, dir)
}

func pick(countObjects string, keys ...string) []string {
	var out []string
	for _, line := range strings.Split(countObjects, "\n") {
		for _, k := range keys {
			if v, ok := strings.CutPrefix(line, k+": "); ok {
				if k == "size-pack" {
					kib, _ := strconv.Atoi(v)
					v = fmt.Sprintf("%.1f MiB", float64(kib)/1024)
				}
				out = append(out, k+" "+v)
			}
		}
	}
	return out
}

// resetBare returns a shell script that recreates empty bare repositories.
func resetBare(dirs ...string) string {
	var s []string
	for _, d := range dirs {
		s = append(s, "rm -rf "+shq(d)+" && git init -q --bare "+shq(d))
	}
	return strings.Join(s, " && ")
}
