// Command serve serves every bare repository under a directory over smart
// HTTP with git's own http-backend, on 127.0.0.1, for benchmarks. It
// writes its base URL to -url-file (and stdout) once it listens, and stops
// on SIGINT/SIGTERM, when its stdin closes (with -stdin), or after
// -timeout, so it never outlives the benchmark.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	root := flag.String("root", "", "directory of bare repositories")
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	urlFile := flag.String("url-file", "", "write the base URL here once listening")
	timeout := flag.Duration("timeout", 2*time.Hour, "stop after this long")
	watchStdin := flag.Bool("stdin", false, "stop when stdin reaches EOF")
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
	if err := serve(ctx, *root, *addr, *urlFile); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

func serve(ctx context.Context, root, addr, urlFile string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", addr)
	}
	execPath, err := exec.CommandContext(ctx, "git", "--exec-path").Output()
	if err != nil {
		return fmt.Errorf("git --exec-path: %w", err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	backend := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env: []string{
			"GIT_PROJECT_ROOT=" + abs,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_CONFIG_COUNT=2",
			"GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true",
			"GIT_CONFIG_KEY_1=receive.advertisePushOptions", "GIT_CONFIG_VALUE_1=true",
		},
		InheritEnv: []string{"PATH", "HOME"},
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
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength < 0 && r.Body != nil {
			f, err := spool(r)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			defer f.Close()
		}
		backend.ServeHTTP(w, r)
	}), ReadHeaderTimeout: time.Minute}
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

// spool gives a chunked request body a length: net/http/cgi answers 400
// to chunked bodies, and git sends large pushes chunked.
func spool(r *http.Request) (*os.File, error) {
	f, err := os.CreateTemp("", "bench-serve-body-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
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
