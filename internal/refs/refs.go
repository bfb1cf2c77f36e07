// Package refs is what a server (or a local repository) says its refs
// are, in git's words: each ref's name and object name, the symbolic
// refs among them (HEAD -> refs/heads/main), the values annotated tags
// peel to, and the object format; with one parser per format git prints
// them in (ls-remote, for-each-ref, packed-refs and loose ref files).
// The smart-HTTP advertisement is parsed by internal/sendpack, which
// also reads its capabilities, into the same Listing.
package refs

import (
	"maps"
	"slices"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// Ref is one listed ref. A symref listed without a value (a remote
// helper's "@<target> <name>") has an empty OID.
type Ref struct {
	Name string
	OID  string
}

// Listing is what a server or a repository says its refs are. It is not
// changed once built: Filter shares its slice and maps.
type Listing struct {
	// Refs are the refs in the order listed, without peeled entries.
	Refs []Ref
	// Peeled maps an annotated tag's ref to the object it peels to,
	// when the format carries it (ls-remote).
	Peeled map[string]string
	// Symrefs maps a symbolic ref to the ref it points at: "HEAD" ->
	// "refs/heads/main".
	Symrefs map[string]string
}

// ErrMalformed is wrapped by the error of every parser for a line that
// is not in its format, or names a ref git would not take: the lister
// is broken or hostile, and nothing it listed is used.
var ErrMalformed = i18n.Errorf("malformed ref listing")

// OID returns the value of ref, or "" when the listing does not have it.
func (l *Listing) OID(ref string) string {
	if l == nil {
		return ""
	}
	for _, r := range l.Refs {
		if r.Name == ref {
			return r.OID
		}
	}
	return ""
}

// ObjectFormat is "sha256" when the listed object names are 64 hex
// digits, else "sha1".
func (l *Listing) ObjectFormat() string {
	if l != nil && len(l.Refs) > 0 && len(l.Refs[0].OID) == 64 {
		return "sha256"
	}
	return "sha1"
}

// Values maps each listed ref that has a value to it.
func (l *Listing) Values() map[string]string {
	if l == nil {
		return map[string]string{}
	}
	m := make(map[string]string, len(l.Refs))
	for _, r := range l.Refs {
		if r.OID != "" {
			m[r.Name] = r.OID
		}
	}
	return m
}

// Sorted is the refs listed with a value, in name order, a name listed
// twice once with its last value (as Values keeps it): the listing's
// own slice, read only, when it is so already, as git lists refs.
func (l *Listing) Sorted() []Ref {
	if l == nil {
		return nil
	}
	if sameInOrder(l.Refs, l.Refs) {
		if !slices.ContainsFunc(l.Refs, func(r Ref) bool { return r.OID == "" }) {
			return l.Refs
		}
		return slices.DeleteFunc(slices.Clone(l.Refs), func(r Ref) bool { return r.OID == "" })
	}
	values := l.Values()
	out := make([]Ref, 0, len(values))
	for name, oid := range values {
		out = append(out, Ref{Name: name, OID: oid})
	}
	slices.SortFunc(out, func(a, b Ref) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Len is the number of refs listed with a value; a nil Listing lists
// none.
func (l *Listing) Len() int {
	if l == nil {
		return 0
	}
	return len(l.Values())
}

// Equal reports whether l and o list the same refs with the same values
// (symrefs and peeled values aside); a nil Listing lists none.
func (l *Listing) Equal(o *Listing) bool {
	if l == nil || o == nil {
		return l.Len() == o.Len()
	}
	if sameInOrder(l.Refs, o.Refs) {
		return true // the common case, both in git's order: no maps made
	}
	return maps.Equal(l.Values(), o.Values())
}

// sameInOrder reports whether a and b hold the same refs with values in
// the same order, without duplicates.
func sameInOrder(a, b []Ref) bool {
	i, j := 0, 0
	prev := ""
	for {
		for i < len(a) && a[i].OID == "" {
			i++
		}
		for j < len(b) && b[j].OID == "" {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if a[i] != b[j] || a[i].Name <= prev && prev != "" {
			return false
		}
		prev = a[i].Name
		i, j = i+1, j+1
	}
}

// Filter returns the listing of the refs keep accepts, in order, with
// their symrefs and peeled values. What it keeps whole of l (a run of
// its refs, a map whose every key it keeps) it shares with l, read
// only, its slice capped so that an append copies: sync filters every
// listing of a run over thousands of federations, and keeps most of
// each (every branch and tag; a listing names HEAD first).
func (l *Listing) Filter(keep func(ref string) bool) *Listing {
	out := &Listing{}
	if l == nil {
		return out
	}
	out.Refs = keptRefs(l.Refs, keep)
	out.Peeled = filterMap(l.Peeled, keep)
	out.Symrefs = filterMap(l.Symrefs, keep)
	return out
}

// keptRefs is the refs keep accepts: a capped slice of refs when they
// are one run of it, else a copy.
func keptRefs(refs []Ref, keep func(string) bool) []Ref {
	i := 0
	for i < len(refs) && !keep(refs[i].Name) {
		i++
	}
	j := i
	for j < len(refs) && keep(refs[j].Name) {
		j++
	}
	k := j
	for k < len(refs) && !keep(refs[k].Name) {
		k++
	}
	if i == j {
		return nil
	}
	if k == len(refs) {
		return refs[i:j:j]
	}
	out := append(make([]Ref, 0, len(refs)-i), refs[i:j]...)
	for _, r := range refs[k:] {
		if keep(r.Name) {
			out = append(out, r)
		}
	}
	return out
}

// filterMap is the entries of m whose key keep accepts: m itself when
// that is all of them, nil when none.
func filterMap(m map[string]string, keep func(string) bool) map[string]string {
	all := true
	for k := range m {
		if !keep(k) {
			all = false
			break
		}
	}
	if all {
		return m
	}
	var out map[string]string
	for k, v := range m {
		if keep(k) {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// ValidName accepts what every parser takes as a ref name: HEAD and
// names under refs/ that can travel in a command line to git safely
// (protocol.ValidRefName), without ".." or a trailing "/".
func ValidName(name string) bool {
	return (name == "HEAD" || strings.HasPrefix(name, "refs/")) && protocol.ValidRefName(name) &&
		!strings.Contains(name, "..") && !strings.HasSuffix(name, "/")
}
