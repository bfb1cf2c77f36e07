package leaktest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// lookalikes are other registrable domains that Unicode case folding
// turns into github.com: U+0130 to lower case, U+0131 to upper case.
var lookalikes = []string{"gİthub.com", "gıthub.com"}

// githubTokens puts token in every variable github.com's token is read
// from.
func githubTokens(t *testing.T) {
	t.Setenv("FEDERATE_TOKEN_GITHUB_COM", token)
	t.Setenv("GH_TOKEN", token)
}

// TestLookalikeHostGetsNoTokenThroughCredentialHelper: with
// credential.helper = federate, real git asking for a look-alike host's
// credential gets none of github.com's token; github.com itself gets it,
// so the test can fail.
func TestLookalikeHostGetsNoTokenThroughCredentialHelper(t *testing.T) {
	gittest.Isolate(t)
	githubTokens(t)
	gittest.Git(t, "", "config", "--global", "credential.helper", "federate")
	fill := func(url string) string {
		out, _ := run(t, "", "url="+url+"\n\n", nil, "git", "credential", "fill")
		return out
	}
	if out := fill("https://github.com/o/r.git"); !strings.Contains(out, "password="+token) {
		t.Fatalf("github.com itself got no token: %q", out)
	}
	for _, h := range append(lookalikes, "GİTHUB.COM", "evil.example?@github.com", "evil.example#@github.com") {
		assertClean(t, "credential fill for "+h, fill("https://"+h+"/o/r.git"), token)
	}
	// git-credential-federate read as git would read url=: the host ends
	// at the first "/", "?" or "#".
	for _, u := range []string{"https://evil.example?@github.com", "https://evil.example#@github.com"} {
		out, _ := run(t, "", "url="+u+"\n\n", nil, "git-credential-federate", "get")
		assertClean(t, "git-credential-federate get url="+u, out, token)
	}
}

// TestLookalikeStoreKeepsGitHubKeyringEntry: `store` through real git
// for a look-alike host writes its own keyring entry (in ASCII form)
// and leaves github.com's as it was.
func TestLookalikeStoreKeepsGitHubKeyringEntry(t *testing.T) {
	gittest.Isolate(t)
	withKeyring(t)
	gittest.Git(t, "", "config", "--global", "credential.helper", "federate")
	if out, err := run(t, "", token, nil, "git", "federate", "login", "--no-verify", "--token-stdin", "https://github.com"); err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	t.Cleanup(func() { run(t, "", "", nil, "git", "federate", "logout", "https://github.com") })
	for _, h := range lookalikes {
		in := "protocol=https\nhost=" + h + "\nusername=x\npassword=phished-" + h + "\n\n"
		if out, err := run(t, "", in, nil, "git", "credential", "approve"); err != nil {
			t.Fatalf("approve %s: %v\n%s", h, err, out)
		}
	}
	if got := keyringLookup(t, "https://github.com"); got != token {
		t.Errorf("github.com's keyring entry is now %q", got)
	}
	if got := keyringLookup(t, "https://xn--gthub-n4a.com"); got != "phished-gıthub.com" {
		t.Errorf("the look-alike's own entry is %q", got)
	}
}

// mitm is an https proxy on 127.0.0.1 that answers CONNECT for any host
// itself, with a certificate for that host from its own CA, and serves
// every host's requests from one git server: real git and the helper
// reach "github.com" and its look-alikes, as the names they are, on this
// machine. It keeps the Authorization header each host received.
type mitm struct {
	URL, CAFile string
	mu          sync.Mutex
	auth        map[string][]string // host (as sent, ASCII) -> Authorization headers
}

func newMITM(t *testing.T, backend *gittest.Server) *mitm {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "federate test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	m := &mitm{CAFile: filepath.Join(t.TempDir(), "ca.pem"), auth: map[string][]string{}}
	if err := os.WriteFile(m.CAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	var serial atomic.Int64
	serial.Store(1)
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: hello.ServerName},
			DNSNames: []string{hello.ServerName}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &caKey.PublicKey, caKey)
		if err != nil {
			return nil, err
		}
		return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: caKey}, nil
	}}
	be, err := url.Parse(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(be)
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.auth[r.Host] = append(m.auth[r.Host], r.Header.Get("Authorization"))
		m.mu.Unlock()
		rp.ServeHTTP(w, r)
	})
	tunnels := &connListener{conns: make(chan net.Conn), done: make(chan struct{})}
	srvInner := &http.Server{Handler: inner, TLSConfig: tlsCfg, ReadHeaderTimeout: time.Minute}
	go srvInner.ServeTLS(tunnels, "", "")
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		w.WriteHeader(http.StatusOK)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			tunnels.give(conn)
		}
	}))
	t.Cleanup(func() {
		front.Close()
		srvInner.Close()
		tunnels.close()
	})
	m.URL = front.URL
	return m
}

// received is what host got in Authorization headers.
func (m *mitm) received(host string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.auth[host]...)
}

// connListener hands the tunnels' connections to an http.Server.
type connListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *connListener) give(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) close()         { l.once.Do(func() { close(l.done) }) }
func (l *connListener) Close() error   { l.close(); return nil }
func (l *connListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// lookalikeWorld routes https to github.com and its look-alikes through
// the proxy to one git server requiring github.com's token, with
// app.git (github.com's), m1.git and m2.git.
func lookalikeWorld(t *testing.T) (*mitm, *gittest.Server) {
	gittest.Isolate(t)
	githubTokens(t)
	backend := gittest.NewServer(t, gittest.Auth{Token: token})
	for _, r := range []string{"app.git", "m1.git", "m2.git"} {
		backend.InitBare(t, r)
	}
	work := gittest.NewWorkRepo(t)
	gittest.Seed(t, work, backend.Path("app.git"), backend.Path("m1.git"), backend.Path("m2.git"))
	m := newMITM(t, backend)
	t.Setenv("GIT_SSL_CAINFO", m.CAFile)
	t.Setenv("https_proxy", m.URL)
	t.Setenv("HTTPS_PROXY", m.URL)
	for _, k := range []string{"no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	return m, backend
}

// punycode is the ASCII form of each look-alike, the name it is reached
// by.
var punycode = map[string]string{"gİthub.com": "xn--github-qyd.com", "gıthub.com": "xn--gthub-n4a.com"}

// TestLookalikeMirrorsGetNoTokenThroughPush: a federation whose mirrors
// are look-alikes of github.com pushes origin (github.com) with its token
// and never hands that token to the mirrors, up front by the direct push
// or through the credential callback git's transport uses.
func TestLookalikeMirrorsGetNoTokenThroughPush(t *testing.T) {
	m, backend := lookalikeWorld(t)
	gittest.Git(t, "", "config", "--global", "federation.fed.origin", "https://github.com/app.git")
	gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", "https://gİthub.com/m1.git")
	gittest.Git(t, "", "config", "--global", "--add", "federation.fed.mirror", "https://gıthub.com/m2.git")
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, "", "clone", "-q", backend.Path("app.git"), work)
	tip := gittest.Commit(t, work, "a.txt", "a\n", "one commit")
	out, _ := run(t, work, "", nil, "git", "push", "federate::fed", "main")
	if got := gittest.RefOf(t, backend.Path("app.git"), "refs/heads/main"); got != tip {
		t.Fatalf("github.com itself was not pushed (the test proves nothing):\n%s", out)
	}
	assertClean(t, "push output", out, token)
	for _, h := range lookalikes {
		for _, a := range m.received(punycode[h]) {
			assertClean(t, h+"'s requests", a, token)
		}
		if got := gittest.RefOf(t, backend.Path(map[string]string{"gİthub.com": "m1.git", "gıthub.com": "m2.git"}[h]), "refs/heads/main"); got == tip {
			t.Errorf("%s was pushed with a token it has none of", h)
		}
	}
}

// TestLookalikeOriginGetsNoTokenThroughFederateURL: federate::<a
// look-alike URL> is not github.com's federation, and listing or pushing
// it hands github.com's token to nobody.
func TestLookalikeOriginGetsNoTokenThroughFederateURL(t *testing.T) {
	m, backend := lookalikeWorld(t)
	gittest.Git(t, "", "config", "--global", "federation.fed.origin", "https://github.com/app.git")
	if out, err := run(t, "", "", nil, "git", "ls-remote", "federate::https://github.com/app.git"); err != nil {
		t.Fatalf("github.com itself: %v\n%s", err, out)
	}
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, "", "clone", "-q", backend.Path("app.git"), work)
	gittest.Commit(t, work, "a.txt", "a\n", "one commit")
	for _, h := range lookalikes {
		u := "federate::https://" + h + "/m1.git"
		out, _ := run(t, "", "", nil, "git", "ls-remote", u)
		assertClean(t, "ls-remote "+u, out, token)
		// git's own transport here cannot reach a Unicode host at all
		// (its curl refuses the URL); federate's direct push could, and
		// did with github.com's token before the canonical host.
		out, _ = run(t, work, "", nil, "git", "push", u, "main")
		assertClean(t, "push "+u, out, token)
		for _, a := range m.received(punycode[h]) {
			assertClean(t, h+"'s requests", a, token)
		}
	}
}
