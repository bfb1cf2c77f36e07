// Command serve serves every bare repository under a directory over smart
// HTTP with git's own http-backend, on 127.0.0.1, for benchmarks. It
// writes its base URL to -url-file (and stdout) once it listens, and stops
// on SIGINT/SIGTERM, when its stdin closes (with -stdin), or after
// -timeout, so it never outlives the benchmark.
package main

import (
	"context"
	"crypto/subtle"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitserve"
)

func main() {
	root := flag.String("root", "", "directory of bare repositories")
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	urlFile := flag.String("url-file", "", "write the base URL here once listening")
	timeout := flag.Duration("timeout", 2*time.Hour, "stop after this long")
	watchStdin := flag.Bool("stdin", false, "stop when stdin reaches EOF")
	tokenFile := flag.String("token-file", "", "require this password (any username) with Basic auth, as forges take a token")
	flag.Parse()
	if *root == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if *watchStdin {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}
	token := ""
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		token = strings.TrimSpace(string(b))
	}
	if err := serve(ctx, *root, *addr, *urlFile, token); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

func serve(ctx context.Context, root, addr, urlFile, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", addr)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	backend, err := gitserve.Backend(ctx, "", abs)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	if urlFile != "" {
		tmp := urlFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(url+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, urlFile); err != nil {
			return err
		}
	}
	fmt.Println(url)
	srv := &http.Server{Handler: withToken(token, gitserve.Handler(backend)), ReadHeaderTimeout: time.Minute}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

// withToken answers 401 to a request without token as its Basic auth
// password, as a forge does: a client is refused once, then sends it.
func withToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pass, ok := r.BasicAuth(); !ok || subtle.ConstantTimeCompare([]byte(pass), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="bench"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		r.Header.Del("Authorization")
		next.ServeHTTP(w, r)
	})
}
