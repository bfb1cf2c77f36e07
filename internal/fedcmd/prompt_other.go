//go:build !linux

package fedcmd

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// readHidden prints prompt on w and reads a line from the terminal f
// with echo off.
func readHidden(f *os.File, w io.Writer, prompt string) ([]byte, error) {
	fmt.Fprint(w, prompt)
	defer fmt.Fprintln(w)
	return term.ReadPassword(int(f.Fd()))
}
