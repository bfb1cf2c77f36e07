// Package gittest runs real git servers for tests: git's own
// http-backend behind net/http/cgi on 127.0.0.1, with the token auth real
// forges use and fault injection. It also isolates tests from the user's
// git config and builds this project's binaries.
package gittest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitserve"
)

// Auth is how a server checks credentials, as the forges do: the token is
// the password; Username, when set, must match exactly (Gitee); otherwise
// any username is taken (GitHub, GitLab).
type Auth struct {
	Token    string
	Username string
	// ReadOnlyToken, when set, may fetch but not push (a token without
	// write scope): pushes with it get 403.
	ReadOnlyToken string
}

// Fault is an injected failure for requests whose path starts with Prefix.
type Fault struct {
	Prefix string
	// Status and Body, when Status is set, answer instead of git, with
	// Header's fields (Retry-After …) added.
	Status int
	Body   string
	Header http.Header
	// Count limits the fault to the first Count matching requests; 0 is
	// every request.
	Count int
	// Delay is added before each matching request is served.
	Delay time.Duration
	// CutAfter, when > 0, closes the connection after that many bytes of
	// the response body.
	CutAfter int
	// CutAfterStatus sends the status line of git's answer only, then
	// closes the connection: a cut inside the headers, before their
	// Content-Type.
	CutAfterStatus bool
	// Stream sends each piece of git's answer as git writes it, as
	// forges do (a hook's words while it runs); net/http otherwise
	// holds small writes until its buffer fills or the answer ends.
	Stream bool
	// PushOnly limits the fault to receive-pack requests.
	PushOnly bool
	// Echo answers a request that carries credentials with 403 and a
	// hostile text/plain body: the token, its base64, the Authorization
	// header, a terminal-title escape and a carriage-return overwrite. A
	// request without credentials gets 401, so that git sends them.
	Echo bool
	// Hook, when set, runs before each matching request is served: to
	// note it, or to hold it until something else has happened.
	Hook func(*http.Request)
	// CutRequestAfter, when > 0, reads that many bytes of the request
	// body (a pushed pack) and then closes the connection without an
	// answer.
	CutRequestAfter int
	// Hang, when set, accepts the request and answers nothing until the
	// channel is closed (or the test's server stops): a server that hangs.
	Hang chan struct{}
	// HangAfterBody makes Hang read the whole request first: a server
	// that took the pack and never reports the ref update.
	HangAfterBody bool
	// Handler, when set, answers authorized requests instead of git: an
	// LFS server on the repository's path, say.
	Handler http.Handler
}

// Server is git http-backend serving every bare repository under Root.
type Server struct {
	URL  string
	Root string

	srv     *httptest.Server
	backend http.Handler
	auth    Auth

	done     chan struct{} // closed by Close, to release hung requests
	closeMu  sync.Once
	mu       sync.Mutex
	faults   []*Fault
	requests []Request
}

// Request is what the server saw of one request, for assertions.
type Request struct {
	Method, Path, Query string
	Authorization       string
	User                string
	// Start is when the request arrived; End when its answer was
	// complete (zero while it is being served).
	Start, End time.Time
}

// Push reports whether the request is part of a push (receive-pack).
func (r Request) Push() bool {
	return strings.HasSuffix(r.Path, "/git-receive-pack") || strings.Contains(r.Query, "service=git-receive-pack")
}

// NewServer starts a server on 127.0.0.1 that stops when the test ends.
func NewServer(t testing.TB, auth Auth) *Server {
	t.Helper()
	root := t.TempDir()
	s := &Server{Root: root, auth: auth, done: make(chan struct{})}
	backend, err := gitserve.Backend(context.Background(), "", root)
	if err != nil {
		t.Fatal(err)
	}
	s.backend = backend
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server; later requests get "connection refused". Hung
// requests are released first, since httptest waits for them.
func (s *Server) Close() {
	s.closeMu.Do(func() { close(s.done) })
	s.srv.Close()
}

// RepoURL is the URL of repository name (a path under Root).
func (s *Server) RepoURL(name string) string { return s.URL + "/" + name }

// InitBare creates an empty bare repository and returns its URL.
func (s *Server) InitBare(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(s.Root, name)
	Git(t, "", "init", "-q", "--bare", "-b", "main", dir)
	return s.RepoURL(name)
}

// Path is the directory of repository name on disk.
func (s *Server) Path(name string) string { return filepath.Join(s.Root, name) }

// AddFault injects f.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns what the server has seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func isPush(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack"
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, _ := r.BasicAuth()
	s.mu.Lock()
	i := len(s.requests)
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Authorization: r.Header.Get("Authorization"), User: user, Start: time.Now()})
	f := s.matchFault(r)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.requests[i].End = time.Now()
		s.mu.Unlock()
	}()
	if f != nil {
		if f.Hook != nil {
			f.Hook(r)
		}
		if f.Delay > 0 {
			time.Sleep(f.Delay)
		}
		if f.Hang != nil {
			if f.HangAfterBody {
				_, _ = io.Copy(io.Discard, r.Body)
			}
			s.hang(r, f.Hang)
			return
		}
		if f.CutRequestAfter > 0 {
			_, _ = io.CopyN(io.Discard, r.Body, int64(f.CutRequestAfter))
			closeConn(w)
			return
		}
		if f.Status != 0 {
			for k, v := range f.Header {
				w.Header()[k] = v
			}
			http.Error(w, f.Body, f.Status)
			return
		}
		if f.Echo {
			echo(w, r, pass)
			return
		}
	}
	if !s.authorize(w, r, user, pass) {
		return
	}
	if f != nil && f.Handler != nil {
		f.Handler.ServeHTTP(w, r)
		return
	}
	if f != nil && f.CutAfter > 0 {
		w = &cutWriter{ResponseWriter: w, left: f.CutAfter}
	}
	if r.ContentLength < 0 && r.Body != nil {
		// net/http/cgi refuses chunked bodies, and git sends large pushes
		// chunked: spool the body so it has a length.
		f, err := gitserve.Spool(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
	}
	r.Header.Del("Authorization")
	if f != nil && f.Stream {
		w = streamWriter{w}
	}
	if f != nil && f.CutAfterStatus {
		cutAfterStatus(w, r, s.backend)
		return
	}
	s.backend.ServeHTTP(w, r)
}

// cutAfterStatus has backend answer r, then sends only the answer's
// status line on the raw connection and closes it.
func cutAfterStatus(w http.ResponseWriter, r *http.Request, backend http.Handler) {
	rec := httptest.NewRecorder()
	backend.ServeHTTP(rec, r)
	var b bytes.Buffer
	_ = rec.Result().Write(&b)
	status, _, _ := bytes.Cut(b.Bytes(), []byte("\r\n"))
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	if conn, _, err := hj.Hijack(); err == nil {
		_, _ = conn.Write(append(status, "\r\n"...))
		conn.Close()
	}
}

func (s *Server) matchFault(r *http.Request) *Fault {
	for _, f := range s.faults {
		if !strings.HasPrefix(r.URL.Path, f.Prefix) || (f.PushOnly && !isPush(r)) {
			continue
		}
		if f.Count < 0 {
			continue
		}
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				f.Count = -1
			}
		}
		return f
	}
	return nil
}

// SetAuth changes the credentials the server takes from now on: a
// token revoked, or a new one issued, while a client is at work.
func (s *Server) SetAuth(a Auth) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = a
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request, user, pass string) bool {
	s.mu.Lock()
	a := s.auth
	s.mu.Unlock()
	if a.Token == "" && a.ReadOnlyToken == "" {
		return true
	}
	userOK := a.Username == "" || user == a.Username
	switch {
	case userOK && eq(pass, a.Token):
		return true
	case userOK && a.ReadOnlyToken != "" && eq(pass, a.ReadOnlyToken):
		if isPush(r) {
			http.Error(w, "Permission to this repository denied: token lacks write access", http.StatusForbidden)
			return false
		}
		return true
	case pass != "" && a.Username != "" && user != a.Username:
		// Gitee answers a wrong account name with 403, not 401.
		http.Error(w, "Forbidden", http.StatusForbidden)
		return false
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="gittest"`)
	http.Error(w, "Unauthorized", http.StatusUnauthorized)
	return false
}

// echo is Fault.Echo's answer.
func echo(w http.ResponseWriter, r *http.Request, pass string) {
	if pass == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="gittest"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	body := fmt.Sprintf("\x1b]0;pwned\x07access denied for token %s\r\nfake: all good\n(header %s, base64 %s)\n",
		pass, r.Header.Get("Authorization"), base64.StdEncoding.EncodeToString([]byte(pass)))
	http.Error(w, body, http.StatusForbidden)
}

func eq(a, b string) bool {
	return b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// cutWriter drops the connection after left bytes of body.
type cutWriter struct {
	http.ResponseWriter
	left int
	cut  bool // the connection is gone: nothing more to write or flush
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if len(p) <= c.left {
		c.left -= len(p)
		return c.ResponseWriter.Write(p)
	}
	n, _ := c.ResponseWriter.Write(p[:c.left])
	c.left, c.cut = 0, true
	closeConn(c.ResponseWriter)
	return n, net.ErrClosed
}

// Flush sends what was written so far; after the cut, nothing (the
// connection was taken from the server: flushing it would panic).
func (c *cutWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok && !c.cut {
		f.Flush()
	}
}

// streamWriter flushes each write.
type streamWriter struct{ http.ResponseWriter }

func (s streamWriter) Write(p []byte) (int, error) {
	n, err := s.ResponseWriter.Write(p)
	if f, ok := s.ResponseWriter.(http.Flusher); ok && err == nil {
		f.Flush()
	}
	return n, err
}

// closeConn drops the connection under w without an HTTP answer.
func closeConn(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
		}
	}
}

// hang holds a request without answering until release is closed, the
// client goes away or the server closes.
func (s *Server) hang(r *http.Request, release chan struct{}) {
	select {
	case <-release:
	case <-r.Context().Done():
	case <-s.done:
	}
}

// BasicAuthHeader is what a client sends for user and token, for leak
// checks that look for the base64 form.
func BasicAuthHeader(user, token string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + token))
}
