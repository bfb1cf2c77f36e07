// Command rsswrap runs a program and records its own peak resident memory
// (VmHWM), without its children's: git's pack-objects, spawned by the
// helper, is git's memory, not ours. /usr/bin/time cannot separate them,
// because a reaped child's peak is folded into its parent's rusage.
//
//	rsswrap -o LOG PROGRAM [ARGS...]
//
// It appends the peak in KiB as one line to LOG and exits with the
// program's status. stdin, stdout and stderr are the program's own.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 4 || os.Args[1] != "-o" {
		fmt.Fprintln(os.Stderr, "usage: rsswrap -o LOG PROGRAM [ARGS...]")
		os.Exit(2)
	}
	log, prog, args := os.Args[2], os.Args[3], os.Args[4:]
	cmd := exec.Command(prog, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "rsswrap:", err)
		os.Exit(127)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	peak := 0
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	var err error
loop:
	for {
		// VmHWM only grows, so the last sample before exit is close to
		// the true peak.
		if kib := hwm(status); kib > peak {
			peak = kib
		}
		select {
		case err = <-done:
			break loop
		case <-tick.C:
		}
	}
	if f, ferr := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); ferr == nil {
		fmt.Fprintln(f, peak)
		f.Close()
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		os.Exit(1)
	}
}

// hwm reads VmHWM (KiB) from a /proc/<pid>/status file; 0 when gone.
func hwm(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}
