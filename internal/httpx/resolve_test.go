package httpx

import (
	"slices"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

func noEnv(string) string { return "" }

// Keys apply as git's urlmatch.c applies them: scheme, host (with "*"
// per label), port and path prefix must match; the most specific URL
// wins (host, then path, then user); among equals the last one.
func TestResolveMatchesURLsAsGit(t *testing.T) {
	const url = "https://alice@git.example.com/group/app.git"
	for _, tc := range []struct {
		name    string
		entries []string // key=value
		want    string   // the user agent resolved
	}{
		{"no URL", []string{"http.userAgent=a"}, "a"},
		{"last wins", []string{"http.userAgent=a", "http.userAgent=b"}, "b"},
		{"URL beats none", []string{"http.https://git.example.com.userAgent=u", "http.userAgent=a"}, "u"},
		{"case of host", []string{"http.https://GIT.Example.com/.userAgent=u"}, "u"},
		{"default port", []string{"http.https://git.example.com:443.userAgent=u"}, "u"},
		{"other port", []string{"http.https://git.example.com:8443.userAgent=u"}, ""},
		{"other scheme", []string{"http.http://git.example.com.userAgent=u"}, ""},
		{"glob label", []string{"http.https://*.example.com.userAgent=g"}, "g"},
		{"glob too deep", []string{"http.https://*.com.userAgent=g"}, ""},
		{"path prefix", []string{"http.https://git.example.com/group.userAgent=p"}, "p"},
		{"path not at slash", []string{"http.https://git.example.com/gro.userAgent=p"}, ""},
		{"longer path wins", []string{"http.https://git.example.com/group/app.git.userAgent=long", "http.https://git.example.com/group.userAgent=short"}, "long"},
		{"user beats none", []string{"http.https://alice@git.example.com.userAgent=user", "http.https://git.example.com.userAgent=any"}, "user"},
		{"other user", []string{"http.https://bob@git.example.com.userAgent=bob"}, ""},
		{"look-alike host", []string{"http.https://gİt.example.com.userAgent=l"}, ""},
	} {
		var entries []gitexec.ConfigEntry
		for _, e := range tc.entries {
			k, v, _ := cut(e)
			entries = append(entries, gitexec.ConfigEntry{Key: k, Value: v})
		}
		if got := Resolve(entries, noEnv, url).UserAgent; got != tc.want {
			t.Errorf("%s: user agent %q, want %q", tc.name, got, tc.want)
		}
	}
}

func cut(kv string) (string, string, bool) {
	for i := len(kv) - 1; i >= 0; i-- {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

// What the client cannot honour is listed, so that the request goes
// through git's transport; what it can is not.
func TestResolveListsWhatOnlyGitHonours(t *testing.T) {
	const url = "https://git.example.com/app.git"
	for _, tc := range []struct {
		key, value string
		env        map[string]string
		want       []string
	}{
		{"http.sslBackend", "gnutls", nil, []string{"http.sslbackend"}},
		{"http.emptyAuth", "true", nil, []string{"http.emptyauth"}},
		{"http.https://git.example.com.version", "HTTP/1.1", nil, []string{"http.version"}},
		{"http.https://other.example.com.emptyAuth", "true", nil, nil},
		{"http.followRedirects", "false", nil, []string{"http.followRedirects"}},
		{"http.followRedirects", "initial", nil, nil},
		{"http.lowSpeedLimit", "1000", map[string]string{"GIT_HTTP_LOW_SPEED_TIME": "10"}, []string{"http.lowSpeedLimit"}},
		{"http.proxy", "socks4://127.0.0.1:1", nil, []string{"http.proxy"}},
		{"http.postBuffer", "524288000", nil, nil},
		{"http.sslVerify", "false", map[string]string{"GIT_CURL_VERBOSE": "1"}, []string{"GIT_CURL_VERBOSE"}},
		{"credential.username", "me", nil, []string{"credential.username"}},
		{"credential.https://git.example.com.username", "me", nil, []string{"credential.https://git.example.com.username"}},
		{"credential.https://other.example.com.username", "me", nil, nil},
		{"credential.helper", "store", nil, nil},
		// A URL rewrite is no reason to leave the direct client: no
		// transport of ours applies it (git's children reach the URL
		// under a stand-in), and the rule that routes the host through
		// federate:: is what brought git here.
		{"url.https://mirror.example/.pushInsteadOf", "https://git.example.com/", nil, nil},
		{"url.ssh://git@git.example.com/.insteadOf", "https://git.example.com/", nil, nil},
		{"url.federate::https://git.example.com/.insteadOf", "https://git.example.com/", nil, nil},
	} {
		getenv := func(k string) string { return tc.env[k] }
		got := Resolve([]gitexec.ConfigEntry{{Key: tc.key, Value: tc.value}}, getenv, url).Unhonoured
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s=%s %v: unhonoured %q, want %q", tc.key, tc.value, tc.env, got, tc.want)
		}
	}
}

// The proxy is chosen as git and curl choose it.
func TestResolveProxy(t *testing.T) {
	for _, tc := range []struct {
		url     string
		entries []gitexec.ConfigEntry
		env     map[string]string
		want    string
	}{
		{"https://h.example/r", nil, map[string]string{"https_proxy": "http://p:1"}, "http://p:1"},
		{"https://h.example/r", nil, map[string]string{"HTTPS_PROXY": "http://p:2"}, "http://p:2"},
		{"http://h.example/r", nil, map[string]string{"HTTP_PROXY": "http://p:3"}, ""}, // curl ignores it
		{"http://h.example/r", nil, map[string]string{"http_proxy": "http://p:3"}, "http://p:3"},
		{"https://h.example/r", nil, map[string]string{"all_proxy": "http://p:4"}, "http://p:4"},
		{"https://h.example/r", []gitexec.ConfigEntry{{Key: "http.proxy", Value: "http://c:1"}}, map[string]string{"https_proxy": "http://p:1"}, "http://c:1"},
		{"https://h.example/r", []gitexec.ConfigEntry{{Key: "http.proxy", Value: ""}}, map[string]string{"https_proxy": "http://p:1"}, ""},
		{"https://h.example/r", nil, map[string]string{"https_proxy": "http://p:1", "no_proxy": ".example"}, ""},
		{"https://h.example/r", nil, map[string]string{"https_proxy": "http://p:1", "NO_PROXY": "*"}, ""},
		{"https://10.1.2.3/r", nil, map[string]string{"https_proxy": "http://p:1", "no_proxy": "10.0.0.0/8"}, ""},
		{"https://h.example.org/r", nil, map[string]string{"https_proxy": "http://p:1", "no_proxy": "example"}, "http://p:1"},
	} {
		s := Resolve(tc.entries, func(k string) string { return tc.env[k] }, tc.url)
		if s.Proxy != tc.want {
			t.Errorf("%s %v %v: proxy %q, want %q", tc.url, tc.entries, tc.env, s.Proxy, tc.want)
		}
	}
}

// A request body goes chunked where git's would: past http.postBuffer
// (1 MiB by default, at least one 64 KiB packet), less the room of one
// packet; "http.postBuffer = 4" sends every push chunked.
func TestChunkedAsGit(t *testing.T) {
	const url = "https://git.example.com/app.git"
	for _, tc := range []struct {
		value string // "" for no http.postBuffer
		n     int64
		want  bool
	}{
		{"", 982800, false},
		{"", 982801, true},
		{"4", 1, true},
		{"0", 1, true},
		{"-1", 1, true},
		{"2m", 2<<20 - 65520, false},
		{"2m", 2<<20 - 65519, true},
		{"0x20000", 65552, false},
		{"0x20000", 65553, true},
	} {
		var entries []gitexec.ConfigEntry
		if tc.value != "" {
			entries = []gitexec.ConfigEntry{{Key: "http.https://git.example.com.postBuffer", Value: tc.value}}
		}
		s := Resolve(entries, func(string) string { return "" }, url)
		if got := s.Chunked(tc.n); got != tc.want || len(s.Unhonoured) > 0 {
			t.Errorf("http.postBuffer=%q, %d bytes: chunked %v (unhonoured %q), want %v", tc.value, tc.n, got, s.Unhonoured, tc.want)
		}
	}
	if s := Resolve([]gitexec.ConfigEntry{{Key: "http.postBuffer", Value: "lots"}}, func(string) string { return "" }, url); !slices.Equal(s.Unhonoured, []string{"http.postBuffer"}) {
		t.Errorf("a postBuffer git refuses is not left to git: unhonoured %q", s.Unhonoured)
	}
}

// Whether git may use a protocol is decided as git's transport.c
// decides it; a request git would refuse is never this client's.
func TestProtocolAllowedAsGit(t *testing.T) {
	e := func(kv ...string) []gitexec.ConfigEntry {
		var out []gitexec.ConfigEntry
		for i := 0; i < len(kv); i += 2 {
			out = append(out, gitexec.ConfigEntry{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		entries []gitexec.ConfigEntry
		env     map[string]string
		scheme  string
		want    bool
	}{
		{"git's default", nil, nil, "https", true},
		{"never", e("protocol.https.allow", "never"), nil, "https", false},
		{"another protocol's never", e("protocol.http.allow", "never"), nil, "https", true},
		{"protocol.allow never", e("protocol.allow", "never"), nil, "http", false},
		{"the protocol's own key wins", e("protocol.allow", "never", "protocol.http.allow", "always"), nil, "http", true},
		{"the last value wins", e("protocol.http.allow", "never", "protocol.http.allow", "ALWAYS"), nil, "http", true},
		{"a subsection's case counts", e("protocol.HTTP.allow", "never"), nil, "http", true},
		{"the key's case does not", e("protocol.http.ALLOW", "never"), nil, "http", false},
		{"user, from the user", e("protocol.http.allow", "user"), nil, "http", true},
		{"user, not from the user", e("protocol.http.allow", "user"), map[string]string{"GIT_PROTOCOL_FROM_USER": "0"}, "http", false},
		{"from the user, always", nil, map[string]string{"GIT_PROTOCOL_FROM_USER": "0"}, "http", true},
		{"a value git does not know", e("protocol.http.allow", "sometimes"), nil, "http", false},
		{"an empty value", e("protocol.http.allow", ""), nil, "http", false},
		{"no value at all", []gitexec.ConfigEntry{{Key: "protocol.http.allow", NoValue: true}}, nil, "http", false},
		{"GIT_ALLOW_PROTOCOL lists it", e("protocol.https.allow", "never"), map[string]string{"GIT_ALLOW_PROTOCOL": "ssh:https"}, "https", true},
		{"GIT_ALLOW_PROTOCOL does not", nil, map[string]string{"GIT_ALLOW_PROTOCOL": "ssh:git"}, "https", false},
		{"GIT_ALLOW_PROTOCOL set but empty", nil, map[string]string{"GIT_ALLOW_PROTOCOL": ""}, "https", false},
		{"GIT_PROTOCOL_FROM_USER set but empty", e("protocol.http.allow", "user"), map[string]string{"GIT_PROTOCOL_FROM_USER": ""}, "http", false},
	} {
		var env []string
		for k, v := range tc.env {
			env = append(env, k+"="+v)
		}
		getenv := gitexec.Getenv(append(env, "HOME=/nowhere")) // never nil: not this process's
		if got := ProtocolAllowed(tc.entries, getenv, tc.scheme); got != tc.want {
			t.Errorf("%s: allowed = %v, want %v", tc.name, got, tc.want)
		}
		settings := Resolve(tc.entries, getenv, tc.scheme+"://git.example.com/app.git")
		if settings.Forbidden != !tc.want || len(settings.Unhonoured) > 0 {
			t.Errorf("%s: Resolve: forbidden %v, unhonoured %q", tc.name, settings.Forbidden, settings.Unhonoured)
		}
	}
}
