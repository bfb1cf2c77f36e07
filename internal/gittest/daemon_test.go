package gittest

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A port another socket holds when git-daemon binds it (the socket is
// bound but not listening, so nothing answers there) costs a retry on
// another port, not a test that waits a minute.
func TestStartGitDaemonTriesAnotherPortWhenItsPortIsTaken(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	taken := sa.(*syscall.SockaddrInet4).Port
	var tries int
	url, _ := startGitDaemonOn(t, t.TempDir(), func() (int, error) {
		tries++
		if tries == 1 {
			return taken, nil
		}
		return freePort()
	})
	if tries != 2 || strings.Contains(url, ":"+strconv.Itoa(taken)+"/") {
		t.Fatalf("git daemon at %s after %d ports; want the second port, not the taken %d", url, tries, taken)
	}
}
