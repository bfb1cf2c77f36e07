package fedsync

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

// A CA file that cannot be read (GIT_SSL_CAINFO naming a missing bundle)
// is git's to report for an https server: its listing goes to git, which
// fails in its words. A plain-http server needs no CA file and is listed in-process
// as if none were named, as git lists it.
func TestUnreadableCAFileIsGitsToReport(t *testing.T) {
	const oid, token = "2222222222222222222222222222222222222222", "tls-token-0123456789"
	var asked atomic.Int64
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		service := r.URL.Query().Get("service")
		w.Header().Set("Content-Type", "application/x-"+service+"-advertisement")
		fmt.Fprint(w, pktLine("# service="+service+"\n")+"0000"+
			pktLine(oid+" refs/heads/main\x00report-status agent=git/2\n")+"0000")
	})
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing-ca.pem")
	for _, tc := range []struct {
		name string
		srv  *httptest.Server
	}{
		{"https", httptest.NewTLSServer(handler)},
		{"http", httptest.NewServer(handler)},
	} {
		defer tc.srv.Close()
		asked.Store(0)
		u, _ := url.Parse(tc.srv.URL)
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=" + filepath.Join(dir, "gitconfig"), "FEDERATE_KEYRING=off", "GIT_SSL_CAINFO=" + missing,
			"FEDERATE_TOKEN_127_0_0_1_" + u.Port() + "=" + token}
		e, err := New(Config{Git: gitexec.Runner{Env: env}, CacheRoot: filepath.Join(dir, tc.name), Jobs: 2})
		if err != nil {
			t.Fatal(err)
		}
		origin, err1 := federation.ParseEndpoint(tc.srv.URL + "/origin.git")
		mirror, err2 := federation.ParseEndpoint(tc.srv.URL + "/mirror.git")
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		f := &federation.Federation{Name: "ca", Origin: origin, Mirrors: []federation.Endpoint{mirror}}
		res := e.Sync(context.Background(), f, Options{})
		requests, gitListings := e.Counters()
		e.Close()
		switch tc.name {
		case "https":
			if res.Outcome() != "failed" || !strings.Contains(res.Error, "unable to access") {
				t.Errorf("https: sync = %s, error %q: want git's failure", res.Outcome(), res.Error)
			}
			if gitListings == 0 {
				t.Errorf("https: no listing went to git (%d requests)", requests)
			}
			if requests != asked.Load() {
				t.Errorf("https: %d requests counted, %d reached the server: a request the TLS settings stopped was counted", requests, asked.Load())
			}
		case "http":
			if res.Outcome() != "ok" || requests != 2 || gitListings != 0 || asked.Load() != 2 {
				t.Errorf("http: sync = %s %q, %d requests (%d seen), %d git listings: want both listed in-process",
					res.Outcome(), res.Error, requests, asked.Load(), gitListings)
			}
		}
	}
}
