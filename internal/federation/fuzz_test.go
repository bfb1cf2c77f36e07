package federation

import (
	"fmt"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// FuzzParseEndpoint feeds arbitrary URLs: ParseEndpoint must not panic,
// an accepted URL carries no credential (masking leaves it as it is) and
// never begins with "-", and a refusal never quotes a credential.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{
		"https://github.com/apache/linkis.git", "git@github.com:o/r.git", "ssh://git@h:2222/r.git",
		"file:///srv/r.git", "/srv/r.git", "http://u:pw@h/r", "https://ghp_abcdefghijklmnop0123@github.com/o/r",
		"https://h/r?access_token=x1", "ext::sh -c id", "-oProxyCommand=x", "https://[::1]:8080/r",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		e, err := ParseEndpoint(raw)
		if err != nil {
			if m := MaskURL(raw); m != raw && !strings.Contains(m, raw) && strings.Contains(err.Error(), raw) {
				t.Fatalf("refusal quotes a credential: %v", err)
			}
			return
		}
		if e.Raw != raw || strings.HasPrefix(raw, "-") {
			t.Fatalf("accepted %q as %+v", raw, e)
		}
		if MaskURL(raw) != raw {
			t.Fatalf("accepted %q, which holds a credential (masked %q)", raw, MaskURL(raw))
		}
	})
}

// FuzzParse feeds arbitrary config entries: Parse must not panic, and a
// federation it returns has a usable origin.
func FuzzParse(f *testing.F) {
	f.Add("federation.a.origin", "https://h/o/r.git", "federation.a.mirror", "https://m/o/r.git")
	f.Add("federation.a.frequency", "1 min", "federationset.s.origin", "https://h/o")
	f.Add("federation.a.fetchFrom", "nearest", "federation.a.failover", "maybe")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		cfg, _ := Parse([]Entry{{Key: k1, Value: v1}, {Key: k2, Value: v2}})
		if cfg == nil {
			return
		}
		for name, fed := range cfg.Federations {
			if fed.Origin.Raw != "" && fed.Origin.Protocol == "" {
				t.Fatalf("federation %q has an unparsed origin %+v", name, fed.Origin)
			}
		}
	})
}

// FuzzParseWeb feeds arbitrary URLs: ParseEndpoint, with its fast path
// for plain http(s) URLs, says of each what parseAny says.
func FuzzParseWeb(f *testing.F) {
	for _, s := range []string{
		"https://github.com/apache/linkis.git", "http://127.0.0.1:8080/r.git", "https://GitHub.COM:0443/a/", "http://h:00080",
		"https://h/a%2Fb", "https://u@h/r", "https://h/r?x#y", "https://-h/r", "http://[::1]:1/r", "https://h..x/r",
		"http://h:99999/r", "http://h:65535/r",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, gotErr := ParseEndpoint(raw)
		want, wantErr := parseAny(raw)
		if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("%q: ParseEndpoint = %+v, %v; parseAny = %+v, %v", raw, got, gotErr, want, wantErr)
		}
	})
}

// FuzzSplitRemoteIsGoGit feeds arbitrary URLs: splitRemote cuts each as
// go-git's transport.NewEndpoint, which it replaced, cut it.
func FuzzSplitRemoteIsGoGit(f *testing.F) {
	for _, s := range splitRemoteCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, gotErr := splitRemote(raw)
		want, wantErr := transport.NewEndpoint(raw)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("%q: splitRemote err %v, go-git err %v", raw, gotErr, wantErr)
		}
		if gotErr != nil {
			return
		}
		w := remote{Protocol: want.Protocol, User: want.User, Host: want.Host, Port: want.Port, Path: want.Path}
		got.PortText = "" // go-git keeps no port text
		if got != w {
			t.Fatalf("%q: splitRemote %+v, go-git %+v", raw, got, w)
		}
	})
}
