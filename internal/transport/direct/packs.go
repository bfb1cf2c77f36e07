package direct

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

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

// Packs are the packs of one fan-out, one per set of wanted objects and
// objects the mirror has: mirrors that advertised the same tips share
// one `git pack-objects` run and its bytes.
type Packs struct {
	ctx    context.Context // the fan-out's: a mirror that gives up does not stop the others' pack
	git    gitexec.Runner
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

// NewPacks are the packs of one fan-out, made by git (in the local
// repository) into gitDir's federate directory (gitDir "": the system's
// temporary directory). Close removes them.
func NewPacks(ctx context.Context, git gitexec.Runner, gitDir string) *Packs {
	dir := ""
	if gitDir != "" {
		dir = filepath.Join(gitDir, "federate")
		removeStalePacks(dir, time.Now())
	}
	return &Packs{ctx: context.WithoutCancel(ctx), git: git, dir: dir, byKey: map[string]*pack{}}
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
func (ps *Packs) get(ctx context.Context, wants, haves []string, ofsDelta bool) (*pack, error) {
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
			pk.path, pk.size, pk.err = makePack(ps.ctx, ps.git, ps.dir, wants, haves, ofsDelta, ps.progress)
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

// Close waits for the packs being made and removes them all.
func (ps *Packs) Close() {
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
func makePack(ctx context.Context, g gitexec.Runner, dir string, wants, haves []string, ofsDelta bool, progress io.Writer) (string, int64, error) {
	known, _ := g.ObjectNames(ctx, haves)
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
		return "", 0, i18n.Errorf("git pack-objects: %v: %s", err, g.Redact.Clean(strings.TrimSpace(stderr.String())))
	}
	fi, err := os.Stat(path)
	if err != nil {
		os.Remove(path)
		return "", 0, err
	}
	return path, fi.Size(), nil
}
