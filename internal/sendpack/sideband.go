package sendpack

import (
	"bytes"
	"io"
)

// What git's sideband.c writes around the server's words.
const (
	remotePrefix = "remote: "
	// ansiSuffix clears what a longer earlier line left on a terminal.
	ansiSuffix = "\x1b[K"
	// dumbSuffix pads a line instead, where escapes would show.
	dumbSuffix = "        "
)

// Display shows the server's words (side-band channel 2) as git's
// sideband.c does, as they arrive: every line, ended by "\n" or "\r",
// starts with "remote: " once and keeps its end, so that a progress
// meter of the server ("\r" lines) is redrawn in place; a non-empty line
// gets the suffix that clears the rest of the terminal line (ANSI
// clear-to-eol on a terminal, spaces elsewhere). Each line is cleaned
// (tokens masked, terminal controls dropped) before it is written.
type Display struct {
	w      io.Writer
	clean  func(string) string
	suffix string
	line   []byte // a line begun in an earlier packet
}

// NewDisplay is a Display writing to w; terminal says whether w is a
// terminal that understands escapes (git: isatty and TERM not "dumb").
// clean, when set, cleans each line.
func NewDisplay(w io.Writer, terminal bool, clean func(string) string) *Display {
	d := &Display{w: w, clean: clean, suffix: dumbSuffix}
	if terminal {
		d.suffix = ansiSuffix
	}
	return d
}

// Write takes the data of side-band packets.
func (d *Display) Write(p []byte) (int, error) {
	d.line = append(d.line, p...)
	var out []byte
	for {
		i := bytes.IndexAny(d.line, "\r\n")
		if i < 0 {
			break
		}
		out = d.appendLine(out, d.line[:i], d.line[i])
		d.line = d.line[i+1:]
	}
	if len(d.line) > maxPkt {
		out = d.appendLine(out, d.line, '\n')
		d.line = nil
	}
	if len(out) > 0 {
		if _, err := d.w.Write(out); err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

// Close writes out a last line the server did not end, as git does.
func (d *Display) Close() error {
	if len(d.line) == 0 {
		return nil
	}
	out := d.appendLine(nil, d.line, '\n')
	d.line = nil
	_, err := d.w.Write(out)
	return err
}

func (d *Display) appendLine(out, line []byte, end byte) []byte {
	out = append(out, remotePrefix...)
	text := string(line)
	if d.clean != nil {
		text = d.clean(text)
	}
	if len(line) > 0 {
		out = append(out, text...)
		out = append(out, d.suffix...)
	}
	return append(out, end)
}
