package fedcmd

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// readHidden prints prompt on w and reads a line from the terminal f
// with echo off. Echo goes off before the prompt shows, so nothing typed
// after the prompt appears is ever echoed.
func readHidden(f *os.File, w io.Writer, prompt string) ([]byte, error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	quiet.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return nil, err
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	fmt.Fprint(w, prompt)
	defer fmt.Fprintln(w)
	line, err := bufio.NewReaderSize(f, 64<<10).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return nil, err
	}
	return []byte(strings.TrimRight(line, "\r\n")), nil
}
