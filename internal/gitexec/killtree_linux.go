package gitexec

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// killTree kills pid and every process below it: a command line run by
// sh may leave ssh (or its ProxyCommand) a child of the shell, which
// would keep the connection to a hung server open. It is not a process
// group, so that ssh can still ask for a passphrase on the terminal.
func killTree(pid int) {
	parent := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		i := bytes.LastIndexByte(b, ')')
		if err != nil || i < 0 {
			continue
		}
		// After "pid (comm)": state, ppid, …
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(f[1]); err == nil {
			parent[pp] = append(parent[pp], n)
		}
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, parent[tree[i]]...)
	}
	for _, p := range tree {
		syscall.Kill(p, syscall.SIGKILL)
	}
}
