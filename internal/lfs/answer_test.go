package lfs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// crafted is a gittest.LFS on its own server, with a client for it.
func crafted(t *testing.T, l *gittest.LFS) *Client {
	t.Helper()
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	return &Client{Endpoint: srv.URL + "/r.git/info/lfs", Creds: fixedCreds("u", "lfs-token")}
}

// A server asked to take object A that answers "upload B" (an object
// the local store holds but the push does not carry), or A at another
// size, or an error for an "object" whose name is a terminal escape, is
// refused: nothing is uploaded, and no escape reaches the error text.
func TestUploadOnlyWhatWasAsked(t *testing.T) {
	local := t.TempDir()
	a := objectOf(t, local, []byte("object A, pushed\n"))
	b := objectOf(t, local, []byte("object B, private and not pushed\n"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct {
		name   string
		answer []gittest.LFSObject
	}{
		{"another object", []gittest.LFSObject{{OID: b.OID, Size: b.Size}}},
		{"another size", []gittest.LFSObject{{OID: a.OID, Size: a.Size + 100}}},
		{"A and another", []gittest.LFSObject{{OID: a.OID, Size: a.Size}, {OID: b.OID, Size: b.Size}}},
		{"an escape for a name", []gittest.LFSObject{{OID: "\x1b]0;pwned\x07\x1b[2J" + a.OID[:40], Size: a.Size}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &gittest.LFS{Answer: func(string, []gittest.LFSObject) []gittest.LFSObject { return tc.answer }}
			n, err := crafted(t, l).Upload(ctx, []Object{a}, Store(local))
			if !errors.Is(err, ErrAnswer) || n != 0 {
				t.Fatalf("upload of A answered with %v: %d uploaded, %v; want ErrAnswer and none", tc.answer, n, err)
			}
			if got := l.Uploads(); len(got) != 0 {
				t.Fatalf("the server received %v", got)
			}
			if strings.ContainsAny(err.Error(), "\x1b\x07") {
				t.Fatalf("a server's escape reached the error: %q", err)
			}
		})
	}
}

// An LFS batch error for an object asked for is shown with its name;
// one for a name that is not 64 hex digits never formats that name.
func TestBatchErrorNameIsChecked(t *testing.T) {
	local := t.TempDir()
	a := objectOf(t, local, []byte("object A\n"))
	evil := "\x1b]0;pwned\x07" + strings.Repeat("a", 53)
	ctx := context.Background()
	name, _ := json.Marshal(evil)
	answer := `{"objects":[{"oid":` + string(name) + `,"size":9,"error":{"code":422,"message":"no \u001b[31mway"}}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", mediaType)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	c := &Client{Endpoint: srv.URL + "/r.git/info/lfs"}
	_, err := c.Upload(ctx, []Object{a}, Store(local))
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07") || strings.Contains(err.Error(), "pwned") {
		t.Fatalf("batch error for a crafted name: %q", err)
	}
	answer = `{"objects":[{"oid":"` + a.OID + `","size":9,"error":{"code":422,"message":"no \u001b[31mway"}}]}`
	_, err = c.Upload(ctx, []Object{a}, Store(local))
	if err == nil || !strings.Contains(err.Error(), a.OID+" at ") || !strings.Contains(err.Error(), "422 no way") || strings.Contains(err.Error(), "\x1b") {
		t.Fatalf("batch error for A: %q", err)
	}
}

// Content that is not its object (other bytes of the same size, too
// few, too many), whether read from the local store or downloaded from
// another server, is never uploaded whole: the upload fails with
// ErrCorrupt and the server stores nothing. Right content still goes.
func TestUploadVerifiesContent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	want := bytes.Repeat([]byte("the real content of A "), 5000)
	for _, tc := range []struct {
		name string
		bad  func([]byte) []byte
	}{
		{"other bytes", func(b []byte) []byte { b = bytes.Clone(b); b[len(b)-1] ^= 1; return b }},
		{"other first byte", func(b []byte) []byte { b = bytes.Clone(b); b[0] ^= 1; return b }},
		{"too few", func(b []byte) []byte { return b[:len(b)-1] }},
		{"too many", func(b []byte) []byte { return append(bytes.Clone(b), 'x') }},
		{"nothing", func([]byte) []byte { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := t.TempDir()
			a := objectOf(t, good, want)
			corrupt := t.TempDir()
			storeAs(t, corrupt, a, tc.bad(want))
			origin := &gittest.LFS{Serve: func(string, []byte) []byte { return tc.bad(want) }}
			origin.Put(a.OID, want)
			from := crafted(t, origin)
			for name, src := range map[string]Source{"local store": Store(corrupt), "origin": from.Download} {
				mirror := &gittest.LFS{}
				n, err := crafted(t, mirror).Upload(ctx, []Object{a}, src)
				if !errors.Is(err, ErrCorrupt) || n != 0 {
					t.Errorf("from %s: %d uploaded, %v; want ErrCorrupt", name, n, err)
				}
				if got, ok := mirror.Object(a.OID); ok {
					t.Errorf("from %s: the mirror holds %d bytes as A", name, len(got))
				}
			}
			mirror := &gittest.LFS{}
			if n, err := crafted(t, mirror).Upload(ctx, []Object{a}, Store(good)); err != nil || n != 1 {
				t.Fatalf("right content: %d, %v", n, err)
			}
			if got, _ := mirror.Object(a.OID); !bytes.Equal(got, want) {
				t.Fatalf("the mirror holds %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

// An empty object goes with an empty body, checked all the same.
func TestUploadEmptyObject(t *testing.T) {
	local := t.TempDir()
	e := objectOf(t, local, nil)
	mirror := &gittest.LFS{}
	if n, err := crafted(t, mirror).Upload(context.Background(), []Object{e}, Store(local)); err != nil || n != 1 {
		t.Fatalf("empty object: %d, %v", n, err)
	}
	if got, ok := mirror.Object(e.OID); !ok || len(got) != 0 {
		t.Fatalf("the mirror holds %q, %v", got, ok)
	}
}

// An object the answer names twice is uploaded once.
func TestUploadOnceWhenNamedTwice(t *testing.T) {
	local := t.TempDir()
	a := objectOf(t, local, []byte("object A\n"))
	l := &gittest.LFS{Answer: func(_ string, asked []gittest.LFSObject) []gittest.LFSObject { return append(asked, asked...) }}
	n, err := crafted(t, l).Upload(context.Background(), []Object{a}, Store(local))
	if err != nil || n != 1 || len(l.Uploads()) != 1 {
		t.Fatalf("%d uploaded, %v; the server received %v; want A once", n, err, l.Uploads())
	}
}
