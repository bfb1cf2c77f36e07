package gittest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// HangHandler answers nothing: it reads the request's body and waits
// until the client gives up or the test ends. The test's limit goes on
// the client that talks to it.
func HangHandler(t testing.TB) http.HandlerFunc {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	return hangUntil(release)
}

// HungServer is an HTTP server on 127.0.0.1 that accepts every request
// and answers none (HangHandler), closed when the test ends.
func HungServer(t testing.TB) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(hangUntil(release))
	t.Cleanup(func() {
		close(release) // before Close, which waits for the handlers
		srv.Close()
	})
	return srv
}

func hangUntil(release <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
}
