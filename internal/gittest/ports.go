package gittest

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// errPortTaken is wrapped by the error of a server that could not listen
// on the port it was given: another process took the port after freePort
// chose it (an outgoing connection can: its port comes from the same
// range).
var errPortTaken = errors.New("its port was taken")

// errExited is a server that exited before it listened.
var errExited = errors.New("exited before it listened")

// freePort is a port nothing listens on now; something else may take it
// before the server does (onFreePort tries another then).
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// onFreePort starts a server with start on a port from ports, and on
// another when start's error wraps errPortTaken, five ports at most; any
// other error fails t.
func onFreePort(t testing.TB, ports func() (int, error), start func(port int) error) {
	t.Helper()
	for try := 1; ; try++ {
		port, err := ports()
		if err == nil {
			err = start(port)
		}
		if err == nil {
			return
		}
		if !errors.Is(err, errPortTaken) || try == 5 {
			t.Fatal(err)
		}
		t.Logf("%v; trying another port", err)
	}
}

// portTaken is err, wrapping errPortTaken when the server's log says it
// could not bind ("Address already in use", in any case).
func portTaken(err error, log string) error {
	if strings.Contains(strings.ToLower(log), "address already in use") {
		return fmt.Errorf("%w: %w", errPortTaken, err)
	}
	return err
}

// waitDialable waits until addr accepts a TCP connection. It returns
// errExited when done is closed first (the server's process ended), and
// an error when limit passes: one a healthy start on a loaded machine
// never reaches.
func waitDialable(addr string, done <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-done:
			return errExited
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("did not listen on %s within %v: %w", addr, limit, err)
		}
	}
}
