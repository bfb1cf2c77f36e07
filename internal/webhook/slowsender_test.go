package webhook

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A sender that stalls in its headers or in its body is dropped after
// the server's read limits, and never keeps the server from answering
// others meanwhile, even with a single connection place left to them.
func TestSlowSenderDropped(t *testing.T) {
	for _, tc := range []struct{ name, partial string }{
		{"headers", "POST /hook HTTP/1.1\r\nHost: x\r\nX-GitHub-Ev"},
		{"body", "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ref\":"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, newRecorder(), func(c *Config) {
				c.MaxConns = 2
				// The smallest limits serve accepts. They cover every
				// connection, the healthy client's too, whose request
				// must not lose a race with them on a loaded machine.
				c.HeaderTimeout = time.Second
				c.ReadTimeout = 2 * time.Second
			})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ctx, ln) }()
			defer func() { cancel(); <-done }()

			slow, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer slow.Close()
			if _, err := io.WriteString(slow, tc.partial); err != nil {
				t.Fatal(err)
			}

			// Another client is answered while the slow one stalls.
			hc := &http.Client{Timeout: time.Minute}
			resp, err := hc.Get("http://" + ln.Addr().String() + "/healthz")
			if err != nil {
				t.Fatalf("a client was not served while another stalled: %v", err)
			}
			resp.Body.Close()

			// The slow one is cut off: its connection ends. How soon is
			// not timed; this test's own bound, far over the limits,
			// only keeps a server that never cuts from hanging the test.
			slow.SetReadDeadline(time.Now().Add(5 * time.Minute))
			b, err := io.ReadAll(slow)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the server kept a stalled sender's connection open (read so far %q)", b)
			}
			if strings.Contains(string(b), "200 OK") {
				t.Fatalf("a partial request was answered 200:\n%s", b)
			}
		})
	}
}
