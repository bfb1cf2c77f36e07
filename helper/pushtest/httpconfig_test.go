package pushtest

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

func hostOf(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// httpsFront serves s over https (a certificate of its own, trusted
// through the returned CA file) and returns the URL of app.git there;
// the token of s is set for the front's host.
func httpsFront(t *testing.T, s server, token string) (string, string) {
	return httpsFrontWith(t, s, token, nil)
}

// httpsFrontWith is httpsFront with cert for the front's certificate
// (nil: httptest's own).
func httpsFrontWith(t *testing.T, s server, token string, cert *tls.Certificate) (string, string) {
	backend, err := url.Parse(s.Server.URL)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(backend))
	if cert != nil {
		front.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	front.StartTLS()
	t.Cleanup(front.Close)
	ca := gittest.CAFile(t, front)
	t.Setenv(keystore.EnvName(hostOf(t, front.URL)), token)
	return front.URL + "/app.git", ca
}

// Issue 20 item 3: `git -c http.proxy=… push` through federate reaches
// every server through that proxy, as plain git does with the same
// setting. (The servers are plain http: the direct client never sends a
// token through a proxy in clear text, so git's transport takes them.)
func TestHTTPProxyIsUsedAsGitUsesIt(t *testing.T) {
	f := newFed(t)
	p := gittest.NewProxy(t)
	tip := f.commit("a.txt", "through the proxy")
	out, err := gittest.GitCombined(f.work, nil, "-c", "http.proxy="+p.URL, "push", "fed", "main")
	if err != nil {
		t.Fatalf("push through the proxy: %v\n%s", err, out)
	}
	f.wantRef("refs/heads/main", tip, f.all()...)
	for _, s := range f.all() {
		if !p.Saw(hostOf(t, s.URL)) {
			t.Errorf("federate reached %s without the proxy", s.URL)
		}
	}
	p.Reset()
	out, err = gittest.GitCombined(f.work, nil, "-c", "http.proxy="+p.URL, "-c", "credential.helper=federate",
		"push", f.m1.URL, "main:refs/heads/plain")
	if err != nil {
		t.Fatalf("plain git through the proxy: %v\n%s", err, out)
	}
	if !p.Saw(hostOf(t, f.m1.URL)) {
		t.Fatal("plain git did not use the proxy: the comparison proves nothing")
	}
}

// An https mirror whose certificate git trusts only through
// http.<url>.sslVerify = false, http.sslCAInfo or GIT_SSL_CAINFO is
// pushed by federate itself (two requests, the token up front), and
// through http.proxy when one is set, by CONNECT as plain git does.
func TestHTTPSMirrorWithGitTLSSettingsPushedDirectly(t *testing.T) {
	f := newFed(t)
	// The certificates trusted come from git's settings below only (an
	// inherited GIT_SSL_CAINFO would win over them, in git as here).
	t.Setenv("GIT_SSL_CAINFO", "")
	os.Unsetenv("GIT_SSL_CAINFO")
	m3 := newServer(t, "mirror3-token")
	gittest.Seed(t, f.work, m3.Path)
	front, ca := httpsFront(t, m3, "mirror3-token")
	gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", front)
	p := gittest.NewProxy(t)
	for i, tc := range []struct {
		name string
		args []string
		env  []string
	}{
		{"http.<url>.sslVerify=false", []string{"-c", "http." + front + ".sslVerify=false"}, nil},
		{"http.sslCAInfo", []string{"-c", "http.sslCAInfo=" + ca}, nil},
		{"GIT_SSL_CAINFO", nil, []string{"GIT_SSL_CAINFO=" + ca}},
		{"http.proxy over https", []string{"-c", "http.sslCAInfo=" + ca, "-c", "http.proxy=" + p.URL}, nil},
	} {
		before := len(m3.Requests())
		tip := f.commit("a.txt", tc.name)
		args := append(append([]string{}, tc.args...), "push", "fed", "main")
		if out, err := gittest.GitCombined(f.work, tc.env, args...); err != nil {
			t.Fatalf("%s: push: %v\n%s", tc.name, err, out)
		}
		f.wantRef("refs/heads/main", tip, append(f.all(), m3)...)
		got := requestsFor(m3, before)
		if len(got) != 2 || got[0].Authorization == "" || !got[1].Push() {
			t.Errorf("%s: the https mirror served %v, want an authorized listing and the pack (pushed by federate)", tc.name, got)
		}
		if i == 3 && !p.Saw(hostOf(t, front)) {
			t.Errorf("%s: federate reached the https mirror without the proxy", tc.name)
		}
	}
	p.Reset()
	out, err := gittest.GitCombined(f.work, nil, "-c", "http.sslCAInfo="+ca, "-c", "http.proxy="+p.URL,
		"-c", "credential.helper=federate", "ls-remote", front)
	if err != nil || !p.Saw(hostOf(t, front)) {
		t.Fatalf("plain git through the proxy: %v (proxy used: %v)\n%s", err, p.Saw(hostOf(t, front)), out)
	}
}

// An https mirror whose certificate git does not accept (from a CA it
// does not trust, expired, or for another host name) is reported in the
// words of whichever way pushed it, and queued with one reason that says
// so, not as a mirror that could not be reached: the operator looks at
// the certificate and the CAs git trusts, not at the network. Both ways:
// the direct client (the default) and git's transport (a key it alone
// honours).
func TestHTTPSMirrorNotTrustedIsQueuedSo(t *testing.T) {
	for _, cert := range []struct {
		name    string
		make    func(t *testing.T) *tls.Certificate // nil: httptest's, from a CA not given to git
		trusted bool
		// The words of each way: Go's, and curl's as GnuTLS or OpenSSL
		// puts them (GnuTLS does not say that a certificate expired).
		direct, git string
	}{
		{"untrusted", func(*testing.T) *tls.Certificate { return nil }, false,
			"x509: certificate signed by unknown authority", "certificate"},
		{"expired", func(t *testing.T) *tls.Certificate {
			c := gittest.Certificate(t, time.Now().Add(-time.Hour), "127.0.0.1")
			return &c
		}, true, "x509: certificate has expired", "certificate"},
		{"another host", func(t *testing.T) *tls.Certificate {
			c := gittest.Certificate(t, time.Now().Add(24*time.Hour), "mirror.example.org")
			return &c
		}, true, "x509: cannot validate certificate for 127.0.0.1", "target host name"},
	} {
		for _, way := range []struct{ name, key, value string }{
			{"direct", "", ""},
			{"git's transport", "http.emptyAuth", "false"},
		} {
			t.Run(cert.name+"/"+way.name, func(t *testing.T) {
				f := newFed(t)
				t.Setenv("GIT_SSL_CAINFO", "")
				os.Unsetenv("GIT_SSL_CAINFO")
				words := cert.direct
				if way.key != "" {
					gittest.Git(t, "", "config", "--global", way.key, way.value)
					words = cert.git
				}
				m3 := newServer(t, "mirror3-token")
				gittest.Seed(t, f.work, m3.Path)
				front, ca := httpsFrontWith(t, m3, "mirror3-token", cert.make(t))
				if cert.trusted {
					// Its CA trusted: what is refused is the certificate itself.
					gittest.Git(t, "", "config", "--global", "http.sslCAInfo", ca)
				}
				gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", front)
				// The yardstick: plain git refuses the certificate too.
				if plain, err := gittest.GitCombined(f.work, nil, "ls-remote", front); err == nil || !strings.Contains(plain, cert.git) {
					t.Fatalf("plain git ls-remote %s: %v, want curl's %q\n%s", front, err, cert.git, plain)
				}
				tip := f.commit("a.txt", "one commit")
				out := f.push(true, "fed", "main")
				f.wantRef("refs/heads/main", tip, f.all()...)
				if !strings.Contains(out, "federate: mirror "+front+": push failed: ") || !strings.Contains(out, words) {
					t.Errorf("push output lacks the failure in its transport's words (%q):\n%s", words, out)
				}
				if e := f.queued(front, "refs/heads/main"); e.OID != tip || e.Reason != pending.ReasonTLS.String() {
					t.Errorf("queued %s with reason %q, want %s with %q", e.OID, e.Reason, tip, pending.ReasonTLS)
				}
				// The status says it in the reader's language, in the
				// mirror's line (it cannot read the mirror) and the queue's.
				status, _ := gittest.GitCombined(f.work, zhCN, "federate", "status")
				zh := i18n.New(language.SimplifiedChinese)
				for _, want := range []string{pending.ReasonTLS.Localize(zh), front + "：" + zh.Sprintf("CERTIFICATE REFUSED") + "："} {
					if !strings.Contains(status, want) {
						t.Errorf("git federate status lacks %q:\n%s", want, status)
					}
				}
			})
		}
	}
}

// A setting the direct client cannot honour hands the mirrors to git's
// transport, which asks before it sends a token.
func TestUnhonouredHTTPKeyGoesThroughGit(t *testing.T) {
	for _, kv := range [][2]string{{"http.emptyAuth", "false"}, {"http.version", "HTTP/1.1"}} {
		t.Run(kv[0], func(t *testing.T) {
			f := newFed(t)
			gittest.Git(t, "", "config", "--global", kv[0], kv[1])
			before := len(f.m2.Requests())
			tip := f.commit("a.txt", "one commit")
			f.push(true, "fed", "main")
			f.wantRef("refs/heads/main", tip, f.all()...)
			got := requestsFor(f.m2, before)
			if len(got) == 0 || got[0].Authorization != "" {
				t.Errorf("with %s set, m2 served %v: pushed by federate, not git's transport", kv[0], got)
			}
		})
	}
}

// A url.<base>.insteadOf or pushInsteadOf rule that matches a mirror
// (such as url."git@github.com:".insteadOf https://github.com/, common
// to make git use ssh) is set aside on every path: the manual's "Route a
// whole host" says each server is reached at its own URL. So it is no
// reason to leave the direct client either: git's transport would reach
// the same URL, with a process and a 401 round trip more. Plain git, the
// yardstick of what the rule does, follows it (here to a dead port).
func TestURLRewriteKeepsDirectPush(t *testing.T) {
	for _, key := range []string{"insteadOf", "pushInsteadOf"} {
		t.Run(key, func(t *testing.T) {
			f := newFed(t)
			gittest.Git(t, "", "config", "--global", "url.http://127.0.0.1:1/dead/."+key, f.m2.URL)
			if out, err := gittest.GitCombined(f.work, nil, "push", f.m2.URL, "main:refs/heads/plain"); err == nil || !strings.Contains(out, "127.0.0.1:1") {
				t.Fatalf("plain git did not follow the rule (%v): the comparison proves nothing\n%s", err, out)
			}
			before := len(f.m2.Requests())
			tip := f.commit("a.txt", "one commit")
			f.push(true, "fed", "main")
			f.wantRef("refs/heads/main", tip, f.all()...)
			if got := requestsFor(f.m2, before); len(got) != 2 || got[0].Authorization == "" || !got[1].Push() {
				t.Errorf("m2 served %v, want an authorized listing and the pack (pushed by federate)", got)
			}
		})
	}
}

// Issue 19 item 3: a mirror at http://LOCALHOST:port with HTTP_PROXY set
// (which git, like curl, ignores for plain http) is pushed directly with
// its token; the proxy sees nothing, in particular not the token in
// clear text.
func TestLoopbackMirrorInCapitalsNeverThroughProxy(t *testing.T) {
	f := newFed(t)
	p := gittest.NewProxy(t)
	t.Setenv("HTTP_PROXY", p.URL)
	m3 := newServer(t, "mirror3-token")
	gittest.Seed(t, f.work, m3.Path)
	upper := strings.Replace(m3.URL, "127.0.0.1", "LOCALHOST", 1)
	t.Setenv(keystore.EnvName(hostOf(t, upper)), "mirror3-token")
	gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", upper)
	before := len(m3.Requests())
	tip := f.commit("a.txt", "one commit")
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", tip, append(f.all(), m3)...)
	if got := requestsFor(m3, before); len(got) != 2 || got[0].Authorization == "" {
		t.Errorf("the LOCALHOST mirror served %v, want an authorized listing and the pack", got)
	}
	if seen := p.Seen(); len(seen) != 0 {
		t.Errorf("the proxy was asked for %v", seen)
	}
}

// Issue 20 item 7: with http.cookieFile and http.saveCookies, a cookie
// the mirror sets on the push is kept in the file, and sent with the
// next push, as git does.
func TestCookiesSetOnThePushAreKept(t *testing.T) {
	f := newFed(t)
	m3 := newServer(t, "mirror3-token")
	gittest.Seed(t, f.work, m3.Path)
	backend, err := url.Parse(m3.Server.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(backend)
	var mu sync.Mutex
	var cookies []string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if c, err := r.Cookie("session"); err == nil {
			cookies = append(cookies, c.Value)
		}
		mu.Unlock()
		if r.Method == http.MethodPost {
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "set-on-post", Path: "/"})
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	t.Setenv(keystore.EnvName(hostOf(t, front.URL)), "mirror3-token")
	gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", front.URL+"/app.git")
	jar := filepath.Join(t.TempDir(), "cookies.txt")
	gittest.Git(t, "", "config", "--global", "http.cookieFile", jar)
	gittest.Git(t, "", "config", "--global", "http.saveCookies", "true")
	before := len(m3.Requests())
	f.commit("a.txt", "one")
	f.push(true, "fed", "main")
	if got := requestsFor(m3, before); len(got) != 2 || got[0].Authorization == "" {
		t.Errorf("the mirror served %v, want federate's own two requests", got)
	}
	b, _ := os.ReadFile(jar)
	if !strings.Contains(string(b), "set-on-post") {
		t.Fatalf("cookie file after the push:\n%s", b)
	}
	tip := f.commit("a.txt", "two")
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", tip, append(f.all(), m3)...)
	mu.Lock()
	defer mu.Unlock()
	if len(cookies) == 0 || cookies[len(cookies)-1] != "set-on-post" {
		t.Errorf("cookies sent on the second push: %q", cookies)
	}
}

// A CA file that cannot be read (GIT_SSL_CAINFO naming a missing bundle)
// is, for an https mirror, git's transport's to report in its words, as
// before federate's client read its TLS settings only at its first
// request that needs them; the plain-http servers need none and are
// pushed.
func TestHTTPSMirrorWithUnreadableCAFileGoesThroughGit(t *testing.T) {
	f := newFed(t)
	m3 := newServer(t, "mirror3-token")
	gittest.Seed(t, f.work, m3.Path)
	front, _ := httpsFront(t, m3, "mirror3-token")
	gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", front)
	missing := filepath.Join(t.TempDir(), "missing-ca.pem")
	tip := f.commit("a.txt", "one commit")
	out, _ := gittest.GitCombined(f.work, []string{"GIT_SSL_CAINFO=" + missing}, "push", "fed", "main")
	f.checkNoSecrets(out)
	f.wantRef("refs/heads/main", tip, f.all()...)
	if !strings.Contains(out, "unable to access") || strings.Contains(out, "no such file") {
		t.Errorf("push with an unreadable CA file: want git's words for the https mirror\n%s", out)
	}
}

// git's protocol.<name>.allow decides for federate's own client and for
// git's http helper run by federate, as it decides for git's transport.
// With http "never", no server is asked anything: the fetch fails with
// git's own refusal and no mirror serves in the origin's place, and so
// does the push. With "user" (the user runs this push) the mirrors are
// pushed directly, the token up front.
func TestProtocolGitMayNotUseIsNotUsedDirectly(t *testing.T) {
	f := newFed(t)
	gittest.Git(t, "", "config", "--global", "protocol.http.allow", "never")
	var before []int
	for _, s := range f.all() {
		before = append(before, len(s.Requests()))
	}
	f.commit("a.txt", "one commit")
	fetched, err := gittest.GitCombined(f.work, nil, "fetch", "fed")
	if err == nil {
		t.Fatalf("fetch with protocol.http.allow=never succeeded:\n%s", fetched)
	}
	f.checkNoSecrets(fetched)
	wantContains(t, fetched, "transport 'http' not allowed", "protocol.http.allow")
	wantNotContains(t, fetched, "libcurl", "unreachable", "fetching from mirror")
	out := f.push(false, "fed", "main")
	wantContains(t, out, "transport 'http' not allowed", "nothing was pushed anywhere")
	wantNotContains(t, out, "libcurl", "unreachable", "refused the push")
	for i, s := range f.all() {
		if got := requestsFor(s, before[i]); len(got) != 0 {
			t.Errorf("with protocol.http.allow=never, %s served %v", s.URL, got)
		}
	}

	gittest.Git(t, "", "config", "--global", "protocol.http.allow", "user")
	before2 := len(f.m2.Requests())
	tip := f.rev("HEAD")
	f.push(true, "fed", "main")
	f.wantRef("refs/heads/main", tip, f.all()...)
	if got := requestsFor(f.m2, before2); len(got) == 0 || got[0].Authorization == "" {
		t.Errorf("with protocol.http.allow=user, m2 served %v: want federate's own push, the token up front", got)
	}
}
