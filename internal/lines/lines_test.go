package lines

import (
	"strings"
	"testing"
)

// Lines come out whole, with their end, however the stream is cut; a
// progress meter's '\r' ends a line; the rest comes out at Flush, and a
// line longer than Max comes out in pieces.
func TestLinesAsGitEndsThem(t *testing.T) {
	var got []string
	w := &Writer{Line: func(line []byte, end byte) error {
		got = append(got, string(line)+"|"+string(rune('0'+min(int(end), 1)))+string(end))
		return nil
	}}
	for _, piece := range []string{"remote: Coun", "ting 10%\rCounting 100%\r", "\nerror: x\nfatal: y", "es"} {
		w.Write([]byte(piece))
	}
	w.Flush()
	want := []string{"remote: Counting 10%|1\r", "Counting 100%|1\r", "|1\n", "error: x|1\n", "fatal: yes|0\x00"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("lines %q, want %q", got, want)
	}
	got = nil
	w.Write([]byte(strings.Repeat("a", Max+1)))
	if len(got) != 1 || len(got[0]) != Max+1+3 {
		t.Errorf("an unended line of %d bytes: %d pieces", Max+1, len(got))
	}
}
