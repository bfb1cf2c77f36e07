package httpx

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// send, which takes a request past the http.Client when it can, answers
// every request as the http.Client does: the same status, the same last
// URL, the same body, the same error text, and the same number of
// requests to the server (a redirect is followed by the one rule, not
// asked again).
func TestSendAnswersAsTheHTTPClientDoes(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other") }))
	t.Cleanup(other.Close)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, "refs")
		case "/not-modified":
			w.WriteHeader(http.StatusNotModified)
		case "/no-location":
			w.WriteHeader(http.StatusFound)
		case "/choices":
			w.Header().Set("Location", "/ok")
			w.WriteHeader(http.StatusMultipleChoices)
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusMovedPermanently)
		case "/twice":
			http.Redirect(w, r, "/moved", http.StatusTemporaryRedirect)
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/bad-location":
			w.Header().Set("Location", "http://[::1")
			w.WriteHeader(http.StatusFound)
		case "/cut":
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "short")
		}
	}))
	t.Cleanup(srv.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	urls := []string{closed.URL + "/x", strings.Replace(srv.URL, "http:", "https:", 1) + "/ok", "nil-header:" + srv.URL + "/ok"}
	for _, p := range []string{"/ok", "/not-modified", "/no-location", "/choices", "/moved", "/twice", "/away", "/loop", "/bad-location", "/cut"} {
		urls = append(urls, srv.URL+p)
	}
	c := mustNew(t, Config{})
	for _, u := range urls {
		var said [2]string
		for i, do := range []func(*http.Client, *http.Request) (*http.Response, error){(*http.Client).Do, send} {
			hits.Store(0)
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, strings.TrimPrefix(u, "nil-header:"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(u, "nil-header:") {
				req.Header = nil // the http.Client makes them; a transport refuses
			}
			hc, err := c.http.forRequest(req)
			if err != nil {
				t.Fatal(err)
			}
			said[i] = answer(do(hc, req))
			said[i] += fmt.Sprintf(", %d request(s)", hits.Load())
		}
		if said[0] != said[1] {
			t.Errorf("%s:\nhttp.Client: %s\nsend:        %s", u, said[0], said[1])
		}
	}
}

// answer is what a caller of Do sees: the error, or the status, last URL
// and body.
func answer(resp *http.Response, err error) string {
	var s string
	if resp != nil {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		s = fmt.Sprintf("%d %s %q %v; ", resp.StatusCode, resp.Request.URL, body, rerr)
	}
	if err != nil {
		s += "error: " + err.Error()
	}
	return s
}
