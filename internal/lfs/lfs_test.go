package lfs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// objectOf stores content in a local LFS store under dir and returns it.
func objectOf(t *testing.T, gitDir string, content []byte) Object {
	t.Helper()
	sum := sha256.Sum256(content)
	o := Object{OID: hex.EncodeToString(sum[:]), Size: int64(len(content))}
	storeAs(t, gitDir, o, content)
	return o
}

// storeAs writes content to the local store under gitDir as o, whether
// or not it is o's content.
func storeAs(t *testing.T, gitDir string, o Object, content []byte) {
	t.Helper()
	p := filepath.Join(gitDir, "lfs", "objects", o.OID[:2], o.OID[2:4], o.OID)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

func pointerText(o Object) string {
	return fmt.Sprintf("%s\noid sha256:%s\nsize %d\n", pointerVersion, o.OID, o.Size)
}

func fixedCreds(user, token string) Credentials {
	return func(context.Context, string) (string, string, error) { return user, token, nil }
}

// download reads o back from c through the batch API.
func download(t *testing.T, c *Client, o Object) []byte {
	t.Helper()
	ctx := context.Background()
	open, err := c.Download(ctx, []Object{o})
	if err != nil {
		t.Fatal(err)
	}
	r, err := open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Objects go from a local store to one Gitea, then from that Gitea to
// another (one Gitea shares objects between its repositories), each only
// when the batch API says it is missing; the bytes read back from the
// second equal the original.
func TestUploadAndCopyBetweenGiteaServers(t *testing.T) {
	gittest.Isolate(t)
	ga, gb := gittest.StartGiteaLFS(t), gittest.StartGiteaLFS(t)
	ga.CreateRepo(t, "a")
	gb.CreateRepo(t, "b")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, _ := NewClient(ga.URL+"/"+ga.User+"/a", fixedCreds(ga.User, ga.Token), nil)
	b, _ := NewClient(gb.URL+"/"+gb.User+"/b.git", fixedCreds(gb.User, gb.Token), nil)
	local := t.TempDir()
	big := bytes.Repeat([]byte("federate lfs "), 100000)
	objs := []Object{objectOf(t, local, big), objectOf(t, local, []byte("small\n"))}

	n, err := a.Upload(ctx, objs, Store(local))
	if err != nil || n != 2 {
		t.Fatalf("upload to a: %d, %v; want 2 uploaded", n, err)
	}
	if n, err := a.Upload(ctx, objs, Store(local)); err != nil || n != 0 {
		t.Fatalf("second upload to a: %d, %v; want nothing sent", n, err)
	}
	if miss, err := b.Missing(ctx, objs); err != nil || len(miss) != 2 {
		t.Fatalf("b missing %v, %v; want both", miss, err)
	}
	if n, err := b.Upload(ctx, objs, a.Download); err != nil || n != 2 {
		t.Fatalf("copy a -> b: %d, %v", n, err)
	}
	if got := download(t, b, objs[0]); !bytes.Equal(got, big) {
		t.Fatalf("b serves %d bytes, want the %d uploaded", len(got), len(big))
	}
	if miss, err := b.Missing(ctx, objs); err != nil || len(miss) != 0 {
		t.Fatalf("b still missing %v, %v", miss, err)
	}
}

// A Gitea without its LFS server answers the batch API with 404: the
// client says the server has no LFS, so callers can report and queue.
func TestServerWithoutLFSIsUnsupported(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.StartGitea(t)
	g.CreateRepo(t, "plain")
	c, _ := NewClient(g.URL+"/"+g.User+"/plain", fixedCreds(g.User, g.Token), nil)
	_, err := c.Missing(context.Background(), []Object{{OID: string(bytes.Repeat([]byte("a"), 64)), Size: 1}})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("batch on a server without LFS: %v; want ErrUnsupported", err)
	}
}

// A download action that redirects to another host is refused, so no
// header meant for the LFS server reaches a third party.
func TestRedirectToAnotherHostIsRefused(t *testing.T) {
	var leaked []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = append(leaked, r.Header.Get("Authorization"))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	c := &Client{Endpoint: srv.URL + "/r.git/info/lfs", Creds: fixedCreds("u", "secret-token")}
	_, err := c.transfer(context.Background(), http.MethodGet, Action{Href: srv.URL + "/obj"}, nil, 0)
	if err == nil || len(leaked) != 0 {
		t.Fatalf("redirect followed (err %v, other host saw %q)", err, leaked)
	}
}

// Scan finds the pointers a bare repository's new commits hold, not
// those of commits excluded, nor other small blobs.
func TestScanFindsPointersInBareRepository(t *testing.T) {
	gittest.Isolate(t)
	work := gittest.NewWorkRepo(t)
	o1 := Object{OID: hex.EncodeToString(bytes.Repeat([]byte{1}, 32)), Size: 10}
	o2 := Object{OID: hex.EncodeToString(bytes.Repeat([]byte{2}, 32)), Size: 20}
	first := gittest.Commit(t, work, "a.bin", pointerText(o1), "first")
	gittest.Commit(t, work, "notes.txt", pointerVersion+"\nnot a pointer\n", "plain")
	second := gittest.Commit(t, work, "b.bin", pointerText(o2), "second")
	bare := t.TempDir()
	gittest.Git(t, "", "clone", "-q", "--bare", work, bare)
	g := gitexec.Runner{Dir: bare}
	ctx := context.Background()
	all, err := Scan(ctx, g, []string{second}, nil)
	if err != nil || len(all) != 2 {
		t.Fatalf("scan all: %v, %v; want both pointers", all, err)
	}
	fresh, err := Scan(ctx, g, []string{second}, []string{first})
	if err != nil || len(fresh) != 1 || fresh[0] != o2 {
		t.Fatalf("scan since first: %v, %v; want %v", fresh, err, o2)
	}
}

func TestEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"https://h/o/r":         "https://h/o/r.git/info/lfs",
		"https://h/o/r.git/":    "https://h/o/r.git/info/lfs",
		"http://h:3000/o/r.git": "http://h:3000/o/r.git/info/lfs",
	} {
		if got, ok := Endpoint(in); !ok || got != want {
			t.Errorf("Endpoint(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"ssh://h/o/r", "git@h:o/r", "/srv/r.git"} {
		if _, ok := Endpoint(in); ok {
			t.Errorf("Endpoint(%q) ok; want no LFS URL for that transport", in)
		}
	}
}

// With lfs = auto, commits whose .gitattributes names no LFS filter are
// not scanned (a pointer-shaped blob there is left alone); once it does,
// or with lfs = true, the pointer is found.
func TestPointersAutoNeedsTheLFSFilter(t *testing.T) {
	gittest.Isolate(t)
	work := gittest.NewWorkRepo(t)
	o := Object{OID: hex.EncodeToString(bytes.Repeat([]byte{3}, 32)), Size: 30}
	plain := gittest.Commit(t, work, "a.bin", pointerText(o), "pointer, no attributes")
	g := gitexec.Runner{Dir: work}
	ctx := context.Background()
	if got, err := Pointers(ctx, g, false, []string{plain}, nil); err != nil || len(got) != 0 {
		t.Errorf("auto without filter=lfs: %v, %v; want nothing", got, err)
	}
	if got, err := Pointers(ctx, g, true, []string{plain}, nil); err != nil || len(got) != 1 {
		t.Errorf("always: %v, %v; want the pointer", got, err)
	}
	tracked := gittest.Commit(t, work, ".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n", "track")
	if got, err := Pointers(ctx, g, false, []string{tracked}, nil); err != nil || len(got) != 1 || got[0] != o {
		t.Errorf("auto with filter=lfs: %v, %v; want %v", got, err, o)
	}
}

// Fallback reads from the second source what the first lacks.
func TestFallbackReadsWhatTheFirstLacks(t *testing.T) {
	empty, full := t.TempDir(), t.TempDir()
	o := objectOf(t, full, []byte("only in the second store\n"))
	ctx := context.Background()
	open, err := Fallback(Store(empty), Store(full))(ctx, []Object{o})
	if err != nil {
		t.Fatal(err)
	}
	r, err := open(ctx, o)
	if err != nil {
		t.Fatalf("fallback: %v", err)
	}
	defer r.Close()
	if b, _ := io.ReadAll(r); string(b) != "only in the second store\n" {
		t.Fatalf("fallback read %q", b)
	}
	open, _ = Store(empty)(ctx, nil)
	if _, err := open(ctx, o); err == nil {
		t.Fatal("an empty store opened an object")
	}
}

// A server's error text reaches the user on one line, without terminal
// controls or a credential it echoed.
func TestServerTextIsCleaned(t *testing.T) {
	got := printable("denied \x1b[31mAuthorization: Basic eC1hY2Nlc3MtdG9rZW46c2VjcmV0MTIz\nsecond line")
	if strings.ContainsAny(got, "\x1b\n") || strings.Contains(got, "eC1hY2Nlc3MtdG9rZW46c2VjcmV0MTIz") || !strings.HasPrefix(got, "denied") {
		t.Fatalf("printable = %q", got)
	}
}
