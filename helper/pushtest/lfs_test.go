package pushtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// lfsFed is the federation with an LFS server on each repository's
// path, honest until a test makes one lie.
type lfsFed struct {
	*fed
	origin, m1, m2 *gittest.LFS
}

func newLFSFed(t *testing.T) *lfsFed {
	f := &lfsFed{fed: newFed(t), origin: &gittest.LFS{}, m1: &gittest.LFS{}, m2: &gittest.LFS{}}
	f.fed.origin.AddFault(gittest.Fault{Prefix: "/app.git/info/lfs/", Handler: f.origin})
	f.fed.m1.AddFault(gittest.Fault{Prefix: "/app.git/info/lfs/", Handler: f.m1})
	f.fed.m2.AddFault(gittest.Fault{Prefix: "/app.git/info/lfs/", Handler: f.m2})
	return f
}

// lfsObject is content's OID and size.
func lfsObject(content []byte) gittest.LFSObject {
	sum := sha256.Sum256(content)
	return gittest.LFSObject{OID: hex.EncodeToString(sum[:]), Size: int64(len(content))}
}

// store puts content in the work repository's LFS store, as git-lfs's
// clean filter would have.
func (f *lfsFed) store(content []byte) gittest.LFSObject {
	f.t.Helper()
	o := lfsObject(content)
	p := filepath.Join(f.work, ".git", "lfs", "objects", o.OID[:2], o.OID[2:4], o.OID)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		f.t.Fatal(err)
	}
	return o
}

// commitPointer commits an LFS pointer to o as model.bin, tracked by
// git-lfs's attributes, and returns the commit.
func (f *lfsFed) commitPointer(o gittest.LFSObject) string {
	f.t.Helper()
	gittest.Commit(f.t, f.work, ".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n", "track *.bin")
	return gittest.Commit(f.t, f.work, "model.bin",
		fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", o.OID, o.Size), "a model")
}

// A mirror whose LFS server answers a request for the pushed object A
// with "upload B" (an object of the local store that the push does not
// carry) gets nothing: the push refuses its answer, reports the mirror
// and queues its refs; origin and the honest mirror get A.
func TestLFSMirrorNamingAnotherObjectGetsNothing(t *testing.T) {
	f := newLFSFed(t)
	a := f.store([]byte("the pushed model\n"))
	b := f.store([]byte("a private object, never pushed\n"))
	f.m1.Answer = func(string, []gittest.LFSObject) []gittest.LFSObject { return []gittest.LFSObject{b} }
	before := f.rev("main")
	head := f.commitPointer(a)
	out := f.push(true, "fed", "main")
	wantContains(t, out, "refused the LFS server's answer", "queued")
	if got := f.m1.Uploads(); len(got) != 0 {
		t.Errorf("mirror 1 received objects %v", got)
	}
	if _, ok := f.m1.Object(b.OID); ok {
		t.Errorf("mirror 1 holds the private object B")
	}
	for name, l := range map[string]*gittest.LFS{"origin": f.origin, "mirror 2": f.m2} {
		if _, ok := l.Object(a.OID); !ok {
			t.Errorf("%s lacks A", name)
		}
		if _, ok := l.Object(b.OID); ok {
			t.Errorf("%s holds B", name)
		}
	}
	f.wantRef("refs/heads/main", head, f.fed.origin, f.fed.m2)
	f.wantRef("refs/heads/main", before, f.fed.m1)
}

// Origin serves other bytes than object A (the local store lacks A, so
// mirrors get it from origin): no mirror ends up holding them. Each
// mirror's upload is aborted, reported and its refs queued.
func TestLFSWrongBytesFromOriginReachNoMirror(t *testing.T) {
	f := newLFSFed(t)
	content := bytes.Repeat([]byte("model weights "), 20000)
	a := lfsObject(content)
	f.origin.Put(a.OID, content) // pushed earlier from another clone
	f.origin.Serve = func(_ string, held []byte) []byte {
		b := bytes.Clone(held)
		b[len(b)/2] ^= 0xff
		return b
	}
	before := f.rev("main")
	head := f.commitPointer(a)
	out := f.push(true, "fed", "main")
	wantContains(t, out, "LFS object content does not match its OID and size", "queued")
	for name, l := range map[string]*gittest.LFS{"mirror 1": f.m1, "mirror 2": f.m2} {
		if got, ok := l.Object(a.OID); ok {
			t.Errorf("%s holds %d unverified bytes as A", name, len(got))
		}
	}
	f.wantRef("refs/heads/main", head, f.fed.origin)
	f.wantRef("refs/heads/main", before, f.fed.m1, f.fed.m2)
}

// A mirror's LFS server that puts terminal escapes in its status line
// (the reason phrase git and curl would not show) fails the mirror's
// push without any of them reaching the terminal.
func TestLFSStatusLineEscapesReachNoTerminal(t *testing.T) {
	f := newLFSFed(t)
	f.fed.m1.ClearFaults()
	f.fed.m1.AddFault(gittest.Fault{Prefix: "/app.git/info/lfs/objects/batch", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		buf.WriteString("HTTP/1.1 500 \x1b]0;pwned\x07\x1b[2Joops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		buf.Flush()
	})})
	a := f.store([]byte("the pushed model\n"))
	f.commitPointer(a)
	out := f.push(true, "fed", "main")
	wantContains(t, out, "federate: mirror "+f.fed.m1.URL+": push failed:", "500", "oops")
	if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, "pwned") {
		t.Errorf("a server's escape reached the push output:\n%q", out)
	}
}

// A mirror's LFS server that takes the upload and then answers nothing
// is given up after that mirror's own limit ([federate "<url>"]
// timeout), named by its key; origin and the other mirror keep the
// federation's default, which no loaded machine reaches, and get the
// object and the push; the hung mirror's refs are queued.
func TestLFSHungMirrorGivenUpAtItsOwnLimit(t *testing.T) {
	f := newLFSFed(t)
	a := f.store(bytes.Repeat([]byte("a model for a hung mirror "), 2000))
	f.fed.m1.ClearFaults()
	f.fed.m1.AddFault(gittest.Fault{Prefix: "/app.git/info/lfs/objects/" + a.OID, Hang: make(chan struct{}), HangAfterBody: true})
	f.fed.m1.AddFault(gittest.Fault{Prefix: "/app.git/info/lfs/", Handler: f.m1})
	key := gittest.LimitHung(t, f.fed.m1.URL)
	before := f.rev("main")
	head := f.commitPointer(a)
	out := f.push(true, "fed", "main")
	wantContains(t, out, "no data moved for "+gittest.HangLimit.String()+"; gave up (the limit is "+key+")", "queued")
	for name, l := range map[string]*gittest.LFS{"origin": f.origin, "mirror 2": f.m2} {
		if _, ok := l.Object(a.OID); !ok {
			t.Errorf("%s lacks the object", name)
		}
	}
	f.wantRef("refs/heads/main", head, f.fed.origin, f.fed.m2)
	f.wantRef("refs/heads/main", before, f.fed.m1)
}

// A mirror whose protocol git's policy forbids (here https, with
// GIT_ALLOW_PROTOCOL) gets no request at all, its LFS objects no more
// than its refs: plain git refuses such a server before it runs the
// pre-push hook that uploads LFS objects. The mirror's refs are queued
// with the policy's reason; origin and the other mirrors get the push
// and the object.
func TestLFSMirrorForbiddenByProtocolPolicyGetsNothing(t *testing.T) {
	f := newLFSFed(t)
	m3 := newServer(t, "mirror3-token")
	gittest.Seed(t, f.work, m3.Path)
	m3LFS := &gittest.LFS{}
	m3.AddFault(gittest.Fault{Prefix: "/app.git/info/lfs/", Handler: m3LFS})
	front, ca := httpsFront(t, m3, "mirror3-token")
	t.Setenv("GIT_SSL_CAINFO", ca) // trusted: what stops it is the policy alone
	gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", front)
	a := f.store([]byte("the pushed model\n"))
	head := f.commitPointer(a)
	policy := []string{"GIT_ALLOW_PROTOCOL=federate:http"}
	// The yardstick: plain git refuses the server before it asks it
	// anything.
	if plain, err := gittest.GitCombined(f.work, policy, "push", front, "main:refs/heads/plain"); err == nil ||
		!strings.Contains(plain, "transport 'https' not allowed") || len(m3.Requests()) != 0 {
		t.Fatalf("plain git push under the policy: %v, %d requests\n%s", err, len(m3.Requests()), plain)
	}
	out := f.pushIn(policy, "fed", "main")
	wantContains(t, out, "federate: mirror "+front+": push failed: ", "transport 'https' not allowed")
	if got := m3.Requests(); len(got) != 0 {
		t.Errorf("the forbidden mirror was asked %v", got)
	}
	if e := f.queued(front, "refs/heads/main"); e.OID != head || e.Reason != pending.ReasonForbidden.String() {
		t.Errorf("queued %s with reason %q, want %s with %q", e.OID, e.Reason, head, pending.ReasonForbidden)
	}
	f.wantRef("refs/heads/main", head, f.all()...)
	for name, l := range map[string]*gittest.LFS{"origin": f.origin, "mirror 1": f.m1, "mirror 2": f.m2} {
		if _, ok := l.Object(a.OID); !ok {
			t.Errorf("%s lacks the LFS object", name)
		}
	}
}
