package gitexec

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// RemoteRef is one ref a server advertises.
type RemoteRef struct{ Name, OID string }

// Advert is a server's ref advertisement, as `git ls-remote [--symref]`
// prints it.
type Advert struct {
	Refs    []RemoteRef       // in the server's order, without peeled entries
	Peeled  map[string]string // tag ref -> the object it peels to
	Symrefs map[string]string // "HEAD" -> "refs/heads/main" (with --symref)
}

// ParseLsRemote reads the output of `git ls-remote [--symref]`. Server
// text is not trusted: a line that is not "<oid>\t<name>" or
// "ref: <target>\t<name>" is an error that quotes it, shortened.
func ParseLsRemote(out []byte) (*Advert, error) {
	a := &Advert{Peeled: map[string]string{}, Symrefs: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if target, ok := strings.CutPrefix(line, "ref: "); ok {
			t, name, ok := strings.Cut(target, "\t")
			if !ok {
				return nil, badLine(line)
			}
			a.Symrefs[name] = t
			continue
		}
		oid, name, ok := strings.Cut(line, "\t")
		if !ok || !protocol.IsOID(oid) || name == "" {
			return nil, badLine(line)
		}
		if base, ok := strings.CutSuffix(name, "^{}"); ok {
			a.Peeled[base] = oid
			continue
		}
		a.Refs = append(a.Refs, RemoteRef{Name: name, OID: oid})
	}
	return a, sc.Err()
}

func badLine(line string) error {
	if len(line) > 120 {
		line = line[:120] + "..."
	}
	return fmt.Errorf("bad ls-remote line %s", protocol.Quote(line))
}
