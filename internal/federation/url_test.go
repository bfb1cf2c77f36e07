package federation

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		raw                  string
		protocol, host, path string
	}{
		{"https://github.com/apache/linkis.git", "https", "github.com", "/apache/linkis.git"},
		{"https://GitHub.COM/apache/linkis", "https", "github.com", "/apache/linkis"},
		{"https://github.com:443/apache/linkis", "https", "github.com", "/apache/linkis"},
		{"https://gitlab.example.com:8443/group/sub/repo.git/", "https", "gitlab.example.com:8443", "/group/sub/repo.git"},
		{"http://127.0.0.1:8080/origin.git", "http", "127.0.0.1:8080", "/origin.git"},
		{"http://example.com:80/r", "http", "example.com", "/r"},
		{"https://user@gitee.com/owner/repo.git", "https", "gitee.com", "/owner/repo.git"},
		{"ssh://git@github.com/apache/linkis.git", "ssh", "github.com", "/apache/linkis.git"},
		{"ssh://git@github.com:22/apache/linkis.git", "ssh", "github.com", "/apache/linkis.git"},
		{"ssh://git@example.com:2222/r.git", "ssh", "example.com:2222", "/r.git"},
		{"git@github.com:apache/linkis.git", "ssh", "github.com", "/apache/linkis.git"},
		{"example.com:repo.git", "ssh", "example.com", "/repo.git"},
		{"git://example.com/r.git", "git", "example.com", "/r.git"},
		{"git://example.com:9418/r.git", "git", "example.com", "/r.git"},
		{"git://example.com:9419/r.git", "git", "example.com:9419", "/r.git"},
		{"file:///srv/git/r.git", "file", "", "/srv/git/r.git"},
		{"/srv/git/r.git", "file", "", "/srv/git/r.git"},
		{"/srv/git/r.git/", "file", "", "/srv/git/r.git"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			e, err := ParseEndpoint(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if e.Protocol != tt.protocol || e.Host != tt.host || e.Path != tt.path {
				t.Errorf("= {%s %s %s}, want {%s %s %s}", e.Protocol, e.Host, e.Path, tt.protocol, tt.host, tt.path)
			}
			if e.Raw != tt.raw || e.String() != tt.raw {
				t.Errorf("Raw = %q, String() = %q; want the URL as given", e.Raw, e.String())
			}
		})
	}
}

func TestParseEndpointRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, raw := range []string{"./repo.git", "../x/repo", "sub/repo"} {
		e, err := ParseEndpoint(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		want, _ := filepath.Abs(raw)
		if e.Protocol != "file" || e.Path != want {
			t.Errorf("%s: = %+v, want file %s", raw, e, want)
		}
	}
}

func TestParseEndpointRefuses(t *testing.T) {
	tests := []struct {
		raw, why string
	}{
		{"", "empty"},
		{"ext::sh -c touch% /tmp/pwned", "remote-helper"},
		{"fd::17", "remote-helper"},
		{"federate::linkis", "remote-helper"},
		{"-oProxyCommand=touch /tmp/pwned", "'-'"},
		{"--upload-pack=evil", "'-'"},
		{"ssh://-oProxyCommand=evil/repo", "host"},
		{"-host:repo", "'-'"},
		{"git@-oProxyCommand=evil:repo", "host"},
		{"https://-evil.example.com/r", "host"},
		{"ssh://-oProxyCommand=evil@example.com/repo", "user"},
		{"https://-u@example.com/r", "user"},
		{"https:///no-host", "host"},
		{"https://user:s3cret@github.com/o/r.git", "password"},
		{"https://user:@github.com/o/r.git", "password"},
		{"ftp://example.com/r.git", "not supported"},
		{"https://example.com/r\nx", "control"},
		{"/path/with\x00nul", "control"},
		// git's transports refuse these (curl: "Port number was not a
		// decimal number between 0 and 65535"); a number too long for
		// an int was read as no port, and the token of the host's
		// default port looked up for it.
		{"https://github.com:65536/o/r.git", "port 65536 is out of range"},
		{"https://github.com:10000000000000000000/o/r.git", "port 10000000000000000000 is out of range"},
		{"ssh://git@github.com:99999/o/r.git", "port 99999 is out of range"},
		{"git@github.com:99999:o/r.git", "port 99999 is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			e, err := ParseEndpoint(tt.raw)
			if !errors.Is(err, ErrBadURL) {
				t.Fatalf("ParseEndpoint = %+v, %v; want ErrBadURL", e, err)
			}
			if !strings.Contains(err.Error(), tt.why) {
				t.Errorf("error %q does not say %q", err, tt.why)
			}
		})
	}
}

// TestParseEndpointNeverEchoesPassword checks that a refused URL's error
// text does not carry the password, even when the URL cannot be parsed.
func TestParseEndpointNeverEchoesPassword(t *testing.T) {
	for _, raw := range []string{
		"https://user:ghp_SECRET@github.com/o/r.git",
		"https://user:ghp_SECRET@github.com/o/%zz",
		"https://user:ghp_SECRET@git hub.com/o/r",
		"http://ghp_SECRET:x-oauth@[::1/r",
		"https::https://user:ghp_SECRET@github.com/o/r.git", // a remote helper's URL
		"-https://user:ghp_SECRET@github.com/o/r.git",       // read as an option
	} {
		_, err := ParseEndpoint(raw)
		if err == nil {
			t.Errorf("%s: accepted", raw)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error for a URL with a password shows it: %v", err)
		}
	}
}

func TestNormalizedEquality(t *testing.T) {
	same := [][2]string{
		{"https://github.com/apache/linkis.git", "https://github.com/apache/linkis"},
		{"https://GITHUB.com/apache/linkis.git", "https://github.com/apache/linkis/"},
		{"https://github.com:443/apache/linkis", "https://github.com/apache/linkis.git"},
		{"https://user@github.com/apache/linkis", "https://github.com/apache/linkis"},
		{"git@github.com:apache/linkis.git", "ssh://git@github.com/apache/linkis"},
		{"ssh://git@github.com:22/apache/linkis", "ssh://github.com/apache/linkis.git"},
		{"/srv/r.git", "file:///srv/r"},
		{"http://127.0.0.1:8080/r", "http://127.0.0.1:8080/r.git"},
	}
	for _, p := range same {
		a, b := mustParse(t, p[0]), mustParse(t, p[1])
		if !a.SameRepo(b) || a.Normalized() != b.Normalized() {
			t.Errorf("%s and %s: %s != %s", p[0], p[1], a.Normalized(), b.Normalized())
		}
	}
	different := [][2]string{
		{"https://github.com/apache/linkis", "http://github.com/apache/linkis"},
		{"https://github.com/apache/linkis", "ssh://git@github.com/apache/linkis"},
		{"https://github.com/apache/linkis", "https://github.com:8443/apache/linkis"},
		{"https://github.com/apache/linkis", "https://github.com/apache/Linkis"},
		{"https://github.com/apache/linkis", "https://gitee.com/apache/linkis"},
		{"http://127.0.0.1:8080/r", "http://127.0.0.1:8081/r"},
	}
	for _, p := range different {
		if a, b := mustParse(t, p[0]), mustParse(t, p[1]); a.SameRepo(b) {
			t.Errorf("%s and %s are taken for the same repository (%s)", p[0], p[1], a.Normalized())
		}
	}
}

func TestEndpointHostURL(t *testing.T) {
	tests := map[string]string{
		"https://GitHub.com/o/r":         "https://github.com",
		"http://127.0.0.1:8080/o/r":      "http://127.0.0.1:8080",
		"https://gitlab.example.com:443": "https://gitlab.example.com",
	}
	for raw, want := range tests {
		e := mustParse(t, raw)
		if got := e.HostURL(); got != want {
			t.Errorf("HostURL(%s) = %s, want %s", raw, got, want)
		}
		if !e.HTTP() {
			t.Errorf("HTTP(%s) = false", raw)
		}
	}
	if mustParse(t, "git@github.com:o/r").HTTP() {
		t.Error("HTTP(scp-like) = true")
	}
}

func mustParse(t *testing.T, raw string) Endpoint {
	t.Helper()
	e, err := ParseEndpoint(raw)
	if err != nil {
		t.Fatalf("ParseEndpoint(%q): %v", raw, err)
	}
	return e
}

// TestParseEndpointRefusesTokens: a token in a URL, wherever it hides,
// is refused with a pointer to login, and the error never holds it.
func TestParseEndpointRefusesTokens(t *testing.T) {
	for _, raw := range []string{
		"https://ghp_abcdefghijklmnop0123456789@github.com/o/r.git",
		"http://0123456789abcdef0123456789abcdef01234567@127.0.0.1:3000/o/r.git",
		"https://glpat-xxxxxxxxxxxx@gitlab.com/o/r.git",
		"https://gitee.com/o/r.git?access_token=0123456789abcdef",
		"https://gitlab.com/o/r.git?private_token=0123456789abcdef",
		"https://gitblit.example.com/r/x.git?TOKEN=0123456789abcdef",
		"https://u:0123456789abcdef@example.com/r.git",
	} {
		_, err := ParseEndpoint(raw)
		if err == nil {
			t.Errorf("%s accepted", raw)
			continue
		}
		if !strings.Contains(err.Error(), "git federate login") {
			t.Errorf("%s: error %q has no login pointer", raw, err)
		}
		for _, secret := range []string{"0123456789abcdef", "ghp_", "glpat-xxx"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error %q holds the token", raw, err)
			}
		}
	}
	for _, raw := range []string{"https://user@gitee.com/o/r.git", "https://alice-smith@example.com/r.git", "ssh://git@github.com/o/r.git", "https://example.com/r.git?ref=main"} {
		if _, err := ParseEndpoint(raw); err != nil {
			t.Errorf("%s refused: %v", raw, err)
		}
	}
}

func TestMaskURL(t *testing.T) {
	for raw, want := range map[string]string{
		"http://u:SECRET@host/r.git":                       "http://u:***@host/r.git",
		"https://ghp_abcdefghijklmnop0123@github.com/o/r":  "https://***@github.com/o/r",
		"https://host/r.git?a=1&access_token=SECRET&b=2#x": "https://host/r.git?a=1&access_token=***&b=2#x",
		"https://alice@gitee.com/o/r.git":                  "https://alice@gitee.com/o/r.git",
		"git@github.com:o/r.git":                           "git@github.com:o/r.git",
		"/srv/git/r.git":                                   "/srv/git/r.git",
	} {
		if got := MaskURL(raw); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

// sameParse fails t when ParseEndpoint (its fast path for plain http(s)
// URLs included) and parseAny (every form, the general way) say
// different things of raw; it reports whether the fast path took raw.
func sameParse(t *testing.T, raw string) bool {
	t.Helper()
	got, gotErr := ParseEndpoint(raw)
	want, wantErr := parseAny(raw)
	if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Errorf("%q: ParseEndpoint = %+v, %v; parseAny = %+v, %v", raw, got, gotErr, want, wantErr)
	}
	_, fast := parseWeb(raw)
	return fast
}

// The fast path of plain http(s) URLs gives what the general one gives,
// for every URL of the tables above and for every combination of
// schemes, hosts, ports and paths around the edges of what it takes
// (case, default ports and leading zeros, IPv6, look-alike and encoded
// hosts, escapes, users, queries, fragments, spaces and non-ASCII).
func TestParseWebIsParseAny(t *testing.T) {
	for _, raw := range []string{
		"https://github.com/apache/linkis.git", "https://GitHub.COM/apache/linkis", "https://github.com:443/apache/linkis",
		"https://gitlab.example.com:8443/group/sub/repo.git/", "http://127.0.0.1:8080/origin.git", "http://example.com:80/r",
		"https://user@gitee.com/owner/repo.git", "https://-evil.example.com/r", "https://-u@example.com/r", "https:///no-host",
		"https://user:s3cret@github.com/o/r.git", "https://example.com/r\nx", "http://127.0.0.1:8080/r.git",
	} {
		sameParse(t, raw)
	}
	schemes := []string{"https://", "http://", "HTTP://", "Https://", "ftp://", "http:/", "http:", ""}
	hosts := []string{"example.com", "Example.COM", "127.0.0.1", "localhost", "a_b.example", "-bad.example", "xn--nxasmq6b.example",
		"g\u0130thub.com", "[::1]", "::1", "", "host.", "a..b", "ex ample", "u@host", "tok:en@host", "host%41", "h\u00e9.example", "h~x"}
	ports := []string{"", ":", ":0", ":80", ":443", ":0443", ":8080", ":65536", ":99999", ":123456", ":x", ":8080:9"}
	paths := []string{"", "/", "/a.git", "/a/b/", "//x", "/a%2Fb", "/a b", "/a?x=1", "/a?access_token=t", "/a#f", "/a@b",
		"/\u00e9", `/a\b`, "/a:b", "/a::b", "/~u/r.git", "/a/./b/../c"}
	fast := 0
	for _, s := range schemes {
		for _, h := range hosts {
			for _, p := range ports {
				for _, path := range paths {
					if sameParse(t, s+h+p+path) {
						fast++
					}
				}
			}
		}
	}
	if fast < 500 {
		t.Errorf("the fast path took %d of the generated URLs: the comparison proves little", fast)
	}
}
