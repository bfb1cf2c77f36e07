package lfs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
)

// faultProxy stands in front of a real Gitea: the batch answers' hrefs
// are rewritten to go through it, and object transfers (PUT, GET of
// /objects/<oid>) meet fault, if set.
type faultProxy struct {
	*httptest.Server
	mu    sync.Mutex
	fault func(w http.ResponseWriter, r *http.Request, next http.Handler)
}

func (p *faultProxy) set(f func(http.ResponseWriter, *http.Request, http.Handler)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

func newFaultProxy(t *testing.T, gitea string) *faultProxy {
	t.Helper()
	target, err := url.Parse(gitea)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(resp *http.Response) error {
		if !strings.HasSuffix(resp.Request.URL.Path, "/objects/batch") {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		b = bytes.ReplaceAll(b, []byte(gitea), []byte(p.URL))
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return nil
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		fault := p.fault
		p.mu.Unlock()
		if fault != nil && !strings.HasSuffix(r.URL.Path, "/objects/batch") && strings.Contains(r.URL.Path, "/objects/") {
			fault(w, r, rp)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// hang answers nothing until the test ends.
func hang(t *testing.T) func(http.ResponseWriter, *http.Request, http.Handler) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
}

// An LFS server that stops answering is given up after the stall limit,
// naming the server and the config key, whether it hangs on an upload
// or halfway through a download; one that keeps sending, however
// slowly, is never cut, even when the whole transfer takes longer than
// the limit.
func TestLFSStallLimit(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.StartGiteaLFS(t)
	g.CreateRepo(t, "r")
	proxy := newFaultProxy(t, g.URL)
	host := strings.TrimPrefix(proxy.URL, "http://")
	client := func() *Client {
		c, _ := NewClient(proxy.URL+"/"+g.User+"/r.git", fixedCreds(g.User, g.Token))
		return c.Limit(time.Second, "federation.fed.timeout")
	}
	local := t.TempDir()
	content := bytes.Repeat([]byte("federate lfs stall "), 50000)
	objs := []Object{objectOf(t, local, content)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wantStall := func(what string, err error) {
		t.Helper()
		if ctx.Err() != nil {
			t.Fatalf("%s: still waiting on the hung server after a minute", what)
		}
		var se *stall.Error
		want := "LFS server " + host + ": no data moved for 1s; gave up (the limit is federation.fed.timeout)"
		if !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: %v; want a stall: %q", what, err, want)
		}
	}

	proxy.set(hang(t))
	_, err := client().Upload(ctx, objs, Store(local))
	wantStall("upload to a hung server", err)

	proxy.set(nil)
	if n, err := client().Upload(ctx, objs, Store(local)); err != nil || n != 1 {
		t.Fatalf("upload: %d, %v", n, err)
	}

	// Half the object, then nothing.
	release := hang(t)
	proxy.set(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes()[:rec.Body.Len()/2])
		w.(http.Flusher).Flush()
		release(w, r, next)
	})
	open, err := client().Download(ctx, objs)
	if err != nil {
		t.Fatal(err)
	}
	body, err := open(ctx, objs[0])
	if err == nil {
		_, err = io.ReadAll(body)
		body.Close()
	}
	wantStall("download that stops halfway", err)

	// A slow server: a piece every 300ms, 2.4s in all.
	proxy.set(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		w.WriteHeader(rec.Code)
		b := rec.Body.Bytes()
		for i := range 8 {
			time.Sleep(300 * time.Millisecond)
			w.Write(b[i*len(b)/8 : (i+1)*len(b)/8])
			w.(http.Flusher).Flush()
		}
	})
	if got := download(t, client(), objs[0]); !bytes.Equal(got, content) {
		t.Fatalf("slow download: %d bytes, want %d", len(got), len(content))
	}
}
