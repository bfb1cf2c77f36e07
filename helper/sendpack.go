package helper

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/sendpack"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// A mirror pushed over http(s) with a token from the environment or the
// OS keyring, and nothing in git's config or environment that only git's
// own transport honours, is pushed by this process (internal/sendpack):
// listed with the token sent up front while the primary pushes, then sent
// the ref updates and a pack that every mirror advertising the same tips
// shares: `git pack-objects` runs once per group of mirrors, not once per
// mirror. Any other mirror goes through git's transport, as before.

// getenvOf looks variables up in env, the children's environment.
func getenvOf(env []string) func(string) string {
	if env == nil {
		return os.Getenv
	}
	return func(name string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(env[i], name+"="); ok {
				return v
			}
		}
		return ""
	}
}

// httpSettings is git's http configuration for rawURL (httpx.Resolve),
// for the clients that cannot hand a server to git's transport (LFS): the
// environment's alone when git config cannot be read.
func (s *Session) httpSettings(ctx context.Context, rawURL string) httpx.Settings {
	entries, _ := s.transportConfig(ctx)
	return httpx.Resolve(entries, getenvOf(s.Git.Env), rawURL)
}

// transportConfig reads, once per session, git config's http, url and
// credential sections.
func (s *Session) transportConfig(ctx context.Context) ([]gitexec.ConfigEntry, error) {
	s.configOnce.Do(func() {
		g := s.child()
		g.Stderr = nil
		ctx, cancel := context.WithTimeout(ctx, ListTimeout)
		defer cancel()
		s.transportCfg, s.transportCfgErr = g.ConfigRegexp(ctx, `^(http|url|credential)\.`, false)
	})
	return s.transportCfg, s.transportCfgErr
}

// listDirect lists mirror m from this process with client c.
func (s *Session) listDirect(ctx context.Context, c *sendpack.Client, m federation.Endpoint) (*directMirror, error) {
	ctx, cancel := context.WithTimeout(ctx, s.listLimitOf(m))
	defer cancel()
	adv, err := c.Advertise(ctx)
	if err != nil {
		return nil, i18n.Errorf("listing %s: %w", m.Raw, err)
	}
	return &directMirror{client: c, adv: adv, srv: m, listing: listingOf(m, advertised(adv))}, nil
}

// zeroOID is the object name of "nothing" in commands.
func zeroOID(like string) string { return strings.Repeat("0", max(len(like), 40)) }

// pushDirect pushes plan p to the mirror d listed: the commands, then
// the pack shared with every mirror that advertised the same tips.
// What git's send-pack refuses before sending (a non-fast-forward
// without force, an existing tag) is refused here the same way.
func (s *Session) pushDirect(ctx context.Context, d *directMirror, p mirrorPlan) mirrorOutcome {
	out := mirrorOutcome{Plan: p}
	updates := make([]update, len(p.Updates))
	for i, u := range p.Updates {
		updates[i] = u.update
	}
	r := s.sendUpdates(ctx, d, updates, nil, "non-fast-forward", nil)
	out.Fatal, out.Hint = r.fatal, r.hint
	for i, u := range p.Updates {
		ref := mirrorRef{indexedUpdate: u, OK: r.status[i].Accepted()}
		if !ref.OK {
			ref.Reason = r.status[i].Reason
		}
		out.Refs = append(out.Refs, ref)
	}
	for i := range out.Refs {
		if !out.Refs[i].OK && r.unpack != "" { // git's "error: remote unpack failed: …"
			out.Refs[i].Reason = out.Refs[i].Reason.WithWords("remote unpack failed: " + r.unpack)
		}
	}
	if out.Fatal.Empty() {
		withServerWords(out.Refs, r.said)
	}
	return out
}

// sent is what became of one request of updates to a server.
type sent struct {
	status []transport.Status // per update, in order
	said   string             // the server's words on the way, kept ("remote: " lines, cleaned) when not shown
	unpack string             // the server's error unpacking the pack, cleaned
	// fatal, when the push failed as a whole, is why; hint what the
	// user can do about it.
	fatal transport.Reason
	hint  string
}

// shown is how a push is shown while it runs (the primary's, to the
// user, as git's transport shows it); nil keeps the server's words for
// the report (a mirror's).
type shown struct {
	said     *sendpack.Display
	progress io.Writer // git's progress meters, when git asked for them
}

// sendUpdates sends updates to the server d listed, in one request. A
// status already set in pre (a stale lease) stands and counts as a
// refusal; nff is how a refused non-fast-forward is worded; show, when
// set, shows the push as it runs.
func (s *Session) sendUpdates(ctx context.Context, d *directMirror, updates []update, pre []transport.Status, nff string, show *shown) sent {
	out := sent{status: make([]transport.Status, len(updates))}
	status := out.status
	var cmds []sendpack.Command
	var at []int
	var wants []string
	refused := false
	for i, u := range updates {
		old := d.listing.OID(u.Ref)
		switch {
		case pre != nil && !pre[i].Reason.Empty():
			status[i] = pre[i]
			refused = true
			continue
		case u.Delete() && old == "":
			status[i] = transport.Status{UpToDate: true}
			continue
		case u.Delete():
			cmds = append(cmds, sendpack.Command{Old: old, New: zeroOID(old), Ref: u.Ref})
			at = append(at, i)
			continue
		case old == u.OID:
			status[i] = transport.Status{UpToDate: true}
			continue
		case u.OID == "":
			status[i] = transport.Status{Reason: transport.Said("src refspec does not match any")}
			refused = true
			continue
		}
		if old != "" && !u.Force {
			if why := s.needsForce(ctx, u.Ref, old, u.OID); why != "" {
				if why == "non-fast-forward" {
					why = nff
				}
				status[i] = transport.Status{Reason: transport.Said(why)}
				refused = true
				continue
			}
		}
		if old == "" {
			old = zeroOID(u.OID)
		}
		cmds = append(cmds, sendpack.Command{Old: old, New: u.OID, Ref: u.Ref})
		at = append(at, i)
		wants = append(wants, u.OID)
	}
	if refused && s.opts.Atomic {
		for _, i := range at {
			status[i] = transport.Status{Reason: transport.Ours(transport.CodeAtomic, pending.ReasonAtomic)}
		}
		cmds = nil
	}
	if len(cmds) == 0 {
		return out
	}
	res, err := s.sendDirect(ctx, d, cmds, wants, show)
	if err != nil {
		out.fatal, out.hint = s.directReason(ctx, err, d.srv.Raw)
		for _, i := range at {
			status[i] = transport.Status{Reason: out.fatal, Unreported: true}
		}
		return out
	}
	for _, i := range at {
		r, ok := res.Refs[updates[i].Ref]
		switch {
		case ok && r.OK:
			status[i] = transport.Status{OK: true}
		case ok:
			status[i] = transport.Status{Reason: transport.Said(r.Reason)}
		case res.Unpack != "":
			status[i] = transport.Status{Reason: transport.Said("unpacker error")}
		default:
			status[i] = transport.Status{Reason: transport.Said("expecting report")}
		}
	}
	out.said, out.unpack = res.Said, res.Unpack
	return out
}

// directReason is why a direct push or listing of mirror url failed as
// a whole with err, and a hint when one helps.
func (s *Session) directReason(ctx context.Context, err error, url string) (why transport.Reason, hint string) {
	var se *stall.Error
	if errors.As(err, &se) {
		return transport.Ours(transport.CodeStalled, pending.ReasonStalled(fmt.Sprintf("no data moved for %s; the limit is %s", se.Limit, se.Key))), ""
	}
	if errors.Is(err, sendpack.ErrBroke) {
		return transport.Ours(transport.CodeBroke, pending.ReasonBroke), ""
	}
	var he *gitexec.HintError
	if errors.As(s.explain(ctx, err, url), &he) {
		hint = he.HintIn(s.P)
	}
	return transport.Ours(transport.CodeFailed, i18n.M("%v", err)), hint
}

// needsForce is why git's send-pack would refuse to move ref from old to
// new without force: a tag that exists, an old value this repository
// lacks ("fetch first"), one new does not contain; "" when it would not.
func (s *Session) needsForce(ctx context.Context, ref, old, new string) string {
	if strings.HasPrefix(ref, "refs/tags/") {
		return "already exists"
	}
	g := s.child()
	g.Stderr = nil
	ctx, cancel := context.WithTimeout(ctx, ListTimeout)
	defer cancel()
	ok, err := g.IsAncestor(ctx, old, new)
	switch {
	case err != nil:
		return "fetch first"
	case !ok:
		return "non-fast-forward"
	}
	return ""
}

// sendDirect sends cmds to d with the pack for wants (none when every
// command deletes), shown as show says.
func (s *Session) sendDirect(ctx context.Context, d *directMirror, cmds []sendpack.Command, wants []string, show *shown) (*sendpack.Result, error) {
	o := sendpack.Options{Atomic: s.opts.Atomic, PushOptions: s.opts.PushOptions}
	var progress io.Writer
	if show != nil {
		o.Said, progress = show.said, show.progress
	}
	if len(wants) == 0 {
		return d.client.Push(ctx, d.adv, cmds, nil, 0, o)
	}
	haves := append([]string(nil), d.adv.Haves...)
	for _, r := range d.adv.Refs {
		haves = append(haves, r.OID)
	}
	ps := s.packs
	var total *packProgress
	if ps == nil || progress != nil { // the primary's, before any fan-out
		ps = newPacks(ctx, s.GitDir)
		if progress != nil {
			total = newPackProgress(progress, s.P)
			ps.progress = total
		}
		defer ps.close()
	}
	pk, err := ps.get(ctx, s, wants, haves, d.adv.Has("ofs-delta"))
	if err != nil {
		return nil, err
	}
	if total != nil {
		// As git's send-pack, which runs pack-objects into the
		// request: its meter while the pack goes, then its "Total".
		o.Progress = &sendpack.Progress{W: progress, Title: s.P.Sprintf("Writing objects"), Done: s.P.Sprintf("done"), After: total.held()}
	}
	f, err := os.Open(pk.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return d.client.Push(ctx, d.adv, cmds, bufio.NewReaderSize(f, 1<<16), pk.size, o)
}

// packProgress passes pack-objects' progress on, but for its meter of
// the pack written to a file here (git's shows the pack going to the
// server, which the upload's meter does) and its last line, "Total …",
// held back: git shows it after that meter.
type packProgress struct {
	mu     sync.Mutex
	w      io.Writer
	titles []string // the meter's title, in English and the user's language, and ": "
	line   []byte   // the line being written, or the last one ended by "\n"
}

func newPackProgress(w io.Writer, p *i18n.Printer) *packProgress {
	return &packProgress{w: w, titles: []string{"Writing objects: ", p.Sprintf("Writing objects") + ": "}}
}

func (pp *packProgress) Write(p []byte) (int, error) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	for _, c := range p {
		if n := len(pp.line); n > 0 && pp.line[n-1] == '\n' {
			pp.emit()
		}
		pp.line = append(pp.line, c)
		if c == '\r' {
			pp.emit()
		}
	}
	return len(p), nil
}

// emit writes out the line held, unless it is the file's meter.
func (pp *packProgress) emit() {
	for _, t := range pp.titles {
		if bytes.HasPrefix(pp.line, []byte(t)) {
			pp.line = pp.line[:0]
			return
		}
	}
	pp.w.Write(pp.line)
	pp.line = pp.line[:0]
}

// held is the line held back.
func (pp *packProgress) held() string {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return string(pp.line)
}

// packs are the packs of one fan-out, one per set of wanted objects and
// objects the mirror has: mirrors that advertised the same tips share
// one `git pack-objects` run and its bytes.
type packs struct {
	ctx    context.Context // the fan-out's: a mirror that gives up does not stop the others' pack
	dir    string
	mu     sync.Mutex
	byKey  map[string]*pack
	closed bool
	// progress, when set, gets git pack-objects' progress (the
	// primary's push, when git asked for progress).
	progress io.Writer
}

type pack struct {
	done chan struct{}
	path string
	size int64
	err  error
}

func newPacks(ctx context.Context, gitDir string) *packs {
	dir := ""
	if gitDir != "" {
		dir = filepath.Join(gitDir, "federate")
		removeStalePacks(dir, time.Now())
	}
	return &packs{ctx: context.WithoutCancel(ctx), dir: dir, byKey: map[string]*pack{}}
}

// stalePack is the age past which a pack file in the federate directory
// is the leftover of a push that was killed: a live one is removed by its
// push within the push's own time limits.
const stalePack = 24 * time.Hour

// removeStalePacks removes the pack files in dir that pushes killed
// before they could remove them (a crash, SIGKILL, a power cut).
func removeStalePacks(dir string, now time.Time) {
	names, _ := filepath.Glob(filepath.Join(dir, "pack-*.tmp"))
	for _, name := range names {
		if fi, err := os.Lstat(name); err == nil && fi.Mode().IsRegular() && now.Sub(fi.ModTime()) > stalePack {
			os.Remove(name)
		}
	}
}

// get is the pack of wants without what haves reach, made by the first
// mirror that asks for it; the others wait for it, until their ctx ends.
func (ps *packs) get(ctx context.Context, s *Session, wants, haves []string, ofsDelta bool) (*pack, error) {
	wants = slices.Compact(slices.Sorted(slices.Values(wants)))
	haves = slices.Compact(slices.Sorted(slices.Values(haves)))
	key := fmt.Sprint(ofsDelta, " ", strings.Join(wants, " "), "^", strings.Join(haves, " "))
	ps.mu.Lock()
	if ps.closed {
		ps.mu.Unlock()
		return nil, context.Canceled
	}
	pk := ps.byKey[key]
	if pk == nil {
		pk = &pack{done: make(chan struct{})}
		ps.byKey[key] = pk
		go func() {
			defer close(pk.done)
			pk.path, pk.size, pk.err = s.makePack(ps.ctx, ps.dir, wants, haves, ofsDelta, ps.progress)
		}()
	}
	ps.mu.Unlock()
	select {
	case <-pk.done:
		return pk, pk.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close waits for the packs being made and removes them all.
func (ps *packs) close() {
	if ps == nil {
		return
	}
	ps.mu.Lock()
	ps.closed = true
	all := ps.byKey
	ps.mu.Unlock()
	for _, pk := range all {
		<-pk.done
		if pk.path != "" {
			os.Remove(pk.path)
		}
	}
}

// makePack writes the thin pack of wants minus what the haves this
// repository has reach, into a new 0600 file in dir ("" for the system's
// temporary directory), with one `git pack-objects`; with ofsDelta (the
// servers announced ofs-delta) deltas name their base by offset; with
// progress set, git's progress goes there.
func (s *Session) makePack(ctx context.Context, dir string, wants, haves []string, ofsDelta bool, progress io.Writer) (string, int64, error) {
	known := s.objectNames(ctx, haves)
	var in bytes.Buffer
	for _, w := range wants {
		in.WriteString(w + "\n")
	}
	for _, h := range haves {
		if known[h] != "" {
			in.WriteString("^" + h + "\n")
		}
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			dir = ""
		}
	}
	f, err := os.CreateTemp(dir, "pack-*.tmp")
	if err != nil {
		return "", 0, err
	}
	path := f.Name()
	g := s.child()
	args := []string{"pack-objects", "--stdout", "--thin", "--revs", "-q"}
	if progress != nil { // git's send-pack's meters; the one of the file is left out
		args = append(args[:len(args)-1], "--progress", "--all-progress")
	}
	if ofsDelta {
		args = append(args, "--delta-base-offset")
	}
	cmd := g.Command(ctx, args...)
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = &in, f, &stderr
	if progress != nil {
		cmd.Stderr = io.MultiWriter(&stderr, progress)
	}
	err = cmd.Run()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", 0, i18n.Errorf("git pack-objects: %v: %s", err, s.Git.Redact.Clean(strings.TrimSpace(stderr.String())))
	}
	fi, err := os.Stat(path)
	if err != nil {
		os.Remove(path)
		return "", 0, err
	}
	s.Log.Debug("pack made", "tips", len(wants), "bytes", fi.Size())
	return path, fi.Size(), nil
}
