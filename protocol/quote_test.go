package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"with space", "with space"},
		{"é", "é"},
		{`a"b`, `"a\"b"`},
		{`"lead`, `"\"lead"`},
		{`back\slash`, `"back\\slash"`},
		{"nl\nx", `"nl\nx"`},
		{"\a\b\f\n\r\t\v", `"\a\b\f\n\r\t\v"`},
		{"\x00", `"\000"`},
		{"\x01", `"\001"`},
		{"\x1b[0m", `"\033[0m"`},
		{"\x1f", `"\037"`},
		{"\x7f", `"\177"`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if got, err := Unquote(tt.want); err != nil || got != tt.in {
			t.Errorf("Unquote(%s) = %q, %v; want %q", tt.want, got, err, tt.in)
		}
	}
}

func TestUnquote(t *testing.T) {
	good := map[string]string{
		`unquoted \n stays`: `unquoted \n stays`,
		`""`:                "",
		`"\303\251"`:        "é",
		`"\377"`:            "\xff",
		`"a b"`:             "a b",
	}
	for in, want := range good {
		if got, err := Unquote(in); err != nil || got != want {
			t.Errorf("Unquote(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`"`, `"abc`, `"a\"`, `"a\q"`, `"\4000"`, `"\0"`, `"\01"`, `"\08x"`, `"a"b"`, `"\`, `"\"`} {
		if got, err := Unquote(in); !errors.Is(err, ErrBadQuote) {
			t.Errorf("Unquote(%s) = %q, %v; want ErrBadQuote", in, got, err)
		}
	}
}

// TestQuoteRoundTripAllBytes quotes every byte value alone and inside
// text, and checks the result is one printable line that unquotes back.
func TestQuoteRoundTripAllBytes(t *testing.T) {
	for c := 0; c < 256; c++ {
		for _, s := range []string{string([]byte{byte(c)}), "x" + string([]byte{byte(c)}) + "y"} {
			q := Quote(s)
			checkQuoted(t, s, q)
		}
	}
}

func checkQuoted(t *testing.T, s, q string) {
	t.Helper()
	for i := 0; i < len(q); i++ {
		if c := q[i]; c < 0x20 || c == 0x7f {
			t.Fatalf("Quote(%q) = %q holds control byte %#x", s, q, c)
		}
	}
	got, err := Unquote(q)
	if err != nil || got != s {
		t.Fatalf("Unquote(Quote(%q)) = %q, %v", s, got, err)
	}
	if !strings.HasPrefix(q, `"`) && q != s {
		t.Fatalf("Quote(%q) = %q changed an unquoted string", s, q)
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a", "a b", `"`, `\`, "\n", "\x00\x01\x7f\xff", "é", `"\101"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkQuoted(t, s, Quote(s))
		// Whatever Unquote accepts must quote back to the same value.
		if u, err := Unquote(s); err == nil {
			if again, err := Unquote(Quote(u)); err != nil || again != u {
				t.Fatalf("Unquote(%q) = %q, but it does not survive Quote: %q, %v", s, u, again, err)
			}
		} else if !errors.Is(err, ErrBadQuote) {
			t.Fatalf("Unquote(%q) error %v does not wrap ErrBadQuote", s, err)
		}
	})
}
