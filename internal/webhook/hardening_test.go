package webhook

import (
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingBody counts the bytes the handler reads from a request.
type countingBody struct {
	r    io.Reader
	read atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *countingBody) Close() error { return nil }

// TestUnsignedBodyNotRead: a request without the signature header its
// forge sends is refused before its body is read.
func TestUnsignedBodyNotRead(t *testing.T) {
	srv := newServer(t, newRecorder(), nil)
	for _, event := range []string{"X-GitHub-Event", "X-Gitea-Event", "X-Gitlab-Event", "X-Gitee-Event"} {
		body := &countingBody{r: strings.NewReader(strings.Repeat("x", 900<<10))}
		req, _ := http.NewRequest(http.MethodPost, "/webhook", nil)
		req.Body = body
		req.Header.Set(event, "push")
		rec := &responseRecorder{header: http.Header{}}
		srv.Handler().ServeHTTP(rec, req)
		if rec.code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", event, rec.code)
		}
		if n := body.read.Load(); n > 0 {
			t.Errorf("%s: read %d bytes of an unsigned body", event, n)
		}
	}
}

// TestTooLargeDeclaredBodyNotRead: a Content-Length over the limit is
// refused at once.
func TestTooLargeDeclaredBodyNotRead(t *testing.T) {
	srv := newServer(t, newRecorder(), func(c *Config) { c.MaxBody = 1000 })
	body := &countingBody{r: strings.NewReader(strings.Repeat("x", 5000))}
	req, _ := http.NewRequest(http.MethodPost, "/webhook", nil)
	req.Body, req.ContentLength = body, 5000
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hexMAC(testSecret, "whatever"))
	rec := &responseRecorder{header: http.Header{}}
	srv.Handler().ServeHTTP(rec, req)
	if rec.code != http.StatusRequestEntityTooLarge || body.read.Load() > 0 {
		t.Errorf("status %d after reading %d bytes, want 413 after none", rec.code, body.read.Load())
	}
}

type responseRecorder struct {
	header http.Header
	code   int
}

func (r *responseRecorder) Header() http.Header         { return r.header }
func (r *responseRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (r *responseRecorder) WriteHeader(code int)        { r.code = code }

// TestReplayedDeliveryIgnored: the same signed GitHub or Gitea delivery
// sent twice starts one sync; the second is answered 200 "duplicate".
func TestReplayedDeliveryIgnored(t *testing.T) {
	rec := newRecorder()
	srv := newServer(t, rec, nil)
	for _, tt := range []struct{ event, idHeader, body string }{
		{"X-GitHub-Event", "X-GitHub-Delivery", githubPush},
		{"X-Gitea-Event", "X-Gitea-Delivery", giteaPush},
	} {
		h := headers(tt.event, "push", tt.idHeader, "72d3162e-cc78-11e3-81ab-4c9367dc0958",
			"X-Hub-Signature-256", "sha256="+hexMAC(testSecret, tt.body), "Content-Type", "application/json")
		if got := do(srv, http.MethodPost, "/webhook", h, tt.body); got.Code != http.StatusAccepted {
			t.Fatalf("%s first delivery: %d %s", tt.event, got.Code, got.Body)
		}
		rec.next(t)
		got := do(srv, http.MethodPost, "/webhook", h, tt.body)
		if got.Code != http.StatusOK || !strings.Contains(got.Body.String(), "duplicate") {
			t.Errorf("%s replay: %d %s, want 200 duplicate", tt.event, got.Code, got.Body)
		}
	}
	select {
	case n := <-rec.calls:
		t.Errorf("a replay started a sync of %s", n)
	default:
	}
}

// TestConnectionsBounded: with MaxConns 2, two idle connections hold both
// places; a third is accepted only once one of them closes.
func TestConnectionsBounded(t *testing.T) {
	srv := newServer(t, newRecorder(), func(c *Config) { c.MaxConns = 2 })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	third, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	io.WriteString(third, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	answered := make(chan bool, 1)
	go func() {
		b := make([]byte, 12)
		_, err := io.ReadFull(third, b)
		answered <- err == nil && strings.HasPrefix(string(b), "HTTP/1.1 200")
	}()
	// Wait for the server to take both idle connections, then free one:
	// the third is served, and never were three open at once.
	deadline := time.Now().Add(10 * time.Second)
	for srv.conns.open.Load() < 2 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	idle[0].Close()
	select {
	case ok := <-answered:
		if !ok {
			t.Error("third connection not answered 200")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("third connection never served after a place freed")
	}
	if peak := srv.conns.peak.Load(); peak > 2 {
		t.Errorf("%d connections were open at once, limit 2", peak)
	}
	idle[1].Close()
}
