package helper

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/lockfile"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// DeliverArg, as the first of three arguments, runs the helper as the
// detached process of mirrorPush = background: `git-remote-federate
// --deliver-mirrors <remote> <url>` pushes what is queued for the
// mirrors of the federation and records the outcomes. git never runs a
// helper with three arguments.
const DeliverArg = "--deliver-mirrors"

// MirrorLogName is the log of background mirror pushes, under
// $GIT_DIR/federate.
const MirrorLogName = "mirrors.log"

// failedName is the note a background push leaves when a mirror did not
// take everything; the next session in the repository reports it once.
const failedName = "mirrors-failed"

// background reports whether this push leaves the mirrors to a detached
// process. requireMirrors and --atomic need every mirror's answer before
// git's push returns, a dry run changes nothing to deliver, and without
// GIT_DIR there is no queue to hand the work over with.
func (s *Session) background() bool {
	return s.Fed.MirrorPush == federation.MirrorPushBackground && !s.Fed.RequireMirrors &&
		!s.opts.Atomic && !s.opts.DryRun && s.GitDir != ""
}

// pushInBackground queues the accepted updates for every mirror, then
// starts the detached delivery. The queue is written before git's push
// returns: if the machine sleeps or the process is killed, the next push
// or `git federate sync` delivers it.
func (s *Session) pushInBackground(ctx context.Context, mirrors []federation.Endpoint, accepted []indexedUpdate) {
	if len(accepted) == 0 {
		return
	}
	q := s.queue()
	if !s.writeAhead(ctx, q, mirrors, accepted, pending.ReasonBackground.String()) {
		// Not queued: push the mirrors now rather than lose the updates.
		s.P.Fprintf(s.Stderr, "warning: federate: could not queue the mirror updates; pushing the mirrors now\n")
		s.fanOut(ctx, mirrors, accepted, nil)
		return
	}
	log, err := s.startDelivery()
	if err != nil {
		s.P.Fprintf(s.Stderr, "warning: federate: pushing the mirrors in the background: %v; queued in %s for the next push or `git federate sync`\n", err, q.Path())
		return
	}
	if s.opts.Verbosity > 0 {
		s.P.Fprintf(s.Stderr, "federate: pushing %s to %s in the background (log: %s)\n",
			s.P.Sprintf("%d refs", len(accepted)), s.P.Sprintf("%d mirrors", len(mirrors)), log)
	}
}

// startDelivery runs this program detached from git's session with
// DeliverArg, its output appended to the log, and returns the log's path.
func (s *Session) startDelivery() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if exe, err = gitexec.Sibling(exe, "git-remote-federate"); err != nil {
		return "", err
	}
	log, logPath, err := s.openLog(MirrorLogName)
	if err != nil {
		return "", err
	}
	defer log.Close()
	url := s.Fed.Name
	if url == "" {
		url = s.Fed.Origin.Raw
	}
	remote := s.Remote
	if remote == "" {
		remote = url
	}
	cmd := exec.Command(exe, DeliverArg, remote, url)
	cmd.Dir = s.GitDir
	cmd.Env = append(gitexec.WithoutRepoEnv(os.Environ()), "GIT_DIR="+s.GitDir)
	cmd.Stdout, cmd.Stderr = log, log
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	return logPath, cmd.Process.Release()
}

// openLog opens $GIT_DIR/federate/<name> for appending.
func (s *Session) openLog(name string) (*os.File, string, error) {
	dir := filepath.Join(s.GitDir, "federate")
	if err := lockfile.MkdirPrivate(dir); err != nil {
		return nil, "", err
	}
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	return f, p, err
}

// DeliverMirrors is the detached process: it pushes what is queued to
// every mirror with the fan-out of an ordinary push, which records the
// outcomes in the queue, and leaves a note when a mirror did not take
// everything.
func (s *Session) DeliverMirrors(ctx context.Context) error {
	if s.GitDir == "" {
		return i18n.Errorf("GIT_DIR is not set")
	}
	s.opts.Verbosity = 1
	outcomes := s.fanOut(ctx, s.fanoutTargets(), nil, nil)
	note := filepath.Join(s.GitDir, "federate", failedName)
	var failed []string
	for _, o := range outcomes {
		if line := failureLine(o); line != "" {
			failed = append(failed, line)
		}
	}
	var err error
	if len(failed) > 0 {
		err = os.WriteFile(note, []byte(strings.Join(failed, "\n")+"\n"), 0o644)
	}
	// The last line of each run, so the log shows where one ends.
	fmt.Fprintln(s.Stderr, DeliveredLine)
	return err
}

// DeliveredLine ends the log of each background push of the mirrors.
const DeliveredLine = "federate: background push of the mirrors done"

// failureLine sums up what one mirror did not take, or "": the mirror,
// how many refs and the first reason, separated by TABs. The note keeps
// it in this form, and the next push words it in its user's language.
func failureLine(o mirrorOutcome) string {
	n, reason := 0, o.Fatal
	for _, r := range o.Refs {
		if !r.OK {
			n++
			if reason.Empty() {
				reason = r.Reason
			}
		}
	}
	if n == 0 {
		return ""
	}
	return strings.Join([]string{redact.OneLine(o.Plan.Mirror.Raw), strconv.Itoa(n), redact.OneLine(reason.String())}, "\t")
}

// sayFailures words the lines failureLine made in p's language.
func sayFailures(p *i18n.Printer, note string) string {
	var said []string
	for _, line := range strings.Split(strings.TrimSpace(note), "\n") {
		f := strings.SplitN(line, "\t", 3)
		n, err := strconv.Atoi(f[min(1, len(f)-1)])
		if len(f) != 3 || err != nil {
			said = append(said, line) // a note of an older version
			continue
		}
		said = append(said, p.Sprintf("%s: %s not pushed (%s)", f[0], p.Sprintf("%d refs", n), transport.ReadBack(f[2]).Localize(p)))
	}
	return strings.Join(said, p.Sprintf("; "))
}

// reportBackground prints, once, that the last background push of the
// mirrors did not deliver everything.
func (s *Session) reportBackground(w io.Writer) {
	if s.GitDir == "" || w == nil {
		return
	}
	note := filepath.Join(s.GitDir, "federate", failedName)
	b, err := os.ReadFile(note)
	if err != nil {
		return
	}
	os.Remove(note)
	s.P.Fprintf(w, "warning: federate: the background push to the mirrors failed: %s; queued for the next push or `git federate sync` (see `git federate status`)\n",
		transport.Shorten(sayFailures(s.P, string(b))))
}
