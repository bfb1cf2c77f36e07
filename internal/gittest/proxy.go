package gittest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy is an http proxy on 127.0.0.1 that forwards plain requests and
// tunnels CONNECT, and keeps what it was asked for. It stops when the
// test ends.
type Proxy struct {
	URL string

	mu   sync.Mutex
	seen []string // "CONNECT host:port", or "GET host:port/path?query"
}

// NewProxy starts a Proxy.
func NewProxy(t testing.TB) *Proxy {
	p := &Proxy{}
	fwd := &httputil.ReverseProxy{Rewrite: func(*httputil.ProxyRequest) {}} // the request URL is absolute
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		if r.Method == http.MethodConnect {
			p.seen = append(p.seen, r.Method+" "+r.Host)
		} else {
			p.seen = append(p.seen, r.Method+" "+r.Host+r.URL.RequestURI())
		}
		p.mu.Unlock()
		if r.Method != http.MethodConnect {
			fwd.ServeHTTP(w, r)
			return
		}
		tunnel(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// tunnel joins a CONNECT request to its host.
func tunnel(w http.ResponseWriter, r *http.Request) {
	up, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusOK)
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		return
	}
	go func() {
		_, _ = io.Copy(up, rw)
		up.Close()
	}()
	_, _ = io.Copy(conn, up)
	conn.Close()
}

// Saw reports whether the proxy was asked for host (by CONNECT or a
// forwarded request) since it was last reset.
func (p *Proxy) Saw(host string) bool {
	return len(p.Forwarded(host)) > 0 || p.connected(host)
}

// Forwarded is what the proxy forwarded to host since it was last
// reset: "METHOD /path?query" for each request, in order.
func (p *Proxy) Forwarded(host string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, s := range p.seen {
		method, rest, _ := strings.Cut(s, " ")
		if path, ok := strings.CutPrefix(rest, host+"/"); ok && method != http.MethodConnect {
			out = append(out, method+" /"+path)
		}
	}
	return out
}

func (p *Proxy) connected(host string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.seen {
		if s == http.MethodConnect+" "+host {
			return true
		}
	}
	return false
}

// Seen is everything the proxy was asked for since it was last reset:
// "CONNECT host:port", or "METHOD host:port/path?query".
func (p *Proxy) Seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// Reset forgets what the proxy was asked for.
func (p *Proxy) Reset() {
	p.mu.Lock()
	p.seen = nil
	p.mu.Unlock()
}

// CAFile writes the certificate of srv, an httptest TLS server, to a PEM
// file for http.sslCAInfo or GIT_SSL_CAINFO, and returns its path.
func CAFile(t testing.TB, srv *httptest.Server) string {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return ca
}

// Certificate is a self-signed certificate, its own CA (CAFile trusts
// it), for a server of names (IP addresses or DNS names), valid from a
// day before notAfter to notAfter: a notAfter in the past is a
// certificate that has expired. Give it to an unstarted httptest
// server's TLS.Certificates before StartTLS.
func Certificate(t testing.TB, notAfter time.Time, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "federate test server"},
		NotBefore: notAfter.Add(-24 * time.Hour), NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
