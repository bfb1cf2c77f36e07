package webhook

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
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

// TestConnectionsBounded: with MaxConns 2, two idle connections hold
// both places; a third is served at once, the oldest idle one is closed
// to make room, and never are more than two open once accepted. With
// MaxIdlePerClient 2, a third idle connection from one address closes
// that address's oldest, not another's.
func TestConnectionsBounded(t *testing.T) {
	srv := newServer(t, newRecorder(), func(c *Config) { c.MaxConns, c.MaxIdlePerClient, c.IdleGrace = 2, 2, -1 })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	dial := func(from string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
		c, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	closedByServer := func(c net.Conn) bool {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := c.Read(make([]byte, 1))
		return err == io.EOF
	}
	healthz := func(c net.Conn) bool {
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		b := make([]byte, 12)
		_, err := io.ReadFull(c, b)
		return err == nil && string(b) == "HTTP/1.1 200"
	}

	first, second := dial("127.0.0.1"), dial("127.0.0.1")
	third := dial("127.0.0.1")
	if !healthz(third) {
		t.Fatal("a third connection was not served while two idle ones were open")
	}
	if !closedByServer(first) {
		t.Error("the oldest idle connection was not closed to make room")
	}
	if peak := srv.conns.peak.Load(); peak > 2 {
		t.Errorf("%d connections were open at once, limit 2", peak)
	}
	second.Close()
	third.Close()

	srv2 := newServer(t, newRecorder(), func(c *Config) { c.MaxConns, c.MaxIdlePerClient, c.IdleGrace = 100, 2, -1 })
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- srv2.Serve(ctx, ln2) }()
	defer func() { cancel(); <-done }()
	ln = ln2
	other := dial("127.0.0.3")
	a, b := dial("127.0.0.2"), dial("127.0.0.2")
	c := dial("127.0.0.2")
	if !closedByServer(a) {
		t.Error("a third idle connection from one address did not close its oldest")
	}
	for name, conn := range map[string]net.Conn{"another address's": other, "the second": b, "the third": c} {
		if !healthz(conn) {
			t.Errorf("%s connection was closed", name)
		}
	}
}

// TestRedeliveryOfADeliveryNotActedOn: GitHub's Redeliver sends the same
// X-GitHub-Delivery. A delivery answered "no federation" (or that found
// the config unreadable) started nothing, so its redelivery, once the
// federation exists, starts the sync; a redelivery after that is a
// duplicate.
func TestRedeliveryOfADeliveryNotActedOn(t *testing.T) {
	rec := newRecorder()
	var mu sync.Mutex
	ready, readable := false, false
	srv := newServer(t, rec, func(c *Config) {
		c.Federations = func(context.Context) (*federation.Config, error) {
			mu.Lock()
			defer mu.Unlock()
			if !readable {
				return nil, errors.New("bad config line 3")
			}
			if !ready {
				return &federation.Config{}, nil
			}
			return testConfig(t), nil
		}
	})
	h := headers("X-GitHub-Event", "push", "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958",
		"X-Hub-Signature-256", "sha256="+hexMAC(testSecret, githubPush), "Content-Type", "application/json")
	if got := do(srv, http.MethodPost, "/webhook", h, githubPush); got.Code != http.StatusInternalServerError {
		t.Fatalf("config unreadable: %d %s", got.Code, got.Body)
	}
	mu.Lock()
	readable = true
	mu.Unlock()
	if got := do(srv, http.MethodPost, "/webhook", h, githubPush); got.Code != http.StatusAccepted || !strings.Contains(got.Body.String(), "no federation") {
		t.Fatalf("no federation yet: %d %s", got.Code, got.Body)
	}
	mu.Lock()
	ready = true
	mu.Unlock()
	if got := do(srv, http.MethodPost, "/webhook", h, githubPush); got.Code != http.StatusAccepted || strings.Contains(got.Body.String(), "duplicate") {
		t.Fatalf("redelivered once the federation exists: %d %s", got.Code, got.Body)
	}
	rec.next(t)
	if got := do(srv, http.MethodPost, "/webhook", h, githubPush); got.Code != http.StatusOK || !strings.Contains(got.Body.String(), "duplicate") {
		t.Errorf("redelivered after the sync: %d %s, want 200 duplicate", got.Code, got.Body)
	}
}
