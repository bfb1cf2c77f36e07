package fedsync

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Refs maps ref names to object ids.
type Refs map[string]string

// parseLsRemote reads `git ls-remote` output into Refs, dropping peeled
// "^{}" entries and symrefs.
func parseLsRemote(out []byte) (Refs, error) {
	refs := Refs{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "ref: ") {
			continue
		}
		oid, name, ok := strings.Cut(line, "\t")
		if !ok || !isOID(oid) || name == "" {
			return nil, fmt.Errorf("unexpected ls-remote line %q", truncate(line, 80))
		}
		if strings.HasSuffix(name, "^{}") {
			continue
		}
		refs[name] = oid
	}
	return refs, sc.Err()
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

func isOID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
