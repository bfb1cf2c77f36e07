package helper

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/sendpack"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// A mirror pushed over http(s) with a token from the environment or the
// OS keyring, and nothing in git's config or environment that only git's
// own transport honours, is pushed by this process (internal/sendpack):
// listed with the token sent up front while the primary pushes, then sent
// the ref updates and a pack that every mirror advertising the same tips
// shares: `git pack-objects` runs once per group of mirrors, not once per
// mirror. Any other mirror goes through git's transport, as before.

// directMirror is a mirror listed by this process.
type directMirror struct {
	client *sendpack.Client
	adv    *sendpack.Advertisement
	srv    federation.Endpoint
}

// gitOnlyEnv are environment variables that change how git's http
// transport talks to a server; with one set, mirrors go through git.
// GIT_SSL_CAINFO, the certificates to trust, is honoured here too.
var gitOnlyEnv = []string{"GIT_SSL_", "GIT_PROXY_SSL_", "GIT_HTTP_PROXY_AUTHMETHOD", "GIT_HTTP_USER_AGENT",
	"GIT_CURL_", "GIT_TRACE_CURL", "GIT_SMART_HTTP", "GIT_ALLOW_PROTOCOL", "GIT_PROTOCOL_FROM_USER"}

// directClient is the client that pushes to mirror m from this process,
// or nil when m must go through git's transport: m is not http(s), it
// names a user, no token for it is in the environment or the keyring,
// or git's config or environment has a setting for it that only git's
// transport honours (http.*, a URL rewrite, a credential username).
func (s *Session) directClient(ctx context.Context, m federation.Endpoint) *sendpack.Client {
	if u, err := url.Parse(m.Raw); !m.HTTP() || err != nil || u.User != nil {
		return nil
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, kv := range s.Git.Env {
		for _, p := range gitOnlyEnv {
			if strings.HasPrefix(kv, p) && !strings.HasPrefix(kv, "GIT_SSL_CAINFO=") {
				log.Debug("mirror through git's transport: environment", "mirror", m.Raw, "variable", strings.SplitN(kv, "=", 2)[0])
				return nil
			}
		}
	}
	if key := s.gitOnlyConfig(ctx, m); key != "" {
		log.Debug("mirror through git's transport: config", "mirror", m.Raw, "key", key)
		return nil
	}
	k := keystore.Key{Protocol: m.Protocol, Host: m.Host}
	cred, err := keystore.Default(keystore.Options{Getenv: getenvOf(s.Git.Env), Forge: s.Forge}).Get(ctx, k)
	if err != nil || cred.Token == "" {
		return nil
	}
	user := cred.Username
	if user == "" {
		if user, err = keystore.ForgeUsernames(s.Forge)(k); err != nil {
			return nil // git's transport says what to configure
		}
	}
	s.Git.Redact.Add(user, cred.Token)
	stall, stallKey := s.Fed.TimeoutOf(m)
	c, err := sendpack.New(sendpack.Config{URL: m.Raw, User: user, Token: cred.Token, Clean: s.Git.Redact,
		Stall: stall, StallKey: stallKey, CAFile: getenvOf(s.Git.Env)("GIT_SSL_CAINFO")})
	if err != nil {
		return nil
	}
	return c
}

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

// gitOnlyConfig is the first key of git config that git's transport
// would apply to m and this process would not, or "". It errs on the
// side of git: every http.* key without a URL, or with one naming m's
// host; a url.*.insteadOf or pushInsteadOf matching m; a credential
// username or useHttpPath.
func (s *Session) gitOnlyConfig(ctx context.Context, m federation.Endpoint) string {
	entries, err := s.transportConfig(ctx)
	if err != nil {
		return "(unreadable)"
	}
	for _, e := range entries {
		section, sub, key, ok := federation.SplitKey(e.Key)
		if !ok {
			continue
		}
		forM := sub == "" || urlMatches(sub, m)
		switch strings.ToLower(section) {
		case "http":
			// The low-speed keys are the stall limits this program set
			// (gitexec.WithServerLimits), which it applies itself.
			if forM && !strings.EqualFold(key, "lowSpeedTime") && !strings.EqualFold(key, "lowSpeedLimit") {
				return e.Key
			}
		case "credential":
			if forM && (strings.EqualFold(key, "username") || strings.EqualFold(key, "useHttpPath")) {
				return e.Key
			}
		case "url":
			if strings.HasPrefix(m.Raw, e.Value) {
				return e.Key
			}
		}
	}
	return ""
}

// urlMatches reports whether the URL of a config subsection
// ("http.<url>.*") may apply to m, as git's urlmatch does: same scheme,
// host (a "*" in it matches any) and port, a path that is a prefix of
// m's at a "/"; a subsection that does not parse counts as a match.
func urlMatches(sub string, m federation.Endpoint) bool {
	u, err := url.Parse(sub)
	if err != nil || u.Host == "" {
		return true
	}
	if u.User != nil || !strings.EqualFold(u.Scheme, m.Protocol) {
		return false
	}
	host := strings.ToLower(u.Host)
	if port := u.Port(); (port == "443" && m.Protocol == "https") || (port == "80" && m.Protocol == "http") {
		host = strings.ToLower(u.Hostname())
	}
	if ok, _ := path.Match(host, m.Host); !ok && host != m.Host {
		return false
	}
	p := strings.TrimSuffix(u.Path, "/")
	return p == "" || m.Path == p || strings.HasPrefix(m.Path, p+"/")
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
	return &directMirror{client: c, adv: adv, srv: m}, nil
}

// directFits reports whether this push can go to d from this process:
// a dry run, and options the server did not announce, go through git,
// which says what it can and cannot do in its own words.
func (s *Session) directFits(d *directMirror) bool {
	o := s.opts
	return !o.DryRun && d.adv.Has("report-status") &&
		(!o.Atomic || d.adv.Has("atomic")) && (len(o.PushOptions) == 0 || d.adv.Has("push-options"))
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
	status, said, fatal, hint := s.sendUpdates(ctx, d, updates, nil, "non-fast-forward", nil)
	out.Fatal, out.Hint = fatal, hint
	for i, u := range p.Updates {
		ref := mirrorRef{indexedUpdate: u, OK: status[i].accepted()}
		if !ref.OK {
			ref.Reason = status[i].Reason
		}
		out.Refs = append(out.Refs, ref)
	}
	if out.Fatal == "" {
		withServerWords(out.Refs, said)
	}
	return out
}

// sendUpdates sends updates to the server d listed, in one request, and
// returns a status per update, in order, what the server said on the
// way ("remote: " lines, cleaned) and, when the push failed as a whole,
// why and a hint. A status already set in pre (a stale lease) stands and
// counts as a refusal; nff is how a refused non-fast-forward is worded;
// progress, when set, gets git pack-objects' progress.
func (s *Session) sendUpdates(ctx context.Context, d *directMirror, updates []update, pre []refStatus, nff string, progress io.Writer) (status []refStatus, said, fatal, hint string) {
	status = make([]refStatus, len(updates))
	var cmds []sendpack.Command
	var at []int
	var wants []string
	refused := false
	for i, u := range updates {
		old := d.adv.OID(u.Ref)
		switch {
		case pre != nil && pre[i].Reason != "":
			status[i] = pre[i]
			refused = true
			continue
		case u.Delete() && old == "":
			status[i] = refStatus{UpToDate: true}
			continue
		case u.Delete():
			cmds = append(cmds, sendpack.Command{Old: old, New: zeroOID(old), Ref: u.Ref})
			at = append(at, i)
			continue
		case old == u.OID:
			status[i] = refStatus{UpToDate: true}
			continue
		case u.OID == "":
			status[i] = refStatus{Reason: "src refspec does not match any"}
			refused = true
			continue
		}
		if old != "" && !u.Force {
			if why := s.needsForce(ctx, u.Ref, old, u.OID); why != "" {
				if why == "non-fast-forward" {
					why = nff
				}
				status[i] = refStatus{Reason: why}
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
			status[i] = refStatus{Reason: pending.ReasonAtomic.String()}
		}
		cmds = nil
	}
	if len(cmds) == 0 {
		return status, "", "", ""
	}
	res, err := s.sendDirect(ctx, d, cmds, wants, progress)
	if err != nil {
		fatal, hint = s.directReason(err, d.srv.Raw)
		for _, i := range at {
			status[i] = refStatus{Reason: fatal, Unreported: true}
		}
		return status, "", fatal, hint
	}
	for _, i := range at {
		r, ok := res.Refs[updates[i].Ref]
		switch {
		case ok && r.OK:
			status[i] = refStatus{OK: true}
		case ok:
			status[i] = refStatus{Reason: shorten(r.Reason)}
		case res.Unpack != "":
			status[i] = refStatus{Reason: shorten("unpacker error: " + res.Unpack)}
		default:
			status[i] = refStatus{Reason: "expecting report"}
		}
	}
	return status, res.Said, "", ""
}

// directReason is the reason of a direct push or listing of mirror url
// that failed as a whole with err, in English (the queue keeps it; the
// report says it in the user's language), and a hint when one helps.
func (s *Session) directReason(err error, url string) (reason, hint string) {
	var se *stall.Error
	if errors.As(err, &se) {
		return ours(pending.ReasonStalled(fmt.Sprintf("no data moved for %s; the limit is %s", se.Limit, se.Key))), ""
	}
	if errors.Is(err, sendpack.ErrBroke) {
		return pending.ReasonBroke.String(), ""
	}
	var he *gitexec.HintError
	if errors.As(gitexec.Explain(err, url), &he) {
		hint = he.HintIn(s.P)
	}
	return ours(i18n.M("%v", err)), hint
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
	_, err := g.Output(ctx, "merge-base", "--is-ancestor", old, new)
	var ge *gitexec.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ge) && ge.ExitCode == 1:
		return "non-fast-forward"
	}
	return "fetch first"
}

// sendDirect sends cmds to d with the pack for wants (none when every
// command deletes).
func (s *Session) sendDirect(ctx context.Context, d *directMirror, cmds []sendpack.Command, wants []string, progress io.Writer) (*sendpack.Result, error) {
	o := sendpack.Options{Atomic: s.opts.Atomic, PushOptions: s.opts.PushOptions}
	if len(wants) == 0 {
		return d.client.Push(ctx, d.adv, cmds, nil, 0, o)
	}
	haves := append([]string(nil), d.adv.Haves...)
	for _, r := range d.adv.Refs {
		haves = append(haves, r.OID)
	}
	ps := s.packs
	if ps == nil || progress != nil { // the primary's, before any fan-out
		ps = newPacks(ctx, s.GitDir)
		ps.progress = progress
		defer ps.close()
	}
	pk, err := ps.get(ctx, s, wants, haves, d.adv.Has("ofs-delta"))
	if err != nil {
		return nil, err
	}
	f, err := os.Open(pk.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return d.client.Push(ctx, d.adv, cmds, bufio.NewReaderSize(f, 1<<16), pk.size, o)
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
	if progress != nil {
		args[len(args)-1] = "--progress"
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
