package fedcmd

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// lfsSyncFixture is a syncFixture with an LFS server on origin's and
// mirror1's paths, and a commit on origin's main that points at A.
func lfsSyncFixture(t *testing.T, a []byte) (*syncFixture, *gittest.LFS, *gittest.LFS, string) {
	t.Helper()
	fx := newSyncFixture(t, 1)
	origin, mirror := &gittest.LFS{}, &gittest.LFS{}
	fx.srv.AddFault(gittest.Fault{Prefix: "/origin.git/info/lfs/", Handler: origin})
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git/info/lfs/", Handler: mirror})
	sum := sha256.Sum256(a)
	oid := hex.EncodeToString(sum[:])
	origin.Put(oid, a)
	gittest.Git(t, fx.work, "checkout", "-q", "main")
	gittest.Commit(t, fx.work, ".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n", "track *.bin")
	head := gittest.Commit(t, fx.work, "model.bin",
		fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", oid, len(a)), "a model")
	gittest.Git(t, fx.work, "push", "-q", fx.srv.Path("origin.git"), "main")
	return fx, origin, mirror, head
}

// `git federate sync` copies LFS objects from origin to a mirror. A
// mirror that answers a request for A with "upload B" (an object origin
// holds and would hand over with origin's token) gets nothing and no
// ref; origin's wrong bytes for A reach no mirror either.
func TestSyncLFSOnlyWhatWasAskedAndVerified(t *testing.T) {
	t.Run("another object", func(t *testing.T) {
		a := []byte("the model\n")
		fx, origin, mirror, head := lfsSyncFixture(t, a)
		b := []byte("private to origin\n")
		sum := sha256.Sum256(b)
		bOID := hex.EncodeToString(sum[:])
		origin.Put(bOID, b)
		mirror.Answer = func(string, []gittest.LFSObject) []gittest.LFSObject {
			return []gittest.LFSObject{{OID: bOID, Size: int64(len(b))}}
		}
		r := fx.sync(t, SyncOptions{})
		if r.code == ExitOK || !strings.Contains(r.out+r.errOut, "refused the LFS server's answer") {
			t.Errorf("sync exit %d; want the mirror's answer refused\n%s\n%s", r.code, r.out, r.errOut)
		}
		if got := mirror.Uploads(); len(got) != 0 {
			t.Errorf("the mirror received %v", got)
		}
		if gittest.RefOf(t, fx.mirrorPath(0), "refs/heads/main") == head {
			t.Error("the mirror got main without its LFS object")
		}
	})
	t.Run("wrong bytes", func(t *testing.T) {
		a := bytes.Repeat([]byte("model weights "), 20000)
		fx, origin, mirror, head := lfsSyncFixture(t, a)
		origin.Serve = func(_ string, held []byte) []byte {
			b := bytes.Clone(held)
			b[len(b)-1] ^= 0xff
			return b
		}
		r := fx.sync(t, SyncOptions{})
		if r.code == ExitOK || !strings.Contains(r.out+r.errOut, "LFS object content does not match its OID and size") {
			t.Errorf("sync exit %d; want the upload refused\n%s\n%s", r.code, r.out, r.errOut)
		}
		if got := mirror.Uploads(); len(got) != 0 {
			t.Errorf("the mirror received %v", got)
		}
		if gittest.RefOf(t, fx.mirrorPath(0), "refs/heads/main") == head {
			t.Error("the mirror got main without its LFS object")
		}
	})
}

// A mirror's LFS server that takes the upload and then answers nothing
// is given up after that mirror's own limit ([federate "<url>"]
// timeout), named by its key, and the mirror does not get the ref;
// origin, which serves the object, keeps the federation's default, which
// no loaded machine reaches.
func TestSyncLFSHungMirrorGivenUpAtItsOwnLimit(t *testing.T) {
	a := bytes.Repeat([]byte("model weights "), 20000)
	fx, origin, mirror, head := lfsSyncFixture(t, a)
	sum := sha256.Sum256(a)
	fx.srv.ClearFaults() // the hang first: faults match in order
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git/info/lfs/objects/" + hex.EncodeToString(sum[:]), Hang: make(chan struct{}), HangAfterBody: true})
	fx.srv.AddFault(gittest.Fault{Prefix: "/origin.git/info/lfs/", Handler: origin})
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git/info/lfs/", Handler: mirror})
	key := gittest.LimitHung(t, fx.mirrors[0])
	r := fx.sync(t, SyncOptions{})
	if want := "no data moved for " + gittest.HangLimit.String() + "; gave up (the limit is " + key + ")"; r.code == ExitOK || !strings.Contains(r.out+r.errOut, want) {
		t.Errorf("sync exit %d; want the hung mirror given up: %q\n%s\n%s", r.code, want, r.out, r.errOut)
	}
	if gittest.RefOf(t, fx.mirrorPath(0), "refs/heads/main") == head {
		t.Error("the mirror got main without its LFS object")
	}
}

// The LFS objects a sync copies go by git's http settings, as the
// listings, the fetch and the push do: with http.extraHeader in the
// global config, every request to origin's and the mirror's LFS servers
// carries it. They went without any of git's settings (no proxy, no
// certificates, no headers).
func TestSyncLFSGoesByGitsHTTPSettings(t *testing.T) {
	fx, origin, mirror, head := lfsSyncFixture(t, []byte("the model\n"))
	var mu sync.Mutex
	var without []string
	carries := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Federate-Test") != "from git's config" {
				mu.Lock()
				without = append(without, r.Method+" "+r.URL.Path)
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	}
	fx.srv.ClearFaults()
	fx.srv.AddFault(gittest.Fault{Prefix: "/origin.git/info/lfs/", Handler: carries(origin)})
	fx.srv.AddFault(gittest.Fault{Prefix: "/mirror1.git/info/lfs/", Handler: carries(mirror)})
	gittest.Git(t, "", "config", "--global", "http.extraHeader", "X-Federate-Test: from git's config")
	r := fx.sync(t, SyncOptions{})
	if r.code != ExitOK {
		t.Fatalf("sync: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if got := mirror.Uploads(); len(got) != 1 || gittest.RefOf(t, fx.mirrorPath(0), "refs/heads/main") != head {
		t.Fatalf("the mirror received %v; want the object and main at %s", got, head)
	}
	if strings.Contains(r.out+r.errOut, syncToken) {
		t.Error("sync's output holds the token")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(without) > 0 {
		t.Errorf("LFS requests without git's extra header: %v", without)
	}
}
