//go:build !unix

package helper

import "os"

// blockingPipe returns a pipe (os.Pipe where blocking mode is not ours
// to choose).
func blockingPipe() (r, w *os.File, err error) { return os.Pipe() }
