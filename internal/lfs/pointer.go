// Package lfs carries Git LFS objects between servers: it finds the LFS
// pointers a set of commits holds, asks a server's LFS batch API which
// objects it lacks, and streams them there from another server or from a
// local repository's object store.
package lfs

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// Object is one LFS object: its SHA-256 and size.
type Object struct {
	OID  string `json:"oid"`
	Size int64  `json:"size"`
}

// maxPointer is the largest blob read as a pointer; git-lfs writes them
// well under this, and bigger blobs are never pointers.
const maxPointer = 1024

const pointerVersion = "version https://git-lfs.github.com/spec/v1"

// ParsePointer reads an LFS pointer file; ok is false for any other blob.
func ParsePointer(b []byte) (Object, bool) {
	if len(b) > maxPointer || !bytes.HasPrefix(b, []byte(pointerVersion+"\n")) {
		return Object{}, false
	}
	var o Object
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "oid":
			o.OID = strings.TrimPrefix(v, "sha256:")
		case "size":
			o.Size, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if !validOID(o.OID) || o.Size < 0 {
		return Object{}, false
	}
	return o, true
}

// validOID reports whether s is a lowercase hex SHA-256: it becomes a
// path in the local object store, so nothing else may pass.
func validOID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Scan lists the LFS objects referenced by blobs reachable from include
// but not from exclude, in the repository g runs in. It needs no working
// copy: a bare repository does.
func Scan(ctx context.Context, g gitexec.Runner, include, exclude []string) ([]Object, error) {
	if len(include) == 0 {
		return nil, nil
	}
	args := append([]string{"rev-list", "--objects", "--no-object-names", "--ignore-missing"}, include...)
	if len(exclude) > 0 {
		args = append(append(args, "--not"), exclude...)
	}
	list, err := g.Output(ctx, args...)
	if err != nil {
		return nil, i18n.Errorf("listing objects for LFS pointers: %w", err)
	}
	sizes, err := g.OutputStdin(ctx, bytes.NewReader(list), "cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)")
	if err != nil {
		return nil, i18n.Errorf("sizing objects for LFS pointers: %w", err)
	}
	var small bytes.Buffer
	for _, line := range strings.Split(string(sizes), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[1] == "blob" {
			if n, _ := strconv.Atoi(f[2]); n > len(pointerVersion) && n <= maxPointer {
				small.WriteString(f[0] + "\n")
			}
		}
	}
	if small.Len() == 0 {
		return nil, nil
	}
	blobs, err := g.OutputStdin(ctx, &small, "cat-file", "--batch")
	if err != nil {
		return nil, i18n.Errorf("reading LFS pointers: %w", err)
	}
	return pointersIn(blobs), nil
}

// pointersIn parses `git cat-file --batch` output and keeps the distinct
// pointers, in order.
func pointersIn(batch []byte) []Object {
	var out []Object
	seen := map[string]bool{}
	r := bufio.NewReader(bytes.NewReader(batch))
	for {
		header, err := r.ReadString('\n')
		if err != nil {
			return out
		}
		f := strings.Fields(header)
		if len(f) != 3 {
			return out
		}
		n, _ := strconv.Atoi(f[2])
		body := make([]byte, n+1) // the content and its newline
		if _, err := io.ReadFull(r, body); err != nil {
			return out
		}
		if o, ok := ParsePointer(body[:n]); ok && !seen[o.OID] {
			seen[o.OID] = true
			out = append(out, o)
		}
	}
}

// Pointers is what a push of tips (over what the server already has,
// exclude) must carry along. Unless always, nothing unless a tip's
// .gitattributes routes files through the LFS filter, which spares
// repositories without LFS a scan of every new blob. Names in exclude
// the repository lacks are ignored.
func Pointers(ctx context.Context, g gitexec.Runner, always bool, tips, exclude []string) ([]Object, error) {
	if len(tips) == 0 {
		return nil, nil
	}
	if !always && !UsesLFS(ctx, g, tips) {
		return nil, nil
	}
	return Scan(ctx, g, tips, exclude)
}

// UsesLFS reports whether the .gitattributes at the root of any tip
// names the LFS filter.
func UsesLFS(ctx context.Context, g gitexec.Runner, tips []string) bool {
	var in bytes.Buffer
	for _, t := range tips {
		in.WriteString(t + ":.gitattributes\n")
	}
	out, err := g.OutputStdin(ctx, &in, "cat-file", "--batch")
	return err == nil && bytes.Contains(out, []byte("filter=lfs"))
}
