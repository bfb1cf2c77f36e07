package helper

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// PushTimeout bounds the push to the primary server (origin, or the first
// mirror with pushOrigin = false). A whole repository over a slow link
// can take long; a hung server must not hang git forever.
const PushTimeout = time.Hour

// refStatus is what one server did with one ref, in the words git's
// transport-helper understands.
type refStatus struct {
	OK       bool
	Forced   bool   // "ok <dst> forced update"
	UpToDate bool   // the server already had the value
	Reason   string // for !OK: "non-fast forward", "fetch first", a server's reason...
}

// accepted reports whether the server now has the value.
func (st refStatus) accepted() bool { return st.OK || st.UpToDate }

// reply writes the answer for dst.
func (st refStatus) reply(w *protocol.Writer, dst string) {
	if st.UpToDate {
		w.PushError(dst, "up to date") // git maps this to its own "[up to date]"
		return
	}
	if st.OK {
		w.PushOK(dst, st.Forced)
		return
	}
	w.PushError(dst, st.Reason)
}

// push answers one push batch: one `git push` to the primary server, then
// the refs it accepted (and what is queued from earlier pushes) to every
// other server in parallel. It replies one line per ref, in request
// order, so git prints its own report and hints.
func (s *Session) push(ctx context.Context, p protocol.Push, w *protocol.Writer) error {
	start := time.Now()
	updates := s.resolveUpdates(ctx, p.Refs)
	primary := s.pushTarget()
	status := s.pushPrimary(ctx, primary.Raw, updates)
	s.Log.Debug("pushed to primary", "server", primary.Raw, "refs", len(updates), "took", time.Since(start))
	if mirrors := s.fanoutTargets(); len(mirrors) > 0 {
		start = time.Now()
		s.fanOut(ctx, mirrors, acceptedUpdates(updates, status), status)
		s.Log.Debug("fanned out", "mirrors", len(mirrors), "took", time.Since(start))
	}
	for i, r := range p.Refs {
		status[i].reply(w, r.Dst)
	}
	return w.End()
}

// update is one ref update with its source resolved to an object name, so
// the primary and every mirror get exactly the same value even if a local
// ref moves while the push runs.
type update struct {
	Ref   string // destination ref
	Src   string // what git asked for: a local ref, "HEAD", an object name; "" deletes
	OID   string // Src resolved; "" for a delete or when it could not be resolved
	Force bool
}

func (u update) Delete() bool { return u.Src == "" }

// refspec is the update in git push syntax, by object name when known.
func (u update) refspec() string {
	if u.Delete() {
		return ":" + u.Ref
	}
	src := u.OID
	if src == "" {
		src = u.Src
	}
	if u.Force {
		return "+" + src + ":" + u.Ref
	}
	return src + ":" + u.Ref
}

// resolveUpdates turns git's push lines into updates, resolving every
// source in one `git cat-file --batch-check`. A source that cannot be
// resolved is kept by name; the child git then reports it in its own words.
func (s *Session) resolveUpdates(ctx context.Context, refs []protocol.PushRef) []update {
	out := make([]update, len(refs))
	var names []string
	for i, r := range refs {
		out[i] = update{Ref: r.Dst, Src: r.Src, Force: r.Force}
		if !r.Delete() {
			names = append(names, r.Src)
		}
	}
	oids := s.objectNames(ctx, names)
	for i := range out {
		if !out[i].Delete() {
			out[i].OID = oids[out[i].Src]
		}
	}
	return out
}

// objectNames resolves names (refs, "HEAD", object names) in the local
// repository. Names that do not resolve are missing from the result.
func (s *Session) objectNames(ctx context.Context, names []string) map[string]string {
	res := map[string]string{}
	if len(names) == 0 {
		return res
	}
	var in bytes.Buffer
	for _, n := range names {
		in.WriteString(n + "\n")
	}
	g := s.child()
	g.Stderr = nil
	ctx, cancel := context.WithTimeout(ctx, ListTimeout)
	defer cancel()
	out, err := g.OutputStdin(ctx, &in, "cat-file", "--batch-check=%(objectname)")
	if err != nil {
		s.Log.Debug("resolving push sources", "err", err)
		return res
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(names) {
		return res
	}
	for i, l := range lines {
		if protocol.IsOID(l) {
			res[names[i]] = l
		}
	}
	return res
}

// child is the runner for child git processes: in $GIT_DIR, with the
// credential callback the session's runner already carries.
func (s *Session) child() gitexec.Runner {
	g := s.Git
	if s.GitDir != "" {
		g.Dir = s.GitDir
		env := g.Env
		if env == nil {
			env = os.Environ()
		}
		// os/exec keeps the last value of a repeated variable.
		g.Env = append(append([]string(nil), env...), "GIT_DIR="+s.GitDir)
	}
	return g
}

// pushPrimary runs one `git push --porcelain` to url with the options git
// gave us and returns a status per update, in order. The child's progress
// and the server's messages go to the user's terminal as they come.
func (s *Session) pushPrimary(ctx context.Context, url string, updates []update) []refStatus {
	ctx, cancel := context.WithTimeout(ctx, PushTimeout)
	defer cancel()
	args := s.primaryPushArgs(updates)
	args = append(args, "--", url)
	for _, u := range updates {
		args = append(args, u.refspec())
	}
	var stderr io.Writer = io.Discard
	if s.Stderr != nil {
		stderr = s.Stderr
	}
	res := runPush(ctx, s.child(), stderr, args)
	if res.Err != nil {
		res.Fatal = s.primaryFailed(url, res.Fatal)
	}
	return res.statuses(updates)
}

// primaryPushArgs are the push options for the primary server, from what
// git set with "option" before the push batch.
func (s *Session) primaryPushArgs(updates []update) []string {
	o := s.opts
	args := childPushArgs(o.DryRun, o.Atomic, o.PushOptions)
	if o.Progress && o.Verbosity > 0 {
		args = append(args, "--progress")
	} else {
		args = append(args, "--no-progress")
	}
	if o.Verbosity > 1 {
		args = append(args, "--verbose")
	}
	for _, c := range o.CAS {
		args = append(args, "--force-with-lease="+leaseArg(c))
	}
	if o.ForceIfIncludes {
		args = append(args, "--force-if-includes")
	}
	if o.Signed != "" {
		args = append(args, "--signed="+o.Signed)
	}
	return args
}

// childPushArgs are the options every child push gets. The parent git
// already ran the pre-push hook, expanded push.pushOption, followed tags
// and recursed into submodules: the children must not do it again. The
// hints about rejected pushes are git's (the parent prints them from our
// reply), so the children's are turned off.
func childPushArgs(dryRun, atomic bool, pushOptions []string) []string {
	args := []string{"-c", "advice.pushUpdateRejected=false", "-c", "push.pushOption=",
		"-c", "push.gpgSign=false", "push", "--porcelain", "--no-verify", "--no-follow-tags",
		"--recurse-submodules=no"}
	if dryRun {
		args = append(args, "--dry-run")
	}
	if atomic {
		args = append(args, "--atomic")
	}
	for _, po := range pushOptions {
		args = append(args, "--push-option="+po)
	}
	return args
}

// leaseArg turns git's "cas <ref>:<oid>" value into the value of
// --force-with-lease: the zero object name means "must not exist yet",
// which git push spells with an empty expected value.
func leaseArg(cas string) string {
	ref, oid, ok := strings.Cut(cas, ":")
	if !ok {
		return ref
	}
	if strings.Trim(oid, "0") == "" {
		return ref + ":"
	}
	return ref + ":" + oid
}

// pushResult is what one child `git push --porcelain` said.
type pushResult struct {
	Refs  map[string]porcelainRef // by destination ref
	Err   error                   // the child's failure, if any
	Fatal string                  // its last "fatal:"/"error:" line, for a short reason
}

// runPush runs git args (a push with --porcelain) and parses its report.
// stderr receives the child's stderr, less the "failed to push some
// refs" line that the parent git prints itself.
func runPush(ctx context.Context, g gitexec.Runner, stderr io.Writer, args []string) pushResult {
	var tail tailLines
	f := &lineFilter{w: stderr, drop: "error: failed to push some refs to ", tail: &tail}
	g.Stderr = f
	out, err := g.Output(ctx, args...)
	f.Flush()
	res := pushResult{Refs: parsePorcelain(out), Err: err, Fatal: tail.reason()}
	if err != nil && res.Fatal == "" {
		res.Fatal = err.Error()
	}
	return res
}

// statuses maps the child's report onto updates, in order.
func (r pushResult) statuses(updates []update) []refStatus {
	out := make([]refStatus, len(updates))
	for i, u := range updates {
		out[i] = r.status(u.Ref)
	}
	return out
}

// status is the outcome for ref. A ref the report does not name was up to
// date (git prints those only with --verbose) unless the child failed
// before it could report.
func (r pushResult) status(ref string) refStatus {
	if p, ok := r.Refs[ref]; ok {
		return p.status()
	}
	if r.Err != nil {
		return refStatus{Reason: shorten(r.Fatal)}
	}
	return refStatus{UpToDate: true}
}

// porcelainRef is one line of `git push --porcelain`:
// "<flag>\t<from>:<to>\t<summary> (<reason>)".
type porcelainRef struct {
	Flag    byte
	Ref     string
	Summary string // "[rejected]", "[remote rejected]", "[new branch]", "abc..def"...
	Reason  string // the text in parentheses, if any
}

// parsePorcelain reads the report of `git push --porcelain`, ignoring the
// "To <url>" and "Done" lines.
func parsePorcelain(out []byte) map[string]porcelainRef {
	refs := map[string]porcelainRef{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if p, ok := parsePorcelainLine(sc.Text()); ok {
			refs[p.Ref] = p
		}
	}
	return refs
}

func parsePorcelainLine(line string) (porcelainRef, bool) {
	fields := strings.SplitN(line, "\t", 3)
	if len(fields) != 3 || len(fields[0]) != 1 || !strings.Contains(" +-*!=", fields[0]) {
		return porcelainRef{}, false
	}
	i := strings.LastIndexByte(fields[1], ':')
	if i < 0 || i == len(fields[1])-1 {
		return porcelainRef{}, false
	}
	p := porcelainRef{Flag: fields[0][0], Ref: fields[1][i+1:], Summary: fields[2]}
	if j := strings.Index(p.Summary, " ("); j >= 0 && strings.HasSuffix(p.Summary, ")") {
		p.Summary, p.Reason = p.Summary[:j], p.Summary[j+2:len(p.Summary)-1]
	}
	return p, true
}

// status translates a porcelain line into the reply git expects from a
// helper: git's own rejection words map back to its statuses, so the user
// sees "! [rejected] main -> main (non-fast-forward)" and git's hints.
func (p porcelainRef) status() refStatus {
	switch p.Flag {
	case ' ', '*', '-':
		return refStatus{OK: true}
	case '+':
		return refStatus{OK: true, Forced: true}
	case '=':
		return refStatus{UpToDate: true}
	}
	switch p.Summary {
	case "[no match]":
		return refStatus{Reason: "no match"}
	case "[remote failure]":
		return refStatus{Reason: "expecting report"}
	case "[rejected]":
		if p.Reason == "non-fast-forward" {
			return refStatus{Reason: "non-fast forward"} // the helper protocol's spelling
		}
	}
	if p.Reason == "" {
		return refStatus{Reason: strings.Trim(p.Summary, "[]")}
	}
	return refStatus{Reason: p.Reason}
}

// shorten keeps a reason to one line of reasonable length.
func shorten(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// lineFilter passes a child's stderr through line by line (a progress
// line ends in '\r'), drops lines starting with drop, and remembers the
// last error lines for a short reason.
type lineFilter struct {
	w    io.Writer
	drop string
	tail *tailLines
	buf  []byte
}

func (f *lineFilter) Write(p []byte) (int, error) {
	f.buf = append(f.buf, p...)
	for {
		i := bytes.IndexAny(f.buf, "\r\n")
		if i < 0 {
			return len(p), nil
		}
		f.emit(f.buf[:i+1])
		f.buf = f.buf[i+1:]
	}
}

// Flush writes what is left after the child exits.
func (f *lineFilter) Flush() {
	if len(f.buf) > 0 {
		f.emit(f.buf)
		f.buf = nil
	}
}

func (f *lineFilter) emit(line []byte) {
	text := strings.TrimRight(string(line), "\r\n")
	if f.tail != nil {
		f.tail.add(text)
	}
	if f.drop != "" && strings.HasPrefix(text, f.drop) {
		return
	}
	f.w.Write(line)
}

// tailLines keeps the last "fatal:" and "error:" lines of a child's
// stderr: the short reason for a push that failed as a whole.
type tailLines struct{ fatal, errLine, other, stalled string }

// stallLine is git's http transport giving up a server that stopped
// answering (the federation's timeout, see WithStallLimit).
const stallLine = "error: RPC failed; curl 28 "

// remoteHangUp is git's generic last word when the transport's own
// program (ssh, or the server behind it) failed; the line before it,
// ssh's or the server's, says why.
const remoteHangUp = "Could not read from remote repository."

func (t *tailLines) add(line string) {
	switch {
	case strings.HasPrefix(line, stallLine):
		t.stalled = strings.TrimPrefix(line, stallLine)
	case strings.HasPrefix(line, "fatal: ") && t.fatal == "":
		// The first is the cause; later ones are generic ("Could not
		// read from remote repository.").
		t.fatal = strings.TrimPrefix(line, "fatal: ")
		if t.fatal == remoteHangUp && t.other != "" {
			// "ssh: connect to host … Connection refused",
			// "git@host: Permission denied (publickey).", "ERROR: Repository not found."
			t.fatal = t.other
		}
	case strings.HasPrefix(line, "error: ") && !strings.HasPrefix(line, "error: failed to push some refs"):
		t.errLine = strings.TrimPrefix(line, "error: ")
	case strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "fatal: ") && !isProgress(line):
		t.other = strings.TrimSpace(line)
	}
}

// isProgress reports whether line is one of git's progress lines.
func isProgress(line string) bool {
	line = strings.TrimPrefix(line, "remote: ")
	for _, p := range []string{"Enumerating objects", "Counting objects", "Compressing objects", "Writing objects",
		"Delta compression", "Total ", "Resolving deltas"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

func (t *tailLines) reason() string {
	if t.stalled != "" {
		// git's last word is a generic "the remote end hung up".
		return "the server stopped answering during the push (" + t.stalled + ")"
	}
	if t.fatal != "" {
		return t.fatal
	}
	return t.errLine
}
