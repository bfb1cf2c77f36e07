//go:build unix

package helper

import (
	"os/exec"
	"syscall"
)

// detach puts cmd in its own session, so it outlives git's and no
// terminal signal meant for git reaches it.
func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }
