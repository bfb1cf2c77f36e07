package httpx

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
)

// recorder is a server that keeps the Authorization header of every
// request it gets.
type recorder struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
	paths []string
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auths = append(r.auths, req.Header.Get("Authorization"))
		r.paths = append(r.paths, req.URL.String())
		r.mu.Unlock()
		if h != nil {
			h(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auths...)
}

func get(t *testing.T, c *Client, url string, cred Credential) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req, cred)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func mustNew(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A token goes over plain http to this machine only; to any other host
// nothing is sent at all, the first time and every time after (the
// client remembers its verdict per host).
func TestNoTokenOverPlainHTTPToAnotherHost(t *testing.T) {
	c := mustNew(t, Config{})
	for range 2 {
		for _, u := range []string{"http://example.com/x", "http://localhost.example.com/x", "ftp://localhost/x"} {
			if _, err := get(t, c, u, Basic("u", "secret")); !errors.Is(err, ErrPlainHTTP) {
				t.Errorf("%s: %v, want ErrPlainHTTP", u, err)
			}
		}
		if _, err := get(t, c, "https://a\u200db.example/x", Basic("u", "secret")); !errors.Is(err, ErrBadHost) {
			t.Errorf("a host without an ASCII form: %v, want ErrBadHost", err)
		}
	}
	srv := newRecorder(t, nil)
	upper := strings.Replace(srv.URL, "127.0.0.1", "LOCALHOST", 1)
	if _, err := get(t, c, upper+"/x", Basic("u", "secret")); err != nil {
		t.Fatalf("%s: %v", upper, err)
	}
	if got := srv.seen(); len(got) != 1 || got[0] == "" {
		t.Errorf("loopback got %q, want the token", got)
	}
}

// The one redirect rule: a GET follows a redirect within its origin,
// with the token; a redirect to another origin, of a request with a body,
// or one too many, is a *RedirectError and the other server sees nothing.
func TestRedirectRule(t *testing.T) {
	other := newRecorder(t, nil)
	hops := 0
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		case r.URL.Path == "/loop":
			hops++
			http.Redirect(w, r, "/loop", http.StatusFound)
		case r.URL.Path == "/moved":
			http.Redirect(w, r, "/here", http.StatusMovedPermanently)
		}
	})
	c := mustNew(t, Config{})
	cred := Basic("u", "secret")
	resp, err := get(t, c, srv.URL+"/moved", cred)
	if err != nil || resp.Request.URL.Path != "/here" {
		t.Fatalf("same-origin redirect: %v", err)
	}
	if got := srv.seen(); len(got) != 2 || got[1] != got[0] || got[0] == "" {
		t.Errorf("the token did not follow within the origin: %q", got)
	}
	var re *RedirectError
	if _, err := get(t, c, srv.URL+"/away", cred); !errors.As(err, &re) || re.Status != http.StatusFound || !strings.HasPrefix(re.To, other.URL) {
		t.Errorf("redirect to another port: %v", err)
	}
	if _, err := get(t, c, srv.URL+"/loop", cred); !errors.As(err, &re) || hops != MaxRedirects+1 {
		t.Errorf("redirect loop: %v after %d hops", err, hops)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/moved", strings.NewReader("body"))
	if _, err := c.Do(req, cred); !errors.As(err, &re) {
		t.Errorf("a redirected POST: %v, want a *RedirectError", err)
	}
	if got := other.seen(); len(got) != 0 {
		t.Errorf("the other origin got %d requests", len(got))
	}
}

// proxyRecorder is an http proxy that answers every request itself and
// keeps what it was asked.
func proxyRecorder(t *testing.T) *recorder {
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("from the proxy")) })
}

// Issue 19 item 3: with HTTP_PROXY (and git's own proxy settings) set, a
// token-bearing request to http://LOCALHOST:port never goes through the
// proxy; the same request without a token does, as git would send it.
func TestTokenOverPlainHTTPNeverThroughProxy(t *testing.T) {
	proxy := proxyRecorder(t)
	srv := newRecorder(t, nil)
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	target := strings.Replace(srv.URL, "127.0.0.1", "LOCALHOST", 1) + "/app.git/info/refs"
	for _, s := range []Settings{
		Resolve(nil, os.Getenv, target),
		Resolve([]gitexec.ConfigEntry{{Key: "http.proxy", Value: proxy.URL}}, os.Getenv, target),
	} {
		if s.Proxy != proxy.URL {
			t.Fatalf("Resolve found no proxy: %+v", s)
		}
		if len(s.Unhonoured) == 0 {
			t.Errorf("a proxy for a plain-http URL is not handed to git: %+v", s)
		}
		c := mustNew(t, Config{Settings: s})
		if _, err := get(t, c, target, Basic("u", "secret")); err != nil {
			t.Fatal(err)
		}
		if _, err := get(t, c, target, Credential{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range proxy.seen() {
		if a != "" {
			t.Errorf("the proxy saw credentials: %q", a)
		}
	}
	if n := len(proxy.seen()); n != 2 {
		t.Errorf("the proxy got %d requests without a token, want 2 (it is used)", n)
	}
	if got := srv.seen(); len(got) != 2 || got[0] == "" {
		t.Errorf("the server got %q, want the token twice", got)
	}
}

// writeCert writes srv's certificate as a CA file.
func writeCert(t *testing.T, srv *httptest.Server) string {
	f := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// One TLS configuration from git's settings: an untrusted certificate is
// refused; http.sslCAInfo (or GIT_SSL_CAINFO) trusts it; http.sslVerify
// = false (or GIT_SSL_NO_VERIFY) turns the check off.
func TestTLSFromGitSettings(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ca := writeCert(t, srv)
	none := func(string) string { return "" }
	for _, tc := range []struct {
		name    string
		entries []gitexec.ConfigEntry
		env     map[string]string
		ok      bool
	}{
		{"system roots", nil, nil, false},
		{"http.sslCAInfo", []gitexec.ConfigEntry{{Key: "http.sslcainfo", Value: ca}}, nil, true},
		{"GIT_SSL_CAINFO", nil, map[string]string{"GIT_SSL_CAINFO": ca}, true},
		{"http.<url>.sslVerify", []gitexec.ConfigEntry{{Key: "http." + srv.URL + ".sslverify", Value: "false"}}, nil, true},
		{"http.<other>.sslVerify", []gitexec.ConfigEntry{{Key: "http.https://example.com.sslverify", Value: "false"}}, nil, false},
		{"GIT_SSL_NO_VERIFY", nil, map[string]string{"GIT_SSL_NO_VERIFY": "1"}, true},
	} {
		getenv := none
		if tc.env != nil {
			getenv = func(k string) string { return tc.env[k] }
		}
		s := Resolve(tc.entries, getenv, srv.URL+"/app.git")
		c := mustNew(t, Config{Settings: s})
		_, err := get(t, c, srv.URL+"/x", Basic("u", "secret"))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok = %v", tc.name, err, tc.ok)
		}
	}
}

// http.extraHeader and http.userAgent reach the server.
func TestHeadersFromGitSettings(t *testing.T) {
	var got http.Header
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() })
	s := Resolve([]gitexec.ConfigEntry{
		{Key: "http.extraheader", Value: "X-Dropped: 1"},
		{Key: "http.extraheader", Value: ""},
		{Key: "http.extraheader", Value: "X-One: a"},
		{Key: "http." + srv.URL + "/app.git.extraheader", Value: "X-Two: b"},
		{Key: "http.useragent", Value: "my-agent/1"},
	}, func(string) string { return "" }, srv.URL+"/app.git")
	c := mustNew(t, Config{Settings: s, UserAgent: "default"})
	if _, err := get(t, c, srv.URL+"/app.git/info/refs", Credential{}); err != nil {
		t.Fatal(err)
	}
	if got.Get("X-One") != "a" || got.Get("X-Two") != "b" || got.Get("X-Dropped") != "" || got.Get("User-Agent") != "my-agent/1" {
		t.Errorf("headers sent: %v", got)
	}
}

// Cookies from http.cookieFile are sent, and with http.saveCookies the
// ones the server sets on a POST are written back.
func TestCookiesFromGitSettings(t *testing.T) {
	var sent []string
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err == nil {
			sent = append(sent, c.Value)
		}
		if r.Method == http.MethodPost {
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "after-post", Path: "/"})
		}
	})
	file := filepath.Join(t.TempDir(), "cookies.txt")
	if err := os.WriteFile(file, []byte("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tbefore\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := Resolve([]gitexec.ConfigEntry{{Key: "http.cookiefile", Value: file}, {Key: "http.savecookies", Value: "true"}},
		func(string) string { return "" }, srv.URL+"/app.git")
	c := mustNew(t, Config{Settings: s})
	if _, err := get(t, c, srv.URL+"/app.git/info/refs", Credential{}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/app.git/git-receive-pack", strings.NewReader("x"))
	resp, err := c.Do(req, Credential{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := c.SaveCookies(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(sent, ",") != "before,before" {
		t.Errorf("cookies sent: %q", sent)
	}
	b, _ := os.ReadFile(file)
	if !strings.Contains(string(b), "\tsession\tafter-post") {
		t.Errorf("cookie file after the push:\n%s", b)
	}
}

// http.lowSpeedTime (with a limit of at most 1 byte/s) gives up a server
// that moves nothing, naming the key, through the one stall watcher.
func TestLowSpeedTimeGivesUpAStalledServer(t *testing.T) {
	srv := gittest.HungServer(t)
	s := Resolve([]gitexec.ConfigEntry{{Key: "http.lowspeedlimit", Value: "1"}, {Key: "http.lowspeedtime", Value: "1"}},
		func(string) string { return "" }, srv.URL)
	if len(s.Unhonoured) != 0 || s.LowSpeedTime == 0 {
		t.Fatalf("settings %+v", s)
	}
	c := mustNew(t, Config{Settings: s})
	var se *stall.Error
	if _, err := get(t, c, srv.URL+"/x", Credential{}); !errors.As(err, &se) || se.Key != "http.lowSpeedTime" {
		t.Errorf("err = %v, want a stall naming http.lowSpeedTime", err)
	}
}

// git's TLS settings are read by the first request that needs TLS: a CA
// file or client certificate that cannot be read (GIT_SSL_CAINFO left
// pointing at a missing bundle) costs plain-http requests nothing, and
// fails each https request, or one through an https proxy, with a
// *TLSError naming the file, as CheckTLS says ahead.
func TestTLSSettingsReadWhenFirstNeeded(t *testing.T) {
	srv := newRecorder(t, nil)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsSrv.Close()
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name string
		s    Settings
		file string
	}{
		{"missing CA file", Settings{CAInfo: missing}, missing},
		{"CA file without a certificate", Settings{CAInfo: notPEM}, notPEM},
		{"missing client certificate", Settings{SSLCert: missing}, missing},
	} {
		c := mustNew(t, Config{Settings: tc.s})
		if _, err := get(t, c, srv.URL+"/x", Basic("u", "secret")); err != nil {
			t.Errorf("%s: a plain-http request: %v", tc.name, err)
		}
		var te *TLSError
		for range 2 {
			_, err := get(t, c, tlsSrv.URL+"/x", Credential{})
			if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.file) {
				t.Errorf("%s: an https request: %v, want a *TLSError naming %s", tc.name, err, tc.file)
			}
		}
		if err := mustNew(t, Config{Settings: tc.s}).CheckTLS(tlsSrv.URL + "/x"); !errors.As(err, &te) || !strings.Contains(err.Error(), tc.file) {
			t.Errorf("%s: CheckTLS: %v", tc.name, err)
		}
		if err := mustNew(t, Config{Settings: tc.s}).CheckTLS(srv.URL + "/x"); err != nil {
			t.Errorf("%s: CheckTLS of a plain-http URL: %v, want nil (no TLS needed)", tc.name, err)
		}
		proxied := tc.s
		proxied.Proxy = "https://127.0.0.1:1"
		if err := mustNew(t, Config{Settings: proxied}).CheckTLS(srv.URL + "/x"); !errors.As(err, &te) {
			t.Errorf("%s: CheckTLS of a plain-http URL through an https proxy: %v, want a *TLSError", tc.name, err)
		}
		c = mustNew(t, Config{Settings: proxied})
		if _, err := get(t, c, srv.URL+"/x", Credential{}); !errors.As(err, &te) {
			t.Errorf("%s: a plain-http request through an https proxy: %v, want a *TLSError", tc.name, err)
		}
		c.CloseIdleConnections()
	}
	if got := srv.seen(); len(got) != 3 {
		t.Errorf("the plain-http server got %d requests, want 3", len(got))
	}
	// A good CA file is read by CheckTLS, once: the requests after it use
	// what it read, even with the file gone.
	ca := writeCert(t, tlsSrv)
	c := mustNew(t, Config{Settings: Settings{CAInfo: ca}})
	if err := c.CheckTLS(tlsSrv.URL); err != nil {
		t.Errorf("CheckTLS of a good CA file: %v", err)
	}
	if err := os.Remove(ca); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, c, tlsSrv.URL+"/x", Credential{}); err != nil {
		t.Errorf("an https request after CheckTLS read the CA file: %v", err)
	}
	c.CloseIdleConnections()
}

// A server that does not answer within Config.Timeout is given up with
// an error that says the client's limit ran out, every time: net/http
// says so only when the client's own *http.Transport carries the
// request (with a RoundTripper of ours in between it bounded the
// request twice, and a timeout read as a cancelled context).
func TestTimeoutSaysSo(t *testing.T) {
	srv := gittest.HungServer(t)
	c := mustNew(t, Config{Timeout: 20 * time.Millisecond})
	for i := range 20 {
		_, err := get(t, c, srv.URL+"/x", Credential{})
		if err == nil || !strings.Contains(err.Error(), "Client.Timeout exceeded") {
			t.Fatalf("request %d: %v, want an error saying the client's time limit ran out", i, err)
		}
	}
}
