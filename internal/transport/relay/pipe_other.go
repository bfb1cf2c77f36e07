//go:build !unix

package relay

import "os"

// BlockingPipe returns a pipe (os.Pipe where blocking mode is not ours
// to choose).
func BlockingPipe() (r, w *os.File, err error) { return os.Pipe() }
