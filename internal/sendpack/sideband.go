package sendpack

import (
	"bytes"
	"io"
	"strings"
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
	// Color, when set (git's color.remote, on a terminal), colours a
	// line's first word as git does when it is one of its keywords.
	Color bool
}

// keywords are the words git's sideband.c colours at the start of a
// line of the server, in its default colours.
var keywords = []struct{ word, color string }{
	{"hint", "\x1b[33m"},
	{"warning", "\x1b[1;33m"},
	{"success", "\x1b[1;32m"},
	{"error", "\x1b[1;31m"},
}

// colorize is text with its first word coloured when it is a keyword,
// in any case, and a whole word.
func colorize(text string) string {
	rest := strings.TrimLeft(text, " \t\n\v\f\r")
	lead := text[:len(text)-len(rest)]
	for _, k := range keywords {
		n := len(k.word)
		if len(rest) < n || !strings.EqualFold(rest[:n], k.word) {
			continue
		}
		if len(rest) > n && isAlnum(rest[n]) { // "successful" stays as it is
			continue
		}
		return lead + k.color + rest[:n] + "\x1b[m" + rest[n:]
	}
	return text
}

// isAlnum is C's isalnum in git's (ASCII) sense.
func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
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
	if d.Color {
		text = colorize(text)
	}
	if len(line) > 0 {
		out = append(out, text...)
		out = append(out, d.suffix...)
	}
	return append(out, end)
}
