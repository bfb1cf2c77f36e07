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
// /objects/<oid>) meet fault, if set. While a fault is set, the batch
// requests are answered by the proxy itself, with what Gitea answered
// the same request before: the short stall limit of a test is then
// reached only by the transfer meant to hang, never by a Gitea slowed
// down by a loaded machine.
type faultProxy struct {
	*httptest.Server
	mu      sync.Mutex
	fault   func(w http.ResponseWriter, r *http.Request, next http.Handler)
	batches map[string][]byte // request body -> Gitea's answer, rewritten
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
	p := &faultProxy{batches: map[string][]byte{}}
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
		if strings.HasSuffix(r.URL.Path, "/objects/batch") {
			p.batch(w, r, rp, fault != nil)
			return
		}
		if fault != nil && strings.Contains(r.URL.Path, "/objects/") {
			fault(w, r, rp)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// batch answers a batch request: from what Gitea answered the same
// request before when replay is set (a fault is), else from Gitea,
// keeping its answer.
func (p *faultProxy) batch(w http.ResponseWriter, r *http.Request, next http.Handler, replay bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	answer, ok := p.batches[string(body)]
	p.mu.Unlock()
	if replay {
		if !ok {
			http.Error(w, "test: this batch request was not made before the fault was set", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", mediaType)
		w.Write(answer)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		p.mu.Lock()
		p.batches[string(body)] = rec.Body.Bytes()
		p.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// hang answers nothing until the test ends.
func hang(t *testing.T) func(http.ResponseWriter, *http.Request, http.Handler) {
	h := gittest.HangHandler(t)
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) { h(w, r) }
}

// An LFS server that stops answering is given up after the stall limit,
// naming the server and the config key, whether it hangs on an upload
// or halfway through a download; one that keeps sending, however
// slowly, is never cut, even when the whole transfer takes longer than
// the limit. The short limit is the faulty transfers' alone: the
// healthy upload and reads go with one no loaded machine reaches, and
// in the faulty steps the proxy answers the batch requests itself.
func TestLFSStallLimit(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.StartGiteaLFS(t)
	g.CreateRepo(t, "r")
	proxy := newFaultProxy(t, g.URL)
	host := strings.TrimPrefix(proxy.URL, "http://")
	client := func(limit time.Duration) *Client {
		c, _ := NewClient(proxy.URL+"/"+g.User+"/r.git", fixedCreds(g.User, g.Token), nil)
		return c.Limit(limit, "federation.fed.timeout")
	}
	short := func() *Client { return client(time.Second) }
	healthy := client(time.Hour)
	local := t.TempDir()
	content := bytes.Repeat([]byte("federate lfs stall "), 50000)
	objs := []Object{objectOf(t, local, content)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	wantStall := func(what string, err error) {
		t.Helper()
		if ctx.Err() != nil {
			t.Fatalf("%s: still waiting on the hung server after 10 minutes", what)
		}
		var se *stall.Error
		want := "LFS server " + host + ": no data moved for 1s; gave up (the limit is federation.fed.timeout)"
		if !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: %v; want a stall: %q", what, err, want)
		}
	}

	// Gitea's answer to the upload batch, for the proxy to give while
	// the upload hangs.
	if missing, err := healthy.Missing(ctx, objs); err != nil || len(missing) != 1 {
		t.Fatalf("missing: %v, %v", missing, err)
	}
	proxy.set(hang(t))
	_, err := short().Upload(ctx, objs, Store(local))
	wantStall("upload to a hung server", err)

	proxy.set(nil)
	if n, err := healthy.Upload(ctx, objs, Store(local)); err != nil || n != 1 {
		t.Fatalf("upload: %d, %v", n, err)
	}
	// What the faulty servers send below is what Gitea holds; its
	// answer to the download batch is kept for the proxy to give.
	held := download(t, healthy, objs[0])
	if !bytes.Equal(held, content) {
		t.Fatalf("download: %d bytes, want %d", len(held), len(content))
	}

	// Half the object, then nothing.
	release := hang(t)
	proxy.set(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		w.WriteHeader(http.StatusOK)
		w.Write(held[:len(held)/2])
		w.(http.Flusher).Flush()
		release(w, r, next)
	})
	open, err := short().Download(ctx, objs)
	if err != nil {
		t.Fatal(err)
	}
	body, err := open(ctx, objs[0])
	if err != nil {
		t.Fatalf("download that stops halfway: the answer did not start: %v", err)
	}
	got, err := io.ReadAll(body)
	body.Close()
	if len(got) != len(held)/2 {
		t.Errorf("download that stops halfway: read %d bytes before the stall, want the %d sent", len(got), len(held)/2)
	}
	wantStall("download that stops halfway", err)

	// A slow server: a piece every 100ms, 4s in all, longer than a 3s
	// limit; a pause between pieces would have to grow thirtyfold on a
	// loaded machine to reach it.
	proxy.set(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		w.WriteHeader(http.StatusOK)
		const pieces = 40
		for i := range pieces {
			time.Sleep(100 * time.Millisecond)
			w.Write(held[i*len(held)/pieces : (i+1)*len(held)/pieces])
			w.(http.Flusher).Flush()
		}
	})
	if got := download(t, client(3*time.Second), objs[0]); !bytes.Equal(got, content) {
		t.Fatalf("slow download: %d bytes, want %d", len(got), len(content))
	}
}
