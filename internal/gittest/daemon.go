package gittest

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// StartGitDaemon serves the bare repositories under base over git:// on
// 127.0.0.1 until the test ends (or stop is called), and returns the
// URL prefix and stop.
func StartGitDaemon(t *testing.T, base string) (string, func()) {
	t.Helper()
	// Another process can take the port between its choice and the
	// daemon's bind; the daemon then exits, and another port is tried.
	return startGitDaemonOn(t, base, freePort)
}

// startGitDaemonOn is StartGitDaemon with the source of ports to try.
func startGitDaemonOn(t *testing.T, base string, ports func() (int, error)) (string, func()) {
	t.Helper()
	for try := 1; ; try++ {
		url, stop, err := startGitDaemon(t, base, ports)
		if err == nil {
			return url, stop
		}
		if try == 3 {
			t.Fatal(err)
		}
		t.Logf("%v; trying another port", err)
	}
}

func startGitDaemon(t *testing.T, base string, ports func() (int, error)) (string, func(), error) {
	t.Helper()
	port, err := ports()
	if err != nil {
		t.Fatal(err)
	}
	execPath := Git(t, "", "--exec-path")
	// git-daemon itself: `git daemon` would run it as a child that
	// outlives a kill of the wrapper.
	cmd := exec.Command(filepath.Join(execPath, "git-daemon"), "--export-all", "--reuseaddr", "--base-path="+base,
		"--listen=127.0.0.1", "--port="+strconv.Itoa(port), base)
	var log bytes.Buffer
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	var once sync.Once
	stop := func() { once.Do(func() { cmd.Process.Kill(); <-exited }) }
	t.Cleanup(stop)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(time.Minute); ; { // a healthy start: no loaded machine takes that long
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return "git://" + addr + "/", stop, nil
		}
		select {
		case <-exited:
			return "", nil, fmt.Errorf("git daemon on %s exited: %s", addr, strings.TrimSpace(log.String()))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("git daemon did not listen on %s: %v", addr, err)
		}
	}
}
