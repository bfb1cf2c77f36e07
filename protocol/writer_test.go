package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestWriterReplies(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *Writer) error
		want  string
	}{
		{
			name: "capabilities",
			write: func(w *Writer) error {
				return w.Capabilities("option", "fetch", "push", "*check-connectivity")
			},
			want: `option
fetch
push
*check-connectivity

`,
		},
		{
			name: "list with symref and object format",
			write: func(w *Writer) error {
				w.Attribute("object-format", "sha1")
				w.Symref("refs/heads/main", "HEAD")
				w.Ref(oidA, "refs/heads/main")
				w.Ref(oidB, "refs/tags/v1")
				return w.End()
			},
			want: `:object-format sha1
@refs/heads/main HEAD
` + oidA + ` refs/heads/main
` + oidB + ` refs/tags/v1

`,
		},
		{
			name:  "option ok",
			write: func(w *Writer) error { return w.OptionOK() },
			want:  "ok\n",
		},
		{
			name:  "option unsupported",
			write: func(w *Writer) error { return w.OptionUnsupported() },
			want:  "unsupported\n",
		},
		{
			name:  "option error with a newline stays on one line",
			write: func(w *Writer) error { return w.OptionError("bad depth\nsecond") },
			want:  "error \"bad depth\\nsecond\"\n",
		},
		{
			name: "fetch reply",
			write: func(w *Writer) error {
				w.Lock(".git/objects/pack/pack-1.keep")
				w.ConnectivityOK()
				return w.End()
			},
			want: "lock .git/objects/pack/pack-1.keep\nconnectivity-ok\n\n",
		},
		{
			name: "push report",
			write: func(w *Writer) error {
				w.PushOK("refs/heads/main", false)
				w.PushOK("refs/heads/topic", true)
				w.PushError("refs/heads/stale", "non-fast forward")
				w.PushError("refs/heads/hook", "pre-receive hook declined\nremote: policy says \"no\"")
				w.PushError("refs/heads/tab", "a\tb\\c")
				w.PushOK(`refs/heads/q"x`, false)
				w.PushError(`refs/heads/q"y`, "hook declined")
				return w.End()
			},
			want: `ok refs/heads/main
ok refs/heads/topic forced update
error refs/heads/stale non-fast forward
error refs/heads/hook "pre-receive hook declined\nremote: policy says \"no\""
error refs/heads/tab "a\tb\\c"
ok refs/heads/q"x
error refs/heads/q"y hook declined

`,
		},
		{
			name:  "connect ready",
			write: func(w *Writer) error { return w.ConnectReady() },
			want:  "\n",
		},
		{
			name:  "connect fallback",
			write: func(w *Writer) error { return w.ConnectFallback() },
			want:  "fallback\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			w := NewWriter(&b)
			if err := tt.write(w); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("wrote:\n%q\nwant:\n%q", b.String(), tt.want)
			}
		})
	}
}

// TestPushErrorParsesAsGitDoes checks that a reason survives the trip the
// way git reads it: refname up to the first space, then the C-quoted
// message, unquoted.
func TestPushErrorParsesAsGitDoes(t *testing.T) {
	for _, why := range []string{"fetch first", "line1\nline2", `quote " and \ backslash`, "\"leading quote", "tab\tkept"} {
		var b strings.Builder
		w := NewWriter(&b)
		w.PushError("refs/heads/main", why)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		line := strings.TrimSuffix(b.String(), "\n")
		if strings.Contains(line, "\n") {
			t.Fatalf("reply for %q spans lines: %q", why, b.String())
		}
		rest, ok := strings.CutPrefix(line, "error refs/heads/main ")
		if !ok {
			t.Fatalf("reply = %q", line)
		}
		got, err := Unquote(rest)
		if err != nil || got != why {
			t.Errorf("reason %q came back as %q, %v", why, got, err)
		}
	}
}

type failWriter struct{ n int }

var errDisk = errors.New("pipe closed")

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errDisk
}

// TestWriterStickyError checks that the first write error is kept and
// returned, and that nothing more is attempted after it.
func TestWriterStickyError(t *testing.T) {
	fw := &failWriter{}
	w := NewWriter(fw)
	if err := w.Capabilities("fetch"); !errors.Is(err, errDisk) {
		t.Fatalf("Capabilities() = %v, want %v", err, errDisk)
	}
	w.Ref(oidA, "refs/heads/main")
	if err := w.End(); !errors.Is(err, errDisk) {
		t.Errorf("End() = %v", err)
	}
	if !errors.Is(w.Err(), errDisk) {
		t.Errorf("Err() = %v", w.Err())
	}
	if fw.n != 1 {
		t.Errorf("underlying writer called %d times after failing, want 1", fw.n)
	}
}

// TestPushErrorStripsTerminalControls checks that a server's reason
// cannot reach the terminal with escapes: git prints it unquoted.
func TestPushErrorStripsTerminalControls(t *testing.T) {
	var b strings.Builder
	w := NewWriter(&b)
	w.PushError("refs/heads/main", "\x1b]0;pwned\x07no\rfake")
	w.Flush()
	if got, want := b.String(), "error refs/heads/main nofake\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}
