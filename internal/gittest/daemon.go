package gittest

import (
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// StartGitDaemon serves the bare repositories under base over git:// on
// 127.0.0.1 until the test ends (or stop is called), and returns the
// URL prefix and stop.
func StartGitDaemon(t *testing.T, base string) (string, func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	execPath := Git(t, "", "--exec-path")
	// git-daemon itself: `git daemon` would run it as a child that
	// outlives a kill of the wrapper.
	cmd := exec.Command(filepath.Join(execPath, "git-daemon"), "--export-all", "--reuseaddr", "--base-path="+base,
		"--listen=127.0.0.1", "--port="+port, base)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	t.Cleanup(stop)
	for deadline := time.Now().Add(time.Minute); ; { // a healthy start: no loaded machine takes that long
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("git daemon did not listen: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "git://127.0.0.1:" + port + "/", stop
}
