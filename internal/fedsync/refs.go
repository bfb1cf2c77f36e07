package fedsync

import (
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

// Refs maps ref names to object ids.
type Refs map[string]string

// parseLsRemote reads `git ls-remote` output into Refs, without peeled
// "^{}" entries and symrefs.
func parseLsRemote(out []byte) (Refs, error) {
	a, err := gitexec.ParseLsRemote(out)
	if err != nil {
		return nil, err
	}
	refs := Refs{}
	for _, r := range a.Refs {
		refs[r.Name] = r.OID
	}
	return refs, nil
}

// parseForEachRef reads `git for-each-ref --format='%(objectname) %(refname)'`.
func parseForEachRef(out []byte) Refs {
	refs := Refs{}
	for _, line := range strings.Split(string(out), "\n") {
		if oid, name, ok := strings.Cut(line, " "); ok {
			refs[name] = oid
		}
	}
	return refs
}

// equal reports whether a and b hold the same refs with the same values.
func (r Refs) equal(o Refs) bool {
	if len(r) != len(o) {
		return false
	}
	for k, v := range r {
		if o[k] != v {
			return false
		}
	}
	return true
}

// filter returns the refs keep accepts.
func (r Refs) filter(keep func(string) bool) Refs {
	out := Refs{}
	for k, v := range r {
		if keep(k) {
			out[k] = v
		}
	}
	return out
}
