//go:build !linux

package gitexec

import "os"

// killTree kills pid; its own children are left to end with their pipes.
func killTree(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
