package fedcmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gitserve"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/urfave/cli/v2"
)

// DemoOptions are the inputs of `git federate demo`.
type DemoOptions struct {
	// Exe is the git-federate binary; its siblings git-remote-federate and
	// git-credential-federate (else those on PATH) go first on the demo's
	// PATH. "" is os.Executable().
	Exe string
	// TempDir is where the demo's directory is made; "" is os.TempDir().
	TempDir string
	// Keep leaves the demo's directory in place to explore.
	Keep bool
	// StepTimeout bounds each command (default 2 minutes).
	StepTimeout time.Duration
}

// demoCommand is `git federate demo`.
func demoCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "show the whole story on this machine: origin, two mirrors, clone, push, status, sync",
		Description: "Starts an origin and two mirrors served over HTTP on 127.0.0.1 in a temporary\n" +
			"directory, defines a federation in a temporary global git config (your own\n" +
			"config is never touched), then clones through federate::, commits, pushes,\n" +
			"shows status and syncs, printing every command. Needs no network. Everything\n" +
			"is removed at the end, also on Ctrl-C, unless --keep.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "keep", Usage: "keep the temporary directory and print its path"},
		},
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 0, 0, "[--keep]"); err != nil {
				return err
			}
			return runDemo(c.Context, stdio, DemoOptions{Keep: c.Bool("keep")})
		},
	}
}

// demo is one run: its directory, environment and servers.
type demo struct {
	stdio   IO
	dir     string
	env     []string
	timeout time.Duration
	out     *indentWriter
	origin  *gitserve.Server
	mirrors []*gitserve.Server
}

func runDemo(ctx context.Context, stdio IO, opts DemoOptions) (err error) {
	exe := opts.Exe
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return i18n.Errorf("finding this program: %w", err)
		}
	}
	dir, err := os.MkdirTemp(opts.TempDir, "git-federate-demo-*")
	if err != nil {
		return err
	}
	d := &demo{stdio: stdio, dir: dir, timeout: opts.StepTimeout, out: &indentWriter{w: stdio.Out}}
	if d.timeout == 0 {
		d.timeout = 2 * time.Minute
	}
	defer func() {
		d.stopServers()
		if opts.Keep {
			stdio.P.Fprintf(stdio.Out, "\nThe demo's files are kept in %s (servers stopped).\n", dir)
			return
		}
		if rerr := os.RemoveAll(dir); rerr != nil {
			err = i18n.Join(err, i18n.Errorf("cleaning up %s: %w", dir, rerr))
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.env, err = demoEnv(dir, exe); err != nil {
		return err
	}
	return d.run(ctx)
}

// demoEnv is the environment of every command of the demo: a private
// HOME and global git config inside dir, no system config, no keyring, no
// tokens of the user, and this program first on PATH under its three names.
func demoEnv(dir, exe string) ([]string, error) {
	bin := filepath.Join(dir, "bin")
	home := filepath.Join(dir, "home")
	for _, p := range []string{bin, home} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"git-remote-federate", "git-federate", "git-credential-federate"} {
		p, err := gitexec.Sibling(exe, name)
		if err != nil {
			return nil, err
		}
		if err := os.Symlink(p, filepath.Join(bin, name)); err != nil {
			return nil, i18n.Errorf("putting %s on the demo's PATH: %w", name, err)
		}
	}
	return append(gitexec.PrivateEnv(os.Environ(), home, bin),
		"GIT_AUTHOR_NAME=Demo Author", "GIT_AUTHOR_EMAIL=demo@example.com",
		"GIT_COMMITTER_NAME=Demo Author", "GIT_COMMITTER_EMAIL=demo@example.com",
	), nil
}

func (d *demo) run(ctx context.Context) error {
	steps := []func(context.Context) error{
		d.startServers, d.seed, d.define, d.clone, d.commitAndPush, d.status, d.drift, d.resync,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			if ctx.Err() != nil {
				return i18n.Errorf("demo interrupted: %w", ctx.Err())
			}
			return i18n.Errorf("demo failed: %w", err)
		}
	}
	d.stdio.P.Fprintf(d.stdio.Out, "\nDone: one remote, three servers, all in step. Try it on yours:\n"+
		"  git federate add <name> --origin URL --mirror URL --global && git clone federate::<name>\n")
	return nil
}

func (d *demo) header(m i18n.Msg) {
	fmt.Fprintf(d.stdio.Out, "\n==> %s\n", m.Localize(d.stdio.P))
}

// sh runs git with args in dir (relative to the demo's directory),
// printing the command and its output indented.
func (d *demo) sh(ctx context.Context, dir string, args ...string) error {
	return d.runGit(ctx, dir, false, args...)
}

// shReport is sh for a command whose stdout is a report written at its
// end (sync): its progress on stderr would otherwise come before the
// report's first line, so it is shown only if the command fails.
func (d *demo) shReport(ctx context.Context, dir string, args ...string) error {
	return d.runGit(ctx, dir, true, args...)
}

func (d *demo) runGit(ctx context.Context, dir string, holdStderr bool, args ...string) error {
	fmt.Fprintf(d.stdio.Out, "  $ git %s\n", strings.Join(args, " "))
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	cmd := d.git(dir).Command(ctx, args...)
	var held bytes.Buffer
	cmd.Stdout, cmd.Stderr = d.out, d.out
	if holdStderr {
		cmd.Stderr = &held
	}
	err := cmd.Run()
	if err != nil && held.Len() > 0 {
		d.out.Write(held.Bytes())
	}
	d.out.flush()
	if err != nil {
		// The demo's URLs hold no secrets, so the whole command can be named.
		return i18n.Errorf("`git %s` failed (%w); its output is above", strings.Join(args, " "), err)
	}
	return nil
}

func (d *demo) git(dir string) gitexec.Runner {
	return gitexec.Runner{Dir: filepath.Join(d.dir, dir), Env: d.env, Timeout: d.timeout}
}

func (d *demo) startServers(ctx context.Context) error {
	d.header(i18n.M("Three git servers on 127.0.0.1: an origin and two mirrors"))
	roles := []string{d.stdio.P.Sprintf("origin   (think GitHub)"), d.stdio.P.Sprintf("mirror 1 (think Gitee)"), d.stdio.P.Sprintf("mirror 2 (think GitLab)")}
	for i, role := range roles {
		root := filepath.Join(d.dir, "server", fmt.Sprint(i))
		if err := d.git("").Run(ctx, "init", "-q", "--bare", "-b", "main", filepath.Join(root, "demo.git")); err != nil {
			return err
		}
		s, err := gitserve.Start(ctx, root)
		if err != nil {
			return err
		}
		if i == 0 {
			d.origin = s
		} else {
			d.mirrors = append(d.mirrors, s)
		}
		fmt.Fprintf(d.stdio.Out, "  %s %s/demo.git\n", pad(role, 24), s.URL)
	}
	return nil
}

func (d *demo) stopServers() {
	for _, s := range append([]*gitserve.Server{d.origin}, d.mirrors...) {
		if s != nil {
			s.Close()
		}
	}
}

func (d *demo) originURL() string { return d.origin.URL + "/demo.git" }

func (d *demo) seed(ctx context.Context) error {
	d.header(i18n.M("A project that lives on the origin only"))
	if err := d.git("").Run(ctx, "init", "-q", "-b", "main", filepath.Join(d.dir, "upstream")); err != nil {
		return err
	}
	if err := d.writeAndCommit(ctx, "upstream", "README", "Federated demo project\n", "Initial commit"); err != nil {
		return err
	}
	return d.sh(ctx, "upstream", "push", "-q", d.originURL(), "main")
}

func (d *demo) define(ctx context.Context) error {
	d.header(i18n.M("Define the federation (in the demo's own global git config)"))
	return d.sh(ctx, "", "federate", "add", "demo", "--global", "--origin", d.originURL(),
		"--mirror", d.mirrors[0].URL+"/demo.git", "--mirror", d.mirrors[1].URL+"/demo.git")
}

func (d *demo) clone(ctx context.Context) error {
	d.header(i18n.M("Clone through the federation"))
	return d.sh(ctx, "", "clone", "federate::demo", "work")
}

func (d *demo) commitAndPush(ctx context.Context) error {
	d.header(i18n.M("Commit and push once: the origin, then both mirrors (they get main too)"))
	if err := d.writeAndCommit(ctx, "work", "CHANGES", "Pushed through federate::demo\n", "Add CHANGES"); err != nil {
		return err
	}
	if err := d.sh(ctx, "work", "push", "origin", "main"); err != nil {
		return err
	}
	return d.verify(ctx, "work")
}

func (d *demo) status(ctx context.Context) error {
	d.header(i18n.M("Status of every ref on every server"))
	return d.sh(ctx, "", "federate", "status", "demo")
}

func (d *demo) drift(ctx context.Context) error {
	d.header(i18n.M("Someone pushes straight to the origin; the mirrors fall behind"))
	if err := d.sh(ctx, "upstream", "pull", "-q", "--ff-only", d.originURL(), "main"); err != nil {
		return err
	}
	if err := d.writeAndCommit(ctx, "upstream", "HOTFIX", "Pushed to the origin directly\n", "Hotfix on the origin"); err != nil {
		return err
	}
	if err := d.sh(ctx, "upstream", "push", "-q", d.originURL(), "main"); err != nil {
		return err
	}
	return d.sh(ctx, "", "federate", "status", "demo")
}

func (d *demo) resync(ctx context.Context) error {
	d.header(i18n.M("Sync brings the mirrors up to date"))
	if err := d.shReport(ctx, "", "federate", "sync", "demo"); err != nil {
		return err
	}
	if err := d.verify(ctx, "upstream"); err != nil {
		return err
	}
	return d.sh(ctx, "", "federate", "status", "demo")
}

func (d *demo) writeAndCommit(ctx context.Context, repo, file, content, msg string) error {
	if err := os.WriteFile(filepath.Join(d.dir, repo, file), []byte(content), 0o644); err != nil {
		return err
	}
	if err := d.git(repo).Run(ctx, "add", "--", file); err != nil {
		return err
	}
	d.stdio.P.Fprintf(d.stdio.Out, "  (committed %s: %q)\n", file, msg)
	return d.git(repo).Run(ctx, "commit", "-q", "-m", msg)
}

// verify checks that main on the origin and both mirrors is main of the
// local repository, and says so.
func (d *demo) verify(ctx context.Context, repo string) error {
	want, err := d.git(repo).Output(ctx, "rev-parse", "main")
	if err != nil {
		return err
	}
	w := strings.TrimSpace(string(want))
	for i, s := range append([]*gitserve.Server{d.origin}, d.mirrors...) {
		got, _ := d.git("").Output(ctx, "--git-dir", filepath.Join(s.Root, "demo.git"), "rev-parse", "--verify", "-q", "main")
		if g := strings.TrimSpace(string(got)); g != w {
			return i18n.Errorf("server %d (%s) has main at %q, want %s", i, s.URL, shortID(g), shortID(w))
		}
	}
	d.stdio.P.Fprintf(d.stdio.Out, "  ✓ main is %s on the origin and both mirrors\n", shortID(w))
	return nil
}

func shortID(id string) string {
	if len(id) > 10 {
		return id[:10]
	}
	return id
}

// indentWriter indents every line written to it, so the output of the
// commands the demo runs stands apart from the demo's own text.
type indentWriter struct {
	mu     sync.Mutex
	w      io.Writer
	midRow bool
}

func (iw *indentWriter) Write(p []byte) (int, error) {
	iw.mu.Lock()
	defer iw.mu.Unlock()
	var b []byte
	for _, c := range p {
		if !iw.midRow {
			b = append(b, "    "...)
			iw.midRow = true
		}
		b = append(b, c)
		if c == '\n' || c == '\r' {
			iw.midRow = false
		}
	}
	if _, err := iw.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// flush ends an unfinished line.
func (iw *indentWriter) flush() {
	iw.mu.Lock()
	defer iw.mu.Unlock()
	if iw.midRow {
		fmt.Fprintln(iw.w)
		iw.midRow = false
	}
}
