package refs

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// maxLine bounds one line of a listing: a ref name is far shorter.
const maxLine = 1 << 20

// ParseLsRemote reads the output of `git ls-remote [--symref]`: lines
// "<oid>\t<name>", "<oid>\t<tag>^{}" (a peeled value) and "ref:
// <target>\t<name>" (a symref). Server text is not trusted: any other
// line is an error that quotes it, shortened.
func ParseLsRemote(out []byte) (*Listing, error) {
	l := &Listing{Peeled: map[string]string{}, Symrefs: map[string]string{}}
	err := eachLine(bytes.NewReader(out), func(line string) error {
		if line == "" {
			return nil
		}
		if target, ok := strings.CutPrefix(line, "ref: "); ok {
			t, name, ok := strings.Cut(target, "\t")
			if !ok || !ValidName(t) || !ValidName(name) {
				return malformed("ls-remote", line)
			}
			l.Symrefs[name] = t
			return nil
		}
		oid, name, ok := strings.Cut(line, "\t")
		base, peeled := strings.CutSuffix(name, "^{}")
		if !ok || !protocol.IsOID(oid) || !ValidName(base) {
			return malformed("ls-remote", line)
		}
		if peeled {
			l.Peeled[base] = oid
			return nil
		}
		l.Refs = append(l.Refs, Ref{Name: name, OID: oid})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// ForEachRefFormat is the --format of the `git for-each-ref` output
// ParseForEachRef reads.
const ForEachRefFormat = "--format=%(objectname) %(refname)"

// ParseForEachRef reads `git for-each-ref` output in ForEachRefFormat:
// "<oid> <name>" lines.
func ParseForEachRef(out []byte) (*Listing, error) {
	l := &Listing{}
	err := eachLine(bytes.NewReader(out), func(line string) error {
		if line == "" {
			return nil
		}
		oid, name, ok := strings.Cut(line, " ")
		if !ok || !protocol.IsOID(oid) || !ValidName(name) {
			return malformed("for-each-ref", line)
		}
		l.Refs = append(l.Refs, Ref{Name: name, OID: oid})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// ParsePackedRefs reads a packed-refs file: a "# pack-refs with:" header,
// "<oid> <name>" lines, each possibly followed by "^<oid>", the value
// its annotated tag peels to (recorded in Peeled).
func ParsePackedRefs(r io.Reader) (*Listing, error) {
	l := &Listing{Peeled: map[string]string{}}
	err := eachLine(r, func(line string) error {
		switch {
		case line == "" || line[0] == '#':
			return nil
		case line[0] == '^':
			if len(l.Refs) == 0 || !protocol.IsOID(line[1:]) {
				return malformed("packed-refs", line)
			}
			l.Peeled[l.Refs[len(l.Refs)-1].Name] = line[1:]
			return nil
		}
		oid, name, ok := strings.Cut(line, " ")
		if !ok || !protocol.IsOID(oid) || !ValidName(name) {
			return malformed("packed-refs", line)
		}
		l.Refs = append(l.Refs, Ref{Name: name, OID: oid})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// ParseLooseRef reads the file of loose ref name: "<oid>" or "ref:
// <target>" (a symref), with its newline.
func ParseLooseRef(name string, b []byte) (oid, target string, err error) {
	val := strings.TrimSpace(string(b))
	if t, ok := strings.CutPrefix(val, "ref: "); ok && ValidName(t) && ValidName(name) {
		return "", t, nil
	}
	if !protocol.IsOID(val) || !ValidName(name) {
		return "", "", malformed("loose ref "+name, val)
	}
	return val, "", nil
}

// ReadFiles reads the refs of the repository whose git directory is dir
// straight from packed-refs and loose ref files, without starting a
// process; a loose ref overrides its packed value. The refs come sorted
// by name, as git lists them; loose symrefs are in Symrefs only. A
// repository in another format (reftable), or anything unexpected, is
// an error: ask git (for-each-ref) then.
func ReadFiles(dir string) (*Listing, error) {
	values := map[string]string{}
	l := &Listing{Symrefs: map[string]string{}}
	if f, err := os.Open(filepath.Join(dir, "packed-refs")); err == nil {
		packed, err := ParsePackedRefs(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		l.Peeled = packed.Peeled
		for _, r := range packed.Refs {
			values[r.Name] = r.OID
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	err := filepath.WalkDir(filepath.Join(dir, "refs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasSuffix(d.Name(), ".lock") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		oid, target, err := ParseLooseRef(name, b)
		if err != nil {
			return err
		}
		if target != "" {
			l.Symrefs[name] = target
			return nil
		}
		values[name] = oid
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		l.Refs = append(l.Refs, Ref{Name: name, OID: values[name]})
	}
	return l, nil
}

// eachLine calls f with each line of r, without its newline.
func eachLine(r io.Reader, f func(line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for sc.Scan() {
		if err := f(sc.Text()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return i18n.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

// malformed is the error of a line of format that is not one.
func malformed(format, line string) error {
	if len(line) > 120 {
		line = line[:120] + "..."
	}
	return i18n.Errorf("%w: %s line %s", ErrMalformed, format, protocol.Quote(line))
}

// FromHelperList is the listing of a remote helper's "list" answer, as
// protocol.Client read its lines: the refs with their values, symrefs
// (listed in order, without a value, their targets in Symrefs);
// attributes and refs of unknown value ("?") are left out.
// protocol checked each line's shape and object name; the names are
// checked here, as every other parser checks them.
func FromHelperList(listed []protocol.Listed) (*Listing, error) {
	l := &Listing{Peeled: map[string]string{}, Symrefs: map[string]string{}}
	for _, e := range listed {
		switch {
		case e.Attr != "":
		case !ValidName(e.Name):
			return nil, malformed("list", e.OID+" "+e.Name)
		case e.Target != "":
			if !ValidName(e.Target) {
				return nil, malformed("list", "@"+e.Target+" "+e.Name)
			}
			l.Symrefs[e.Name] = e.Target
			l.Refs = append(l.Refs, Ref{Name: e.Name})
		case e.OID != "":
			l.Refs = append(l.Refs, Ref{Name: e.Name, OID: e.OID})
		}
	}
	return l, nil
}
