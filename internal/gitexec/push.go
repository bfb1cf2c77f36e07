package gitexec

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/lines"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
)

// MaxRefspecs bounds the refspecs of one `git push` child, to stay well
// under the kernel's argument size limit when a federation has many
// thousands of tags. A larger non-atomic push runs as several children.
const MaxRefspecs = 2000

// Push is one `git push` to one server, as every child push of this
// program runs it: --porcelain (so the outcome of each ref can be read),
// and never the user's pre-push hook, push.followTags, submodule
// recursion, configured push options or signing. Those are the parent's
// business: either git already did them before it called the remote
// helper, or (for sync) they were never asked for.
type Push struct {
	// URL is the server.
	URL string
	// Updates are the refs to set, in order.
	Updates []Update
	// DryRun, Atomic, ForceIfIncludes and Verbose are git push's own
	// switches of the same names.
	DryRun, Atomic, ForceIfIncludes, Verbose bool
	// Progress shows git's progress meter on stderr.
	Progress bool
	// Options are sent with --push-option, in order.
	Options []string
	// Signed is --signed's value ("true", "if-asked"); "" pushes unsigned
	// whatever push.gpgSign says.
	Signed string
}

// Update is one ref a push sets.
type Update struct {
	// Dst is the ref on the server.
	Dst string
	// Src is the value: an object name, a local ref, "HEAD"; "" deletes Dst.
	Src string
	// Force allows an update that is not a fast-forward.
	Force bool
	// Lease, when set, makes the update conditional on the server's value
	// (--force-with-lease): a ref someone moved meanwhile is refused. A
	// ref whose value matches is updated even when that is not a
	// fast-forward.
	Lease *Lease
}

// Lease is the value a server ref must have for an update to go through.
type Lease struct {
	// Expect is that value; "" means the ref must not exist.
	Expect string
	// Tracking: no value was given; git's push takes the remote-tracking
	// ref's (--force-with-lease=<ref>), and without one refuses.
	Tracking bool
}

// Delete reports whether u deletes its ref.
func (u Update) Delete() bool { return u.Src == "" }

// Refspec is u in git push syntax: "[+]<src>:<dst>", or ":<dst>". A
// leased update carries no "+": git would ignore the lease.
func (u Update) Refspec() string {
	switch {
	case u.Delete():
		return ":" + u.Dst
	case u.Force && u.Lease == nil:
		return "+" + u.Src + ":" + u.Dst
	}
	return u.Src + ":" + u.Dst
}

// Args is the argument list of the child git for p.
func (p Push) Args() []string {
	args := []string{"-c", "advice.pushUpdateRejected=false", "-c", "push.pushOption="}
	if p.Signed == "" {
		args = append(args, "-c", "push.gpgSign=false")
	}
	args = append(args, "push", "--porcelain", "--no-verify", "--no-follow-tags", "--recurse-submodules=no")
	args = append(args, p.switches()...)
	for _, u := range p.Updates {
		switch {
		case u.Lease == nil:
		case u.Lease.Tracking:
			args = append(args, "--force-with-lease="+u.Dst)
		default:
			args = append(args, "--force-with-lease="+u.Dst+":"+u.Lease.Expect)
		}
	}
	args = append(args, "--", p.URL)
	for _, u := range p.Updates {
		args = append(args, u.Refspec())
	}
	return args
}

func (p Push) switches() []string {
	var args []string
	flag := func(on bool, name string) {
		if on {
			args = append(args, name)
		}
	}
	flag(p.DryRun, "--dry-run")
	flag(p.Atomic, "--atomic")
	flag(p.ForceIfIncludes, "--force-if-includes")
	flag(p.Verbose, "--verbose")
	if p.Progress {
		args = append(args, "--progress")
	} else {
		args = append(args, "--no-progress")
	}
	for _, o := range p.Options {
		args = append(args, "--push-option="+o)
	}
	if p.Signed != "" {
		args = append(args, "--signed="+p.Signed)
	}
	return args
}

// chunks splits p into pushes of at most n updates. An atomic push is
// never split: all of it lands or none.
func (p Push) chunks(n int) []Push {
	if p.Atomic || len(p.Updates) <= n {
		return []Push{p}
	}
	var out []Push
	for rest := p.Updates; len(rest) > 0; {
		k := min(n, len(rest))
		c := p
		c.Updates = rest[:k:k]
		out = append(out, c)
		rest = rest[k:]
	}
	return out
}

// PushResult is what the child pushes said.
type PushResult struct {
	// Refs is the report of each ref, by destination.
	Refs map[string]RefReport
	// Fatal is the short reason of a push that failed as a whole: its
	// first "fatal:" line (or the cause git gave just before its generic
	// one), else its last "error:" line.
	Fatal string
	// Failed tells that a child failed without reporting its refs (a
	// network or authentication failure, a missing repository): the push
	// failed as a whole, for the reason in Fatal.
	Failed bool
	// MissingDeletes are deletes git refused before pushing anything
	// because the server has no such ref.
	MissingDeletes map[string]bool
}

// Push runs p, MaxRefspecs updates per child, and reads each ref's
// outcome. The children's stderr goes to r.Stderr as it comes. The error
// is the first child's failure, if any: a refused ref makes git exit
// non-zero too, so a caller looks at Refs first. A child that failed
// without reporting its refs ends the push; those refs, and the ones
// never tried, are reported rejected with the failure's reason.
func (r Runner) Push(ctx context.Context, p Push) (PushResult, error) {
	res := PushResult{Refs: map[string]RefReport{}, MissingDeletes: map[string]bool{}}
	var first error
	chunks := p.chunks(MaxRefspecs)
	for i, c := range chunks {
		err := r.pushOnce(ctx, c, &res)
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		if res.Fatal == "" {
			res.Fatal = err.Error()
		}
		if !res.reportedAll(c.Updates) {
			res.Failed = true
			for _, rest := range chunks[i:] {
				res.fail(rest.Updates)
			}
			break
		}
	}
	return res, first
}

func (r Runner) pushOnce(ctx context.Context, p Push, res *PushResult) error {
	scan := &stderrScan{missing: res.MissingDeletes}
	g, url := r.Plain(p.URL)
	p.URL = url
	g.Stderr = scan
	if r.Stderr != nil {
		g.Stderr = io.MultiWriter(r.Stderr, scan)
	}
	out, err := g.Output(ctx, p.Args()...)
	scan.flush()
	for _, ref := range ParsePorcelain(out) {
		// The reason is the server's text (a hook's words): hostile.
		ref.Summary, ref.Reason = r.Redact.Clean(ref.Summary), r.Redact.Clean(ref.Reason)
		res.Refs[ref.To] = ref
	}
	if err != nil && res.Fatal == "" {
		res.Fatal = r.Redact.Clean(scan.reason())
	}
	return err
}

func (res *PushResult) reportedAll(updates []Update) bool {
	for _, u := range updates {
		if _, ok := res.Refs[u.Dst]; !ok {
			return false
		}
	}
	return true
}

// RefReport is one ref line of `git push --porcelain`:
// "<flag>\t<from>:<to>\t<summary>" or "... <summary> (<reason>)".
type RefReport struct {
	// Flag is git's: ' ' fast-forward, '+' forced, '-' deleted, '*' new,
	// '=' up to date, '!' rejected or failed.
	Flag byte
	// From is the source as given ("refs/heads/x", an object name, an
	// expression); "" for a delete.
	From string
	// To is the ref on the server.
	To string
	// Summary is "[new branch]", "[rejected]", "abc..def"...
	Summary string
	// Reason is the text in parentheses, if any ("non-fast-forward",
	// "fetch first", the server's own words).
	Reason string
}

// OK reports whether the server has the value now (or would, in a dry run).
func (r RefReport) OK() bool { return r.Flag != '!' }

// Forced reports whether the server took a non-fast-forward update.
func (r RefReport) Forced() bool { return r.Flag == '+' }

// UpToDate reports whether the server already had the value.
func (r RefReport) UpToDate() bool { return r.Flag == '=' }

// Words is why git did not update the ref, in git's words: "no match"
// for "[no match]", git's "expecting report" for "[remote failure]", else
// the reason in parentheses, else the summary, else "not updated".
// Both the reply to git and the mirror's queue say a ref's refusal so.
func (r RefReport) Words() string {
	why := strings.Trim(r.Summary, "[]")
	switch {
	case r.Summary == "[no match]":
		return "no match"
	case r.Summary == "[remote failure]":
		return "expecting report" // git's own word for it, whatever detail follows
	case r.Reason != "":
		return r.Reason
	case r.Unreported() || why == "":
		return "not updated"
	}
	return why
}

// failedSummary is the summary of a ref git never reported because its
// push failed as a whole.
const failedSummary = "[failed]"

// Unreported reports whether git never reported the ref because the push
// failed as a whole (a cut connection, a crashed server): the server
// took none of it.
func (r RefReport) Unreported() bool { return r.Summary == failedSummary }

// ParsePorcelain reads the ref lines of `git push --porcelain`, skipping
// the "To <url>" and "Done" lines.
func ParsePorcelain(out []byte) []RefReport {
	var refs []RefReport
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if r, ok := parsePorcelainLine(sc.Text()); ok {
			refs = append(refs, r)
		}
	}
	return refs
}

func parsePorcelainLine(line string) (RefReport, bool) {
	fields := strings.SplitN(line, "\t", 3)
	if len(fields) != 3 || len(fields[0]) != 1 || !strings.Contains(" +-*!=", fields[0]) {
		return RefReport{}, false
	}
	// A ref name cannot hold ':' but a source expression can
	// ("main^{/fix: typo}"), so the destination follows the last one.
	i := strings.LastIndexByte(fields[1], ':')
	if i < 0 || i == len(fields[1])-1 {
		return RefReport{}, false
	}
	r := RefReport{Flag: fields[0][0], From: fields[1][:i], To: fields[1][i+1:], Summary: fields[2]}
	// The summary itself never holds " (": the reason starts at the first.
	if j := strings.Index(r.Summary, " ("); j >= 0 && strings.HasSuffix(r.Summary, ")") {
		r.Summary, r.Reason = r.Summary[:j], r.Summary[j+2:len(r.Summary)-1]
	}
	return r, true
}

// stderrScan reads a push child's stderr for the short reason of a failure
// and for the deletes git refused up front.
type stderrScan struct {
	fatal, errLine, other, stalled string
	missing                        map[string]bool
	lines                          lines.Writer
}

func (s *stderrScan) Write(p []byte) (int, error) {
	if s.lines.Line == nil {
		s.lines.Line = func(line []byte, _ byte) error { s.line(string(line)); return nil }
	}
	return s.lines.Write(p)
}

func (s *stderrScan) flush() {
	if s.lines.Line != nil {
		_ = s.lines.Flush()
	}
}

// Cause is the short reason a failed command's stderr gives, as a push
// report gives it (the first fatal line; the line before git's generic
// "Could not read from remote repository."; a stall; else its last
// line). curl's "unable to access '<url>': " goes, since the caller names
// the server, and the rest is one printable line (redact.OneLine) of
// bounded length: it may be an ssh server's words, and it goes to a
// terminal.
func Cause(stderr string) string {
	scan := &stderrScan{missing: map[string]bool{}}
	_, _ = scan.Write([]byte(stderr))
	scan.flush()
	r := scan.reason()
	if r == "" {
		r = scan.other // words of its own: "no answer within 30s"
	}
	if rest, ok := strings.CutPrefix(r, "unable to access '"); ok {
		if _, after, ok := strings.Cut(rest, "': "); ok {
			r = after
		}
	}
	r = redact.OneLine(r)
	if runes := []rune(r); len(runes) > maxCause {
		r = string(runes[:maxCause]) + "…"
	}
	return r
}

// maxCause bounds Cause: one line of a warning.
const maxCause = 160

// remoteHangUp is git's generic last word when the transport's own
// program (ssh, or the server behind it) failed; the line before it,
// ssh's or the server's, says why.
const remoteHangUp = "Could not read from remote repository."

func (s *stderrScan) line(line string) {
	if rest, ok := strings.CutPrefix(line, "error: unable to delete '"); ok {
		if ref, ok := strings.CutSuffix(rest, "': remote ref does not exist"); ok {
			s.missing[ref] = true
		}
	}
	if why, ok := StallReason(line); ok {
		s.stalled = why
		return
	}
	switch {
	case strings.HasPrefix(line, "fatal: ") && s.fatal == "":
		// The first is the cause; later ones are generic.
		s.fatal = strings.TrimPrefix(line, "fatal: ")
		if s.fatal == remoteHangUp && s.other != "" {
			// "ssh: connect to host … Connection refused",
			// "git@host: Permission denied (publickey).", "ERROR: Repository not found."
			s.fatal = s.other
		}
	case strings.HasPrefix(line, "error: ") && !strings.HasPrefix(line, "error: failed to push some refs"):
		s.errLine = strings.TrimPrefix(line, "error: ")
	case strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "fatal: ") && !IsProgress(line):
		s.other = strings.TrimSpace(line)
	}
}

func (s *stderrScan) reason() string {
	if s.stalled != "" {
		// git's last word is then a generic "the remote end hung up".
		return s.stalled
	}
	if s.fatal != "" {
		return s.fatal
	}
	return s.errLine
}

// stallLine starts the line git's http transport prints when it gave up
// a server that sent nothing for the stall limit (WithStallLimit).
const stallLine = "error: RPC failed; curl 28 "

// StallReason is the reason to give for a push whose child wrote line,
// when line says the server stopped answering: curl's own words ("Operation
// too slow...") name no step and no server; the ssh callback's name the
// host, the step and the limit's config key.
func StallReason(line string) (string, bool) {
	if why, ok := SSHStall(line); ok {
		return why, true
	}
	rest, ok := strings.CutPrefix(line, stallLine)
	if !ok {
		return "", false
	}
	return "the server stopped answering during the push (" + strings.TrimSpace(rest) + ")", true
}

// ServerWords is what a server itself said during a push, from the
// push's stderr: its "remote: " lines (a hook's message), progress left
// out, joined on one line; "" when it said nothing. A refusal's summary,
// "pre-receive hook declined", does not say why; these words do.
func ServerWords(stderr string) string {
	var said []string
	for _, line := range strings.FieldsFunc(stderr, func(r rune) bool { return r == '\n' || r == '\r' }) {
		words, ok := strings.CutPrefix(line, "remote: ")
		if words = strings.TrimSpace(words); ok && words != "" && !IsProgress(line) {
			said = append(said, words)
		}
	}
	return strings.Join(said, "; ")
}

// IsProgress reports whether line is one of git's progress lines, its
// own or the server's ("remote: Resolving deltas").
func IsProgress(line string) bool {
	line = strings.TrimPrefix(line, "remote: ")
	for _, p := range []string{"Enumerating objects", "Counting objects", "Compressing objects", "Writing objects",
		"Delta compression", "Total ", "Resolving deltas"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// fail reports every update of updates git did not report as rejected,
// for the push's reason.
func (res *PushResult) fail(updates []Update) {
	for _, u := range updates {
		if _, ok := res.Refs[u.Dst]; !ok {
			res.Refs[u.Dst] = RefReport{Flag: '!', From: u.Src, To: u.Dst, Summary: failedSummary, Reason: res.Fatal}
		}
	}
}

// Report is the outcome of the update of dst. A ref git did not name was
// up to date: git names those only with --verbose.
func (res PushResult) Report(dst string) RefReport {
	if r, ok := res.Refs[dst]; ok {
		return r
	}
	return RefReport{Flag: '=', To: dst, Summary: "[up to date]"}
}
