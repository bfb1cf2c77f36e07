//go:build linux

package helper

import "syscall"

// mirrorNice is how much less CPU a mirror's child gets than origin's
// when both want it: the mirrors list their refs while origin's push
// runs, and on a small machine their credential callbacks and git
// processes would otherwise take turns with origin's, which is what the
// user waits for. A mirror's own push comes after origin's verdict,
// when origin's child is idle, so it loses nothing then.
const mirrorNice = 5

// yieldCPU lowers pid's CPU priority by mirrorNice; its children
// inherit it. A failure only leaves the priority as it was.
func yieldCPU(pid int) {
	if prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, pid); err == nil {
		// Linux's getpriority returns 20 - nice.
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, pid, min(19, 20-prio+mirrorNice))
	}
}
