// Package gitserve serves bare git repositories over smart HTTP with git's
// own http-backend behind net/http/cgi. `git federate demo` runs it, and
// the test servers of internal/gittest build on it.
package gitserve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

// Backend returns git http-backend serving every repository under root,
// pushes allowed. git is the git binary ("" for "git" on PATH).
func Backend(ctx context.Context, git, root string) (*cgi.Handler, error) {
	out, err := gitexec.Runner{Git: git, Timeout: time.Minute}.Output(ctx, "--exec-path")
	if err != nil {
		return nil, fmt.Errorf("finding git http-backend: git --exec-path: %w", err)
	}
	return &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(out)), "git-http-backend"),
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"HOME=" + root,
			"GIT_CONFIG_COUNT=4",
			"GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true",
			"GIT_CONFIG_KEY_1=uploadpack.allowAnySHA1InWant", "GIT_CONFIG_VALUE_1=true",
			"GIT_CONFIG_KEY_2=receive.advertisePushOptions", "GIT_CONFIG_VALUE_2=true",
			"GIT_CONFIG_KEY_3=uploadpack.allowFilter", "GIT_CONFIG_VALUE_3=true",
		},
		InheritEnv: []string{"PATH"},
	}, nil
}

// Handler wraps a CGI backend so that chunked request bodies work.
func Handler(backend http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength < 0 && r.Body != nil {
			f, err := Spool(r)
			if err != nil {
				http.Error(w, "reading request body: "+err.Error(), http.StatusInternalServerError)
				return
			}
			defer f.Close()
		}
		backend.ServeHTTP(w, r)
	})
}

// Spool makes a chunked request body have a length, which net/http/cgi
// needs (it answers 400 otherwise) and git does not give for large
// pushes: the body goes to an unlinked temporary file. The caller closes
// the returned file once the request is served.
func Spool(r *http.Request) (*os.File, error) {
	f, err := os.CreateTemp("", "gitserve-body-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name()) // the open file lives on; nothing is left behind
	n, err := io.Copy(f, r.Body)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	r.Body = f
	r.ContentLength = n
	r.Header.Set("Content-Length", strconv.FormatInt(n, 10))
	r.TransferEncoding = nil
	return f, nil
}

// Server is an HTTP git server on a local address.
type Server struct {
	// URL is "http://127.0.0.1:<port>"; repository <name> is URL + "/" + name.
	URL  string
	Root string
	srv  *http.Server
	done chan error
}

// Start serves the repositories under root on 127.0.0.1 at a free port
// until Close.
func Start(ctx context.Context, root string) (*Server, error) {
	backend, err := Backend(ctx, "", root)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL:  "http://" + ln.Addr().String(),
		Root: root,
		srv:  &http.Server{Handler: Handler(backend), ReadHeaderTimeout: 30 * time.Second},
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server and waits for it.
func (s *Server) Close() error {
	err := s.srv.Close()
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
