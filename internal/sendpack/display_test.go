package sendpack

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/redact"
)

// The server's words are shown as git's sideband.c shows them: a
// progress meter's "\r" lines are redrawn in place, each line starts
// with "remote: " once, even when a packet ends mid-line, and a
// non-empty line gets the suffix that clears the rest of the line
// (spaces, or ANSI clear-to-eol on a terminal). Empty lines get none.
func TestDisplayAsGitShowsSideband(t *testing.T) {
	packets := []string{"Resolving: 50%\r", "Resolving: 100%\r", "Resolving: 100%, done.\n", "split ", "line\n\n", "no end"}
	for _, c := range []struct {
		terminal bool
		want     string
	}{
		{false, "remote: Resolving: 50%        \rremote: Resolving: 100%        \rremote: Resolving: 100%, done.        \n" +
			"remote: split line        \nremote: \nremote: no end        \n"},
		{true, "remote: Resolving: 50%\x1b[K\rremote: Resolving: 100%\x1b[K\rremote: Resolving: 100%, done.\x1b[K\n" +
			"remote: split line\x1b[K\nremote: \nremote: no end\x1b[K\n"},
	} {
		var out bytes.Buffer
		d := NewDisplay(&out, c.terminal, nil)
		for _, p := range packets {
			d.Write([]byte(p))
		}
		d.Close()
		if out.String() != c.want {
			t.Errorf("terminal=%v:\n%q\nwant\n%q", c.terminal, out.String(), c.want)
		}
	}
}

// A line is cleaned whole before it is shown: an escape sequence split
// across two packets is dropped, a token masked.
func TestDisplayCleansWholeLines(t *testing.T) {
	r := redact.New()
	r.Add("u", "secret-token-123")
	var out bytes.Buffer
	d := NewDisplay(&out, false, r.Clean)
	d.Write([]byte("deploy \x1b]0;pw"))
	d.Write([]byte("ned\x07ok secret-token-123\n"))
	if got := out.String(); strings.Contains(got, "pwned") || strings.Contains(got, "secret-token-123") || !strings.HasPrefix(got, "remote: deploy ok ") {
		t.Errorf("shown %q", got)
	}
}

// The upload meter reads the object count in the pack header, redraws
// "\r" lines as the bytes go, and ends with git's ", done." line and
// what pack-objects said after its own meter.
func TestMeterAsGitShowsWritingObjects(t *testing.T) {
	pack := make([]byte, 3000)
	copy(pack, "PACK")
	binary.BigEndian.PutUint32(pack[4:], 2)
	binary.BigEndian.PutUint32(pack[8:], 3)
	clock := time.Unix(0, 0)
	var out bytes.Buffer
	m := newMeter(Progress{W: &out, Title: "Writing objects", Done: "done", After: "Total 3 (delta 0)\n",
		Now: func() time.Time { clock = clock.Add(time.Second); return clock }}, bytes.NewReader(pack), int64(len(pack)))
	if _, err := io.Copy(io.Discard, io.LimitReader(m, 1000)); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, m)
	got := out.String()
	want := "Writing objects:  33% (1/3), 1000 bytes | 1000 bytes/s\r" +
		"Writing objects: 100% (3/3), 2.93 KiB | 1.46 KiB/s    \r" + // padded over the longer line
		"Writing objects: 100% (3/3), 2.93 KiB | 1000 bytes/s, done.\nTotal 3 (delta 0)\n"
	if got != want {
		t.Errorf("meter\n%q\nwant\n%q", got, want)
	}
}

func TestHumanise(t *testing.T) {
	for n, want := range map[int64]string{1: "1 byte", 178: "178 bytes", 1025: "1.00 KiB", 182272: "178.00 KiB",
		3 << 20: "3.00 MiB", 5<<30 + 1<<29: "5.49 GiB"} {
		if got := humanise(n, ""); got != want {
			t.Errorf("humanise(%d) = %q, want %q", n, got, want)
		}
	}
}

// Whatever a server sends on its side band, what reaches the terminal is
// lines that start with "remote: ", hold no control character of the
// server's, and end with "\n" or "\r".
func FuzzDisplay(f *testing.F) {
	f.Add([]byte("Resolving: 50%\rdone\n"), 3)
	f.Add([]byte("\x1b]0;pwned\x07hi\r\n\x00\x9b31m"), 1)
	f.Fuzz(func(t *testing.T, b []byte, cut int) {
		var out bytes.Buffer
		d := NewDisplay(&out, true, redact.New().Clean)
		cut = min(max(cut, 0), len(b))
		d.Write(b[:cut])
		d.Write(b[cut:])
		d.Close()
		for _, l := range strings.SplitAfter(out.String(), "\n") {
			for _, part := range strings.SplitAfter(l, "\r") {
				if part == "" {
					continue
				}
				body := strings.TrimSuffix(strings.TrimRight(part, "\r\n"), ansiSuffix)
				if !strings.HasPrefix(part, remotePrefix) || !strings.HasSuffix(part, "\n") && !strings.HasSuffix(part, "\r") {
					t.Fatalf("line %q of %q", part, out.String())
				}
				if strings.ContainsAny(body, "\x1b\x07\x00") {
					t.Fatalf("control left in %q", body)
				}
			}
		}
	})
}

// With git's color.remote on a terminal, a line's first word is
// coloured as git's sideband.c colours it, whatever its case, when it
// is a whole keyword.
func TestDisplayColorsKeywordsAsGit(t *testing.T) {
	var out bytes.Buffer
	d := NewDisplay(&out, true, nil)
	d.Color = true
	d.Write([]byte("error: denied\n  Warning: slow\nsuccessful\nhint\rnothing\n"))
	want := "remote: \x1b[1;31merror\x1b[m: denied\x1b[K\n" +
		"remote:   \x1b[1;33mWarning\x1b[m: slow\x1b[K\n" +
		"remote: successful\x1b[K\n" +
		"remote: \x1b[33mhint\x1b[m\x1b[K\r" +
		"remote: nothing\x1b[K\n"
	if out.String() != want {
		t.Errorf("shown\n%q\nwant\n%q", out.String(), want)
	}
}
