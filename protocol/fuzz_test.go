package protocol

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/redact"
)

// encode writes c back in the protocol's syntax, the way git would have
// sent it.
func encode(c Command) string {
	switch c := c.(type) {
	case Capabilities:
		return "capabilities\n"
	case End:
		return "\n"
	case List:
		if c.ForPush {
			return "list for-push\n"
		}
		return "list\n"
	case Option:
		if !c.HasValue {
			return "option " + c.Name + "\n"
		}
		return "option " + c.Name + " " + Quote(c.Value) + "\n"
	case Fetch:
		var b strings.Builder
		for _, r := range c.Refs {
			b.WriteString("fetch " + r.OID + " " + r.Name + "\n")
		}
		return b.String() + "\n"
	case Push:
		var b strings.Builder
		for _, r := range c.Refs {
			b.WriteString("push " + r.Refspec() + "\n")
		}
		return b.String() + "\n"
	case Connect:
		if c.Stateless {
			return "stateless-connect " + c.Service + "\n"
		}
		return "connect " + c.Service + "\n"
	}
	panic("unknown command type")
}

// FuzzReader feeds arbitrary input: the Reader must return commands or an
// error wrapping ErrMalformed (or io.EOF), never panic or loop, and every
// command it returns must encode to text that parses to the same command.
func FuzzReader(f *testing.F) {
	seeds := []string{
		"capabilities\n\n",
		"list\nlist for-push\n",
		"option object-format\noption object-format true\n",
		"option push-option \"a\\nb\"\n",
		"option cas refs/heads/main:" + oidA + "\n",
		"fetch " + oidA + " refs/heads/main\nfetch " + oidB + " HEAD\n\n",
		"push +refs/heads/a:refs/heads/a\npush :refs/heads/b\n\npush a:b\n\n",
		"connect git-upload-pack\n0000",
		"stateless-connect git-upload-pack\n",
		"option dry-run tr",
		"push -x:y\n\n",
		"\n\n\n",
		"option  \n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := NewReader(strings.NewReader(in))
		for i := 0; i <= len(in); i++ {
			c, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v does not wrap ErrMalformed", err)
				}
				return
			}
			checkReencodes(t, c)
			if _, ok := c.(Connect); ok {
				return // the rest is the raw connection
			}
		}
		t.Fatalf("more commands than input bytes from %q", in)
	})
}

func checkReencodes(t *testing.T, c Command) {
	t.Helper()
	text := encode(c)
	again, err := NewReader(strings.NewReader(text)).Next()
	if err != nil {
		t.Fatalf("%#v encodes to %q, which does not parse: %v", c, text, err)
	}
	if !reflect.DeepEqual(again, c) {
		t.Fatalf("%#v encodes to %q, which parses to %#v", c, text, again)
	}
	for _, ref := range refNames(c) {
		if ref == "" || strings.HasPrefix(ref, "-") || strings.ContainsAny(ref, " \n\x00:") {
			t.Fatalf("%#v holds an unsafe ref name %q", c, ref)
		}
	}
}

func refNames(c Command) []string {
	var names []string
	switch c := c.(type) {
	case Fetch:
		for _, r := range c.Refs {
			names = append(names, r.Name)
		}
	case Push:
		for _, r := range c.Refs {
			names = append(names, r.Dst)
			if r.Src != "" {
				names = append(names, r.Src)
			}
		}
	}
	return names
}

// FuzzPushReport writes a push reply and reads it back the way git does:
// the ref name up to the first space, raw, then the C-quoted reason.
func FuzzPushReport(f *testing.F) {
	f.Add("refs/heads/main", "fetch first")
	f.Add(`refs/heads/q"x`, "line1\nline2")
	f.Add(`refs/heads/a\b`, `"quoted"`)
	f.Fuzz(func(t *testing.T, dst, why string) {
		if dst == "" || strings.ContainsAny(dst, " \n\x00") {
			return // not a ref name: the reader never yields one
		}
		var b strings.Builder
		w := NewWriter(&b)
		w.PushError(dst, why)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		line, ok := strings.CutSuffix(b.String(), "\n")
		if !ok || strings.Contains(line, "\n") {
			t.Fatalf("reply %q is not one line", b.String())
		}
		name, rest, _ := strings.Cut(strings.TrimPrefix(line, "error "), " ")
		if name != dst {
			t.Fatalf("git would read ref %q, want %q", name, dst)
		}
		if got, err := Unquote(rest); err != nil || got != redact.Strip(why) {
			t.Fatalf("reason %q read back as %q, %v", why, got, err)
		}
	})
}
