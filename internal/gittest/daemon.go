package gittest

import (
	"bytes"
	"fmt"
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
	execPath := Git(t, "", "--exec-path")
	var url string
	var stop func()
	onFreePort(t, ports, func(port int) error {
		// git-daemon itself: `git daemon` would run it as a child that
		// outlives a kill of the wrapper.
		cmd := exec.Command(filepath.Join(execPath, "git-daemon"), "--export-all", "--reuseaddr", "--base-path="+base,
			"--listen=127.0.0.1", "--port="+strconv.Itoa(port), base)
		var log bytes.Buffer
		cmd.Stderr = &log
		if err := cmd.Start(); err != nil {
			return err
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		var once sync.Once
		stop = func() { once.Do(func() { cmd.Process.Kill(); <-exited }) }
		t.Cleanup(stop)
		addr := "127.0.0.1:" + strconv.Itoa(port)
		if err := waitDialable(addr, exited, time.Minute); err != nil {
			stop() // and waits: the log is whole
			return portTaken(fmt.Errorf("git daemon on %s: %w: %s", addr, err, strings.TrimSpace(log.String())), log.String())
		}
		url = "git://" + addr + "/"
		return nil
	})
	return url, stop
}
