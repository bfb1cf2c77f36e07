//go:build !linux

package gitexec

import "os"

// memFile has no anonymous memory file to offer here: children call the
// program back instead.
func memFile(string) (*os.File, error) { return nil, errNoSlot }
