package hostname

import (
	"errors"
	"testing"
)

func TestCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"github.com", "github.com"},
		{"GitHub.COM", "github.com"},
		{"gİthub.com", "xn--github-qyd.com"}, // U+0130 maps to "i" + U+0307, not "i"
		{"gıthub.com", "xn--gthub-n4a.com"},  // U+0131 stays dotless
		{"bücher.example:8443", "xn--bcher-kva.example:8443"},
		{"git_corp", "git_corp"},
		{"-dash-.example", "-dash-.example"},
		{"LOCALHOST:08080", "localhost:8080"},
		{"127.0.0.1:8080", "127.0.0.1:8080"},
		{"[::1]:80", "[::1]:80"},
		{"[0:0:0:0:0:0:0:1]", "[::1]"},
		{"[FE80::1]:22", "[fe80::1]:22"},
	} {
		got, err := Canonical(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCanonicalRefuses(t *testing.T) {
	for _, in := range []string{
		"", ":443", "evil.example?@github.com", "user@github.com", "github.com/x", "a#b", "a b",
		"github.com:99999", "github.com:x", "github.com:-1", "::1", "[::1", "[::1]x", "[127.0.0.1]",
		"[fe80::1%25eth0]", "a..b", "xn--zzzz-.com", "a\u200db.com", "a\x00b", "a\\b",
	} {
		got, err := Canonical(in)
		if err == nil || !errors.Is(err, ErrBadHost) {
			t.Errorf("Canonical(%q) = %q, %v; want an error matching ErrBadHost", in, got, err)
		}
	}
}

func TestLookAlikesAreNotTheRealHost(t *testing.T) {
	real, _ := Canonical("github.com")
	for _, h := range []string{"gİthub.com", "gıthub.com", "GİTHUB.COM", "GITHUB.COM\u0131"} {
		if c, err := Canonical(h); err == nil && c == real {
			t.Errorf("Canonical(%q) = %q, the real host's key", h, c)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for _, h := range []string{"localhost", "LOCALHOST:8080", "LocalHost", "127.0.0.1", "127.9.9.9:1", "[::1]:8080", "[::1]"} {
		if !IsLoopback(h) {
			t.Errorf("IsLoopback(%q) = false", h)
		}
	}
	for _, h := range []string{"localhost.evil.example", "example.com", "10.0.0.1", "[::2]", "localhost@evil", "", "lOcalhost\u0131"} {
		if IsLoopback(h) {
			t.Errorf("IsLoopback(%q) = true", h)
		}
	}
}

func TestOrigin(t *testing.T) {
	for _, tc := range []struct{ scheme, host, want string }{
		{"https", "GitHub.com", "https://github.com:443"},
		{"HTTP", "localhost", "http://localhost:80"},
		{"https", "host:8443", "https://host:8443"},
	} {
		if got, err := Origin(tc.scheme, tc.host); err != nil || got != tc.want {
			t.Errorf("Origin(%q, %q) = %q, %v; want %q", tc.scheme, tc.host, got, err, tc.want)
		}
	}
}

// FuzzCanonical: a canonical host is ASCII, lower case, and its own
// canonical form (keys are made canonical more than once on the way to a
// store); IsLoopback agrees between a host and its canonical form.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"github.com", "gİthub.com", "gıthub.com", "LOCALHOST:8080", "[::1]:1", "xn--github-qyd.com", "a_b.c-d:99", "bücher.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		c, err := Canonical(host)
		if err != nil {
			return
		}
		for i := 0; i < len(c); i++ {
			if c[i] >= 0x80 || 'A' <= c[i] && c[i] <= 'Z' {
				t.Fatalf("Canonical(%q) = %q: not lower-case ASCII", host, c)
			}
		}
		again, err := Canonical(c)
		if err != nil || again != c {
			t.Fatalf("Canonical(%q) = %q, but Canonical(%q) = %q, %v", host, c, c, again, err)
		}
		if IsLoopback(host) != IsLoopback(c) {
			t.Fatalf("IsLoopback(%q) != IsLoopback(%q)", host, c)
		}
	})
}

// The shortcut for plain ASCII names gives what the IDNA conversion
// gives, for every name of up to four characters from letters of both
// cases, a digit, "-", "_" and ".", and for encoded-looking labels.
func TestPlainNameIsWhatIDNAMakes(t *testing.T) {
	const alphabet = "aZx0-_."
	var names []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		if prefix != "" {
			names = append(names, prefix)
		}
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+string(c), n-1)
		}
	}
	gen("", 4)
	names = append(names, "xn--bcher-kva", "XN--bcher-kva.example", "xn--", "a.xn--b", "xn-a.example", "git_corp.example-",
		"127.0.0.1", "localhost", "LocalHost", "github.com", "GitHub.COM")
	checked := 0
	for _, name := range names {
		got, ok := plainName(name)
		if !ok {
			continue
		}
		checked++
		if want, why := viaIDNA(name); why != "" || got != want {
			t.Errorf("plainName(%q) = %q; the conversion makes %q (%s)", name, got, want, why)
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d names took the shortcut", checked)
	}
}
