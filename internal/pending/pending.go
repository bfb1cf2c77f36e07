// Package pending is the queue of ref updates that a mirror has not taken
// yet. A push through git-remote-federate updates the origin and then each
// mirror; what a mirror refuses or cannot receive (it is down, it has a
// diverged branch, it timed out) is written here so that the next push,
// or `git federate sync`, retries it. Nothing a user pushed is lost.
//
// # File
//
// The queue lives in $GIT_DIR/federate/pending (see Open). It is plain
// text, one entry per line, fields separated by one TAB:
//
//		<mirror-url> TAB <ref> TAB <new-value> [TAB <old-value>] TAB <mode> TAB <since> TAB <attempts> TAB <reason>
//
//	  - mirror-url: the mirror as configured (federation.Endpoint.Raw),
//	    C-quoted when it holds a TAB, a newline, a quote or a backslash.
//	  - ref: the full ref name on the mirror, e.g. refs/heads/main.
//	  - new-value: the object name the mirror's ref must get, or "-" to
//	    delete the ref.
//	  - old-value: the value the mirror's ref had when the update was
//	    queued, as far as the writer knew (see Entry.Old): an object
//	    name, or "-" when the ref did not exist. Files written before
//	    this field existed have seven fields and are read with it unknown.
//	  - mode: "force" when the update may overwrite the mirror's value,
//	    "ff" when it must be a fast-forward (or a creation).
//	  - since: when the entry was first queued, RFC 3339 in UTC.
//	  - attempts: how many times the mirror failed to take it (a decimal
//	    number; 0 for an update written ahead of its first push, see
//	    Plan). Files written before this field existed have six fields
//	    and are read with attempts 1.
//	  - reason: why the mirror did not take it the last time (the last
//	    error), control characters stripped, C-quoted when needed (it may
//	    be empty). Our own reasons are English whatever language the
//	    writer spoke; Say words them for a reader.
//
// Lines starting with "#" and blank lines are comments. There is at most
// one entry per (mirror, ref): a newer value supersedes a queued one.
//
// # The old value
//
// Each entry says what the mirror is to go from and to: `git federate
// status` shows it as old -> new. The old value is the mirror's own value
// when the writer listed the mirror (the push's fan-out and sync do),
// else the value the upstream had before the push, and a newer value
// that supersedes a queued one keeps the queued old value: the mirror
// never got the values in between.
//
// The old value is what the queue knows, not a guard: a queued forced
// update or delete is not delivered only onto it. Each working copy keeps
// its own queue, and sync's cache none, so a mirror's ref moves through
// another queue's delivery, or never gets a value in between, without
// this queue seeing it; a compare-and-swap on the old value then kept a
// mirror behind origin for good. Delivery leases on the mirror's value
// as listed just before the push instead (internal/delivery).
//
// # Concurrency
//
// Two pushes (or a push and a sync) may touch the queue at once. Every
// change is a read-modify-write under an exclusive flock(2) on the
// sibling file "pending.lock", and the new content is written to a
// temporary file that is synced and renamed over the queue (and the
// directory synced), so a reader never sees a half-written file and needs
// no lock, and a crash leaves either the old queue or the new one.
//
// # Corruption
//
// A file that cannot be parsed (a disk error, a hand edit) is never
// silently dropped: it is renamed to "pending.corrupt-<time>" next to the
// queue, the entries that could still be read are kept, and the caller
// gets a *CorruptError naming both files.
//
// # Use
//
//	q := pending.Open(gitDir)
//	todo, err := q.ForMirror(mirror.Raw)       // what to retry on this mirror
//	// ... push todo to the mirror ...
//	err = q.Remove(ctx, done...)               // drop what the mirror now has
//	err = q.Add(ctx, pending.Entry{Mirror: mirror.Raw, Ref: ref, OID: oid, Reason: why})
package pending

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/lockfile"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// ErrMalformed is wrapped by the error for a queue line that cannot be
// read.
var ErrMalformed = i18n.Errorf("pending: malformed queue entry")

// LockTimeout bounds the wait for another process's lock on the queue
// when the caller's context has no deadline of its own.
const LockTimeout = 30 * time.Second

// Entry is one ref update a mirror still has to take.
type Entry struct {
	// Mirror is the mirror's URL as configured (federation.Endpoint.Raw).
	Mirror string
	// Ref is the full ref name on the mirror.
	Ref string
	// OID is the value the ref must get; "" (or an all-zero object name)
	// deletes the ref.
	OID string
	// Force allows overwriting a mirror value that is not an ancestor. A
	// newer value queued over a forced update or a delete is forced too.
	Force bool
	// Old is the value the mirror's ref had when the update was queued,
	// as far as the writer knew: its listed value when the writer listed
	// the mirror, else the upstream's before the push. Absent when the
	// ref did not exist, "" when not known (files written before the
	// field existed). A merged entry keeps the first Old (the mirror never
	// got the values in between) unless the new one is Listed.
	Old string
	// Listed says Old is the mirror's value as the writer listed it
	// just now: it replaces the Old of a queued entry, which only says
	// what the mirror was last known to hold. Not stored: read back, it
	// is false.
	Listed bool
	// Since is when the update was first queued for this mirror and ref.
	Since time.Time
	// Attempts is how many times the mirror failed to take the update.
	// Add counts it, Plan does not; the value given to either is ignored.
	Attempts int
	// Reason is why the mirror did not take it the last time it was tried
	// (the last error). Add strips control characters from it.
	Reason string
}

// CorruptError reports a queue file that could not be read. The file was
// moved aside to Aside (nothing is deleted) and the Kept entries that
// could be read stay queued.
type CorruptError struct {
	Path  string
	Aside string
	Kept  int
	Err   error // wraps ErrMalformed
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("pending queue %s was corrupt (%v): moved aside to %s, %d readable %s kept",
		e.Path, e.Err, e.Aside, e.Kept, pluralEntry(e.Kept))
}

func (e *CorruptError) Unwrap() error { return e.Err }

func pluralEntry(n int) string {
	if n == 1 {
		return "entry"
	}
	return "entries"
}

// Delete reports whether the entry deletes the ref.
func (e Entry) Delete() bool { return isZero(e.OID) }

// Refspec is the entry as a git push refspec: "[+]<oid>:<ref>", or
// ":<ref>" for a delete.
func (e Entry) Refspec() string {
	if e.Delete() {
		return ":" + e.Ref
	}
	s := e.OID + ":" + e.Ref
	if e.Force {
		s = "+" + s
	}
	return s
}

// Satisfies reports whether a mirror whose ref has value mirrorOID ("" when
// the ref is missing) already has what e asks for.
func (e Entry) Satisfies(mirrorOID string) bool {
	if e.Delete() {
		return isZero(mirrorOID)
	}
	return e.OID == mirrorOID
}

// Absent is Entry.Old for a ref that did not exist.
const Absent = "-"

// OldOf is the Old of an update of a ref whose value was oid on the
// mirror or the upstream ("" or all zeros when it did not exist).
func OldOf(oid string) string {
	if isZero(oid) {
		return Absent
	}
	return oid
}

func isZero(oid string) bool { return strings.Trim(oid, "0") == "" }

// Queue is the pending file of one repository. Its zero value is not
// usable; call Open or At.
type Queue struct {
	path string
}

// Open returns the queue of the repository whose git directory is gitDir:
// $GIT_DIR/federate/pending. Nothing is created until an entry is added.
func Open(gitDir string) *Queue {
	return At(filepath.Join(gitDir, "federate", "pending"))
}

// At returns the queue stored in the file path (the sync engine keeps one
// next to its bare cache).
func At(path string) *Queue { return &Queue{path: path} }

// Path is the queue file.
func (q *Queue) Path() string { return q.path }

// Load returns every entry, sorted by mirror then ref. A missing file is an
// empty queue. A corrupt file is moved aside (under the queue's lock) and
// Load returns the entries it could read together with a *CorruptError.
func (q *Queue) Load() ([]Entry, error) {
	entries, err := q.load()
	var bad *parseError
	if !errors.As(err, &bad) {
		return entries, err
	}
	var corrupt error
	uerr := q.Update(context.Background(), func(cur []Entry) ([]Entry, error) {
		entries = cur
		return cur, nil
	}, func(c *CorruptError) { corrupt = c })
	if uerr != nil {
		return entries, uerr
	}
	if corrupt == nil {
		// Another process repaired it between the read and the lock.
		return entries, nil
	}
	return entries, corrupt
}

// load reads the file without the lock. A parse failure is a *parseError
// that carries the entries still readable.
func (q *Queue) load() ([]Entry, error) {
	b, err := os.ReadFile(q.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, i18n.Errorf("pending: %w", err)
	}
	entries, bad := parse(b)
	if bad != nil {
		return entries, &parseError{err: bad}
	}
	return entries, nil
}

// parseError is a file that did not parse; kept holds the good lines.
type parseError struct{ err error }

func (e *parseError) Error() string { return e.err.Error() }
func (e *parseError) Unwrap() error { return e.err }

// ForMirror returns the entries of one mirror, sorted by ref.
func (q *Queue) ForMirror(mirror string) ([]Entry, error) {
	all, err := q.Load()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, e := range all {
		if e.Mirror == mirror {
			out = append(out, e)
		}
	}
	return out, nil
}

// Add queues entries. An entry replaces a queued one for the same mirror
// and ref (a newer value supersedes an older one), keeping the older
// Since so the age of the backlog stays visible. A zero Since is now.
func (q *Queue) Add(ctx context.Context, entries ...Entry) error {
	return q.add(ctx, 1, entries)
}

// Plan queues entries that are about to be pushed: written ahead, so
// that a process killed before the mirror answered leaves them queued
// for the next push or sync. The caller removes what the mirror took.
// Unlike Add it counts no attempt: a new entry has 0, a queued one keeps
// its count.
func (q *Queue) Plan(ctx context.Context, entries ...Entry) error {
	return q.add(ctx, 0, entries)
}

// PlanNew is Plan for the entries whose mirror and ref have nothing
// queued: it never replaces a queued value, since the caller may drop
// what it wrote (an update written ahead of a verdict that refused it).
// It returns the entries it wrote.
func (q *Queue) PlanNew(ctx context.Context, entries ...Entry) ([]Entry, error) {
	var wrote []Entry
	if len(entries) == 0 {
		return nil, nil
	}
	err := q.Update(ctx, func(cur []Entry) ([]Entry, error) {
		idx := index(cur)
		wrote = wrote[:0]
		for _, e := range entries {
			if _, ok := idx[key{e.Mirror, e.Ref}]; !ok {
				wrote = append(wrote, e)
			}
		}
		return merge(cur, 0, wrote)
	})
	return wrote, err
}

// add queues entries, counting attempts more for each (see Add).
func (q *Queue) add(ctx context.Context, attempts int, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	return q.Update(ctx, func(cur []Entry) ([]Entry, error) {
		return merge(cur, attempts, entries)
	})
}

// merge adds entries to cur, counting attempts more for each (see Add).
func merge(cur []Entry, attempts int, entries []Entry) ([]Entry, error) {
	now := time.Now().UTC().Truncate(time.Second)
	idx := index(cur)
	for _, e := range entries {
		if err := validate(e); err != nil {
			return nil, err
		}
		if e.Since.IsZero() {
			e.Since = now
		}
		if isZero(e.OID) {
			e.OID = ""
		}
		if e.Old != "" {
			e.Old = OldOf(e.Old)
		}
		e.Reason = sanitize(e.Reason)
		e.Attempts = attempts
		k := key{e.Mirror, e.Ref}
		if i, ok := idx[k]; ok {
			if cur[i].Since.Before(e.Since) {
				e.Since = cur[i].Since
			}
			e.Attempts = cur[i].Attempts + attempts
			// The mirror never got the queued value: if that one rewound
			// or deleted the ref, going from what the mirror has to the
			// newer value is a forced update too, however the newer one
			// was pushed (origin deleted a branch and made it anew).
			e.Force = e.Force || cur[i].Force || cur[i].Delete() && !e.Delete()
			if !e.Listed {
				e.Old = cur[i].Old // the mirror never got the value in between
			}
			e.Listed = false
			cur[i] = e
			continue
		}
		e.Listed = false
		idx[k] = len(cur)
		cur = append(cur, e)
	}
	return cur, nil
}

// Remove drops the queued entries that done satisfies: same mirror, same
// ref and same value (OID; Force and Reason do not matter). An entry whose
// value changed since — a newer push queued another value meanwhile — is
// kept.
func (q *Queue) Remove(ctx context.Context, done ...Entry) error {
	if len(done) == 0 {
		return nil
	}
	return q.Update(ctx, func(cur []Entry) ([]Entry, error) {
		// A ref may be done at two values (a queued one superseded by
		// the one just pushed): either drops its entry.
		gone := map[key]map[string]bool{}
		for _, d := range done {
			k := key{d.Mirror, d.Ref}
			if gone[k] == nil {
				gone[k] = map[string]bool{}
			}
			gone[k][normOID(d.OID)] = true
		}
		out := cur[:0]
		for _, e := range cur {
			if gone[key{e.Mirror, e.Ref}][normOID(e.OID)] {
				continue
			}
			out = append(out, e)
		}
		return out, nil
	})
}

// RemoveMirror drops every entry of mirror, for when a mirror is removed
// from the federation.
func (q *Queue) RemoveMirror(ctx context.Context, mirror string) error {
	return q.Update(ctx, func(cur []Entry) ([]Entry, error) {
		out := cur[:0]
		for _, e := range cur {
			if e.Mirror != mirror {
				out = append(out, e)
			}
		}
		return out, nil
	})
}

// Update is the general read-modify-write: under the queue's lock, fn
// gets the current entries and returns the new ones (it may modify and
// return its argument). When fn returns an error nothing is written. An
// empty result removes the file.
//
// A corrupt file is moved aside first and fn gets the entries that could
// be read; the update still happens (so what the caller queues is not
// lost) and each onCorrupt function is told, else Update returns the
// *CorruptError after writing.
func (q *Queue) Update(ctx context.Context, fn func([]Entry) ([]Entry, error), onCorrupt ...func(*CorruptError)) error {
	if err := lockfile.MkdirPrivate(filepath.Dir(q.path)); err != nil {
		return i18n.Errorf("pending: %w", err)
	}
	unlock, err := lockFile(ctx, q.path+".lock")
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := q.load()
	var corrupt *CorruptError
	var bad *parseError
	if errors.As(err, &bad) {
		if corrupt, err = q.moveAside(len(cur), bad.err); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	next, err := fn(cur)
	if err != nil {
		return err
	}
	if err := q.write(next); err != nil {
		return err
	}
	if corrupt == nil {
		return nil
	}
	if len(onCorrupt) == 0 {
		return corrupt
	}
	for _, f := range onCorrupt {
		f(corrupt)
	}
	return nil
}

// moveAside renames the corrupt queue file to pending.corrupt-<time>, so
// the user can still read what it held.
func (q *Queue) moveAside(kept int, why error) (*CorruptError, error) {
	aside := q.path + ".corrupt-" + time.Now().UTC().Format("20060102T150405.000000000Z")
	if err := os.Rename(q.path, aside); err != nil {
		return nil, i18n.Errorf("pending: moving the corrupt queue %s aside: %w", q.path, err)
	}
	return &CorruptError{Path: q.path, Aside: aside, Kept: kept, Err: why}, nil
}

func (q *Queue) write(entries []Entry) error {
	if len(entries) == 0 {
		if err := os.Remove(q.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return i18n.Errorf("pending: %w", err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(q.path), ".pending-*")
	if err != nil {
		return i18n.Errorf("pending: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(Format(entries)); err != nil {
		tmp.Close()
		return i18n.Errorf("pending: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return i18n.Errorf("pending: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return i18n.Errorf("pending: %w", err)
	}
	if err := os.Rename(tmp.Name(), q.path); err != nil {
		return i18n.Errorf("pending: %w", err)
	}
	return syncDir(filepath.Dir(q.path))
}

// syncDir makes a rename in dir durable: without it a power cut may bring
// back the old queue after the caller was told the new one was written.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return i18n.Errorf("pending: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return i18n.Errorf("pending: syncing %s: %w", dir, err)
	}
	return nil
}

// header is the first line of every queue file.
const header = "# git-remote-federate pending mirror updates: mirror\tref\tvalue|-\t[old|-\t]force|ff\tsince\tattempts\treason\n"

// Format renders entries in the file format, sorted by mirror then ref.
func Format(entries []Entry) []byte {
	sorted := append([]Entry(nil), entries...)
	sortEntries(sorted)
	var b bytes.Buffer
	b.WriteString(header)
	for _, e := range sorted {
		oid := e.OID
		if isZero(oid) {
			oid = "-"
		}
		mode := "ff"
		if e.Force {
			mode = "force"
		}
		if e.Old != "" {
			oid += "\t" + OldOf(e.Old)
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", quoteField(e.Mirror), e.Ref, oid, mode,
			e.Since.UTC().Format(time.RFC3339), max(e.Attempts, 0), quoteField(e.Reason))
	}
	return b.Bytes()
}

// Parse reads the file format. Errors wrap ErrMalformed and name the
// first bad line.
func Parse(b []byte) ([]Entry, error) {
	out, err := parse(b)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parse returns every readable entry and, when some line was not, an
// error naming the first such line. A file cut short (no final newline)
// is corrupt too: the last line may be a truncated entry.
func parse(b []byte) ([]Entry, error) {
	var out []Entry
	var bad error
	if len(b) > 0 && b[len(b)-1] != '\n' {
		bad = i18n.Errorf("%w: the file does not end with a newline (cut short)", ErrMalformed)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 1
	for ; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseLine(line)
		if err != nil {
			if bad == nil {
				bad = i18n.Errorf("%w: line %d: %v", ErrMalformed, n, err)
			}
			continue
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil && bad == nil {
		bad = i18n.Errorf("%w: line %d: %v", ErrMalformed, n, err)
	}
	sortEntries(out)
	return out, bad
}

func parseLine(line string) (Entry, error) {
	f := strings.Split(line, "\t")
	e := Entry{Attempts: 1}
	var err error
	if len(f) == 8 { // with the old value
		if f[3] != Absent && !protocol.IsOID(f[3]) {
			return Entry{}, i18n.Errorf("bad old value")
		}
		e.Old = OldOf(f[3])
		f = append(f[:3], f[4:]...)
	}
	switch len(f) {
	case 6: // written before the attempts field
	case 7:
		if e.Attempts, err = strconv.Atoi(f[5]); err != nil || e.Attempts < 0 {
			return Entry{}, i18n.Errorf("bad attempts")
		}
		f = append(f[:5], f[6])
	default:
		return Entry{}, i18n.Errorf("%d fields, want 8", len(f))
	}
	if e.Mirror, err = protocol.Unquote(f[0]); err != nil || e.Mirror == "" {
		return Entry{}, i18n.Errorf("bad mirror")
	}
	e.Ref = f[1]
	if e.Ref == "" {
		return Entry{}, i18n.Errorf("empty ref")
	}
	if f[2] != "-" {
		if !protocol.IsOID(f[2]) {
			return Entry{}, i18n.Errorf("bad object name")
		}
		e.OID = f[2]
	}
	switch f[3] {
	case "force":
		e.Force = true
	case "ff":
	default:
		return Entry{}, i18n.Errorf("mode is not force or ff")
	}
	if e.Since, err = time.Parse(time.RFC3339, f[4]); err != nil {
		return Entry{}, i18n.Errorf("bad time")
	}
	if e.Reason, err = protocol.Unquote(f[5]); err != nil {
		return Entry{}, i18n.Errorf("bad reason")
	}
	return e, nil
}

func validate(e Entry) error {
	switch {
	case e.Mirror == "":
		return i18n.Errorf("pending: entry without a mirror")
	case e.Ref == "" || strings.ContainsAny(e.Ref, "\t\n\r "):
		return i18n.Errorf("pending: bad ref name %s", protocol.Quote(e.Ref))
	case !isZero(e.OID) && !protocol.IsOID(e.OID):
		return i18n.Errorf("pending: bad object name %s", protocol.Quote(e.OID))
	case e.Old != "" && e.Old != Absent && !protocol.IsOID(e.Old):
		return i18n.Errorf("pending: bad old value %s", protocol.Quote(e.Old))
	}
	return nil
}

// maxReason bounds a stored reason: it is a server's text, and one line
// of status output is enough to say why.
const maxReason = 500

// sanitize makes a server's error text safe to store and print: the
// redactor's cleaning (no terminal controls, no credential-shaped value),
// on one line, cut at maxReason runes.
func sanitize(s string) string {
	var anyToken *redact.Redactor // masks credential shapes without knowing a token
	s = strings.Join(strings.Fields(anyToken.Clean(s)), " ")
	if r := []rune(s); len(r) > maxReason {
		s = string(r[:maxReason]) + "…"
	}
	return s
}

// quoteField C-quotes s when it holds a TAB (which protocol.Quote also
// escapes) or anything else that would break a line.
func quoteField(s string) string { return protocol.Quote(s) }

func normOID(oid string) string {
	if isZero(oid) {
		return ""
	}
	return oid
}

type key struct{ mirror, ref string }

func index(entries []Entry) map[key]int {
	m := make(map[key]int, len(entries))
	for i, e := range entries {
		m[key{e.Mirror, e.Ref}] = i
	}
	return m
}

func sortEntries(e []Entry) {
	sort.SliceStable(e, func(i, j int) bool {
		if e[i].Mirror != e[j].Mirror {
			return e[i].Mirror < e[j].Mirror
		}
		return e[i].Ref < e[j].Ref
	})
}
