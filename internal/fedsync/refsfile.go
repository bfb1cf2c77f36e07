package fedsync

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// errOddRefs makes readRefFiles give up, and the caller ask git.
var errOddRefs = errors.New("refs not in the files format this reader knows")

// readRefFiles reads the refs of the bare repository dir straight from
// packed-refs and loose ref files, without starting a process: on an
// unchanged origin this is the only look at the cache a sync takes, once
// per federation. Anything unexpected returns errOddRefs.
func readRefFiles(dir string) (Refs, error) {
	refs := Refs{}
	if err := readPackedRefs(filepath.Join(dir, "packed-refs"), refs); err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "refs")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
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
		val := strings.TrimSpace(string(b))
		if strings.HasPrefix(val, "ref: ") {
			return nil // a symref; sync covers no symrefs
		}
		if !protocol.IsOID(val) {
			return errOddRefs
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		refs[filepath.ToSlash(rel)] = val
		return nil
	})
	if err != nil {
		return nil, err
	}
	return refs, nil
}

func readPackedRefs(path string, refs Refs) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '^' {
			continue
		}
		oid, name, ok := strings.Cut(line, " ")
		if !ok || !protocol.IsOID(oid) {
			return errOddRefs
		}
		refs[name] = oid
	}
	return sc.Err()
}
