package sendpack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
)

const oid1 = "1111111111111111111111111111111111111111"

func pkt(s string) string { return string(appendPkt(nil, s)) }

// advertisement is a receive-pack advertisement of lines.
func advertisement(lines ...string) string {
	s := pkt("# service=git-receive-pack\n") + flush
	for _, l := range lines {
		s += pkt(l)
	}
	return s + flush
}

func serve(t *testing.T, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-git-receive-pack-advertisement")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestParseAdvertisement(t *testing.T) {
	a, err := ParseAdvertisement(strings.NewReader(advertisement(
		oid1+" refs/heads/main\x00report-status side-band-64k atomic agent=git/2\n",
		oid1+" .have\n",
		oid1+" refs/tags/v1\n")))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Refs) != 2 || a.OID("refs/tags/v1") != oid1 || len(a.Haves) != 1 || !a.Has("atomic") || !hasValue(a, "agent", "git/2") {
		t.Errorf("parsed %+v", a)
	}
	empty, err := ParseAdvertisement(strings.NewReader(advertisement(strings.Repeat("0", 40) + " capabilities^{}\x00report-status\n")))
	if err != nil || len(empty.Refs) != 0 || !empty.Has("report-status") {
		t.Errorf("empty repository: %+v, %v", empty, err)
	}
	// A line longer than a reader's buffer (capabilities git may grow)
	// is read whole, as are the lines around it.
	long := "agent=" + strings.Repeat("x", 9000)
	a, err = ParseAdvertisement(strings.NewReader(advertisement(oid1+" refs/heads/main\x00atomic "+long+"\n", strings.Repeat("2", 40)+" refs/heads/next\n")))
	if err != nil || len(a.Refs) != 2 || a.OID("refs/heads/next") != strings.Repeat("2", 40) || !hasValue(a, "agent", long[len("agent="):]) {
		t.Errorf("a long line: %v, refs %+v", err, a.Refs)
	}
}

// An answer read whole up to its last flush stands when the read then
// fails (a connection dropped after the answer) or more follows; one
// cut short is an error that says why the read ended.
func TestParseAdvertisementReadToItsEnd(t *testing.T) {
	whole := advertisement(oid1 + " refs/heads/main\x00report-status\n")
	dropped := errors.New("connection reset by peer")
	a, err := ParseAdvertisement(io.MultiReader(strings.NewReader(whole+"trailing"), iotest.ErrReader(dropped)))
	if err != nil || a.OID("refs/heads/main") != oid1 {
		t.Errorf("whole answer, then a failed read: %+v, %v", a, err)
	}
	_, err = ParseAdvertisement(io.MultiReader(strings.NewReader(whole[:len(whole)-10]), iotest.ErrReader(dropped)))
	if !errors.Is(err, dropped) {
		t.Errorf("an answer cut short: %v, want the read's error", err)
	}
	if _, err := ParseAdvertisement(strings.NewReader(whole[:len(whole)-4])); err == nil {
		t.Error("an answer without its last flush was taken")
	}
}

// A server speaking protocol v1 (git-http-backend with GIT_PROTOCOL=
// version=1) starts its advertisement with "version 1": the refs and
// capabilities after it are read as git reads them; a second such line
// is not an advertisement.
func TestParseAdvertisementVersion1(t *testing.T) {
	a, err := ParseAdvertisement(strings.NewReader(advertisement("version 1\n",
		oid1+" refs/heads/main\x00report-status atomic\n", oid1+" refs/tags/v1\n")))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Refs) != 2 || a.OID("refs/heads/main") != oid1 || !a.Has("atomic") {
		t.Errorf("parsed %+v", a)
	}
	empty, err := ParseAdvertisement(strings.NewReader(advertisement("version 1\n", strings.Repeat("0", 40)+" capabilities^{}\x00report-status\n")))
	if err != nil || len(empty.Refs) != 0 || !empty.Has("report-status") {
		t.Errorf("empty repository: %+v, %v", empty, err)
	}
	if _, err := ParseAdvertisement(strings.NewReader(advertisement("version 1\n", "version 1\n", oid1+" refs/heads/main\x00report-status\n"))); err == nil {
		t.Error("two version lines were taken")
	}
}

// A hostile or broken server's advertisement is refused, with an error
// that says what was wrong, in clean text, and nothing is pushed.
func TestAdvertiseRefusesHostile(t *testing.T) {
	for name, c := range map[string]struct{ body, want string }{
		"bad ref name":  {advertisement(oid1 + " refs/heads/x\x1b]0;pwned\x07\x00report-status\n"), "invalid ref name"},
		"option-like":   {advertisement(oid1 + " --upload-pack=evil\n"), "invalid ref name"},
		"huge line":     {pkt("# service=git-receive-pack\n") + flush + "ffff" + strings.Repeat("a", 70000), "more than git's"},
		"bad length":    {pkt("# service=git-receive-pack\n") + flush + "zzzz", "malformed pkt-line length"},
		"bad object":    {advertisement("xyz refs/heads/main\n"), "malformed ref advertisement line"},
		"not smart":     {"0123456789abcdef refs/heads/main\n", "not a git smart-HTTP"},
		"truncated":     {pkt("# service=git-receive-pack\n") + flush + pkt(oid1+" refs/heads/main\n"), "unexpected EOF"},
		"cut line":      {pkt("# service=git-receive-pack\n") + flush + pkt(oid1 + " refs/heads/main\n")[:30], "unexpected EOF"},
		"cut long line": {pkt("# service=git-receive-pack\n") + flush + pkt(oid1 + " refs/heads/main\x00" + strings.Repeat("x", 9000))[:6000], "unexpected EOF"},
		"late caps":     {advertisement(oid1+" refs/heads/a\n", oid1+" refs/heads/b\x00atomic\n"), "capabilities after the first ref"},
		"dot-dot":       {advertisement(oid1 + " refs/heads/../../config\n"), "invalid ref name"},
		"outside refs/": {advertisement(oid1 + " config\n"), "invalid ref name"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := serve(t, c.body)
			cl, err := New(Config{URL: srv.URL + "/app.git", User: "u", Token: "secret-token", Clean: redact.New()})
			if err != nil {
				t.Fatal(err)
			}
			_, err = cl.Advertise(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one saying %q", err, c.want)
			}
			if strings.ContainsAny(err.Error(), "\x1b\x07") {
				t.Errorf("error carries control characters: %q", err)
			}
		})
	}
}

// A redirect to another server is never followed: the token goes to no
// other server.
func TestRedirectRefused(t *testing.T) {
	var got []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusMovedPermanently)
	}))
	defer srv.Close()
	cl, err := New(Config{URL: srv.URL + "/app.git", User: "u", Token: "secret-token"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.Advertise(context.Background())
	var re *RedirectError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "redirected the request to "+other.URL) {
		t.Errorf("err = %v, want the redirect refused", err)
	}
	if len(got) != 0 {
		t.Errorf("the other server got %d requests", len(got))
	}
}

// A token never goes over plain http to another machine.
func TestNoTokenOverPlainHTTP(t *testing.T) {
	if _, err := New(Config{URL: "http://example.com/app.git", Token: "secret-token"}); err == nil {
		t.Error("a client sending a token over plain http to example.com was made")
	}
	if _, err := New(Config{URL: "https://example.com/app.git", Token: "secret-token"}); err != nil {
		t.Error(err)
	}
}

// sideband wraps data in channel band's pkt-lines.
func sideband(band byte, data string) string { return pkt(string([]byte{band}) + data) }

func TestReadResult(t *testing.T) {
	report := pkt("unpack ok\n") + pkt("ok refs/heads/main\n") + pkt("ng refs/heads/x pre-receive hook declined\n") + flush
	res, err := ReadResult(strings.NewReader(sideband(2, "hook says no\n")+sideband(1, report)+flush), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Refs["refs/heads/main"].OK || res.Refs["refs/heads/x"].Reason != "pre-receive hook declined" || res.Said != "remote: hook says no\n" {
		t.Errorf("parsed %+v", res)
	}
	res, err = ReadResult(strings.NewReader(pkt("unpack index-pack abnormal exit\n")+flush), false, nil)
	if err != nil || res.Unpack != "index-pack abnormal exit" {
		t.Errorf("unpack error: %+v, %v", res, err)
	}
	var shown bytes.Buffer
	if _, err := ReadResult(strings.NewReader(sideband(3, "out of disk")+flush), true, NewDisplay(&shown, false, nil)); err == nil || !strings.Contains(err.Error(), "out of disk") {
		t.Errorf("channel 3: err = %v", err)
	}
	if shown.String() != "remote: out of disk        \n" {
		t.Errorf("channel 3 shown as %q, not as git shows it", shown.String())
	}
	if _, err := ReadResult(strings.NewReader(pkt("garbage\n")+flush), false, nil); err == nil {
		t.Error("a report without unpack was taken")
	}
}

// Push sends the commands with the capabilities asked and announced,
// then the pack, and refuses options the server did not announce.
func TestPushRequest(t *testing.T) {
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		b.ReadFrom(r.Body)
		body = b.Bytes()
		w.Header().Set("Content-Type", "application/x-git-receive-pack-result")
		fmt.Fprint(w, pkt("unpack ok\n")+pkt("ok refs/heads/main\n")+flush)
	}))
	defer srv.Close()
	cl, _ := New(Config{URL: srv.URL + "/app.git/"})
	adv := &Advertisement{Caps: "report-status push-options"}
	cmds := []Command{{Old: strings.Repeat("0", 40), New: oid1, Ref: "refs/heads/main"}}
	res, err := cl.Push(context.Background(), adv, cmds, strings.NewReader("PACK..."), 7, Options{PushOptions: []string{"ci.skip"}})
	if err != nil || !res.Refs["refs/heads/main"].OK {
		t.Fatalf("push: %+v, %v", res, err)
	}
	want := pkt(cmds[0].Old+" "+oid1+" refs/heads/main\x00report-status push-options agent="+Agent+"\n") + flush + pkt("ci.skip\n") + flush + "PACK..."
	if string(body) != want {
		t.Errorf("request body\n%q\nwant\n%q", body, want)
	}
	if _, err := cl.Push(context.Background(), adv, cmds, nil, 0, Options{Atomic: true}); err == nil || !strings.Contains(err.Error(), "does not support atomic") {
		t.Errorf("atomic without the capability: err = %v", err)
	}
}

func FuzzParseAdvertisement(f *testing.F) {
	f.Add([]byte(advertisement(oid1 + " refs/heads/main\x00report-status\n")))
	f.Add([]byte(advertisement(strings.Repeat("0", 40) + " capabilities^{}\x00atomic\n")))
	f.Add([]byte(advertisement("version 1\n", oid1+" refs/heads/main\x00report-status\n")))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAdvertisement(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, r := range a.Refs {
			if !refs.ValidName(r.Name) || strings.ContainsAny(r.Name, " \n\x00") {
				t.Fatalf("invalid ref name taken: %q", r.Name)
			}
		}
	})
}

func FuzzReadResult(f *testing.F) {
	f.Add([]byte(pkt("unpack ok\n")+pkt("ok refs/heads/main\n")+flush), false)
	f.Add([]byte(sideband(1, pkt("unpack ok\n")+pkt("ng refs/heads/x no\n")+flush)+flush), true)
	f.Fuzz(func(t *testing.T, b []byte, sb bool) {
		res, err := ReadResult(bytes.NewReader(b), sb, nil)
		if err == nil && res == nil {
			t.Fatal("no result and no error")
		}
		if err != nil && errors.Is(err, errFlush) {
			t.Fatal("flush leaked as an error")
		}
	})
}

// An upload-pack advertisement (what a fetch or a sync's listing reads)
// parses, the peeled values of annotated tags left out of the refs; a
// receive-pack parse refuses it.
func TestParseUploadPackAdvertisement(t *testing.T) {
	const oid2 = "2222222222222222222222222222222222222222"
	body := pkt("# service=git-upload-pack\n") + flush +
		pkt(oid1+" HEAD\x00multi_ack symref=HEAD:refs/heads/main agent=git/2\n") +
		pkt(oid1+" refs/heads/main\n") + pkt(oid2+" refs/tags/v1\n") + pkt(oid1+" refs/tags/v1^{}\n") + flush
	a, err := ParseServiceAdvertisement(strings.NewReader(body), UploadPack)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Refs) != 3 || a.OID("refs/tags/v1") != oid2 || a.OID("refs/heads/main") != oid1 {
		t.Errorf("parsed %+v", a.Refs)
	}
	if _, err := ParseAdvertisement(strings.NewReader(body)); err == nil {
		t.Error("an upload-pack advertisement passed for a receive-pack one")
	}
}

// The push request goes chunked where git's does (past http.postBuffer,
// httpx.Settings.Chunked), else with its length, and says which at
// git's -v -v in git's words.
func TestPushChunkedPastPostBuffer(t *testing.T) {
	type seen struct {
		length  int64
		chunked bool
		body    int
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		b.ReadFrom(r.Body)
		got <- seen{r.ContentLength, slices.Contains(r.TransferEncoding, "chunked"), b.Len()}
		w.Header().Set("Content-Type", "application/x-git-receive-pack-result")
		fmt.Fprint(w, pkt("unpack ok\n")+pkt("ok refs/heads/main\n")+flush)
	}))
	defer srv.Close()
	adv := &Advertisement{Caps: "report-status"}
	cmds := []Command{{Old: strings.Repeat("0", 40), New: oid1, Ref: "refs/heads/main"}}
	pack := strings.Repeat("P", 100<<10)
	for _, tc := range []struct {
		postBuffer int64 // 0: not set
		chunked    bool
		said       string
	}{
		{0, false, "POST git-receive-pack (102546 bytes)\n"},
		{65520, true, "POST git-receive-pack (chunked)\n"},
	} {
		cl, err := New(Config{URL: srv.URL + "/app.git", HTTP: httpx.Settings{PostBuffer: tc.postBuffer}})
		if err != nil {
			t.Fatal(err)
		}
		var verbose bytes.Buffer
		if _, err := cl.Push(context.Background(), adv, cmds, strings.NewReader(pack), int64(len(pack)), Options{Verbose: &verbose}); err != nil {
			t.Fatalf("postBuffer %d: %v", tc.postBuffer, err)
		}
		s := <-got
		if s.chunked != tc.chunked || (s.length < 0) != tc.chunked || s.body != 102546 {
			t.Errorf("postBuffer %d: server saw length %d, chunked %v, %d bytes; want chunked %v, 102546 bytes", tc.postBuffer, s.length, s.chunked, s.body, tc.chunked)
		}
		if verbose.String() != tc.said {
			t.Errorf("postBuffer %d: said %q, want git's %q", tc.postBuffer, verbose.String(), tc.said)
		}
	}
}

func hasValue(a *Advertisement, name, want string) bool {
	v, ok := a.Capability(name)
	return ok && v == want
}

// Capabilities are read by name from the list as sent: a name with a
// value, one without, one that is only a prefix of another, one absent.
func TestCapabilityByName(t *testing.T) {
	a := &Advertisement{Caps: "report-status-v2 object-format=sha256 atomic agent=git/2.39.5 object-format=sha1"}
	for _, c := range []struct {
		name, value string
		ok          bool
	}{
		{"atomic", "", true},
		{"object-format", "sha256", true}, // the first announcement counts
		{"agent", "git/2.39.5", true},
		{"report-status", "", false}, // only report-status-v2 was sent
		{"push-options", "", false},
	} {
		if v, ok := a.Capability(c.name); v != c.value || ok != c.ok {
			t.Errorf("Capability(%q) = %q, %v; want %q, %v", c.name, v, ok, c.value, c.ok)
		}
	}
}

// A pkt-line length is four hexadecimal digits in either case; anything
// else is refused as git refuses it.
func TestPktLength(t *testing.T) {
	for hdr, want := range map[string]int{"0000": 0, "0004": 4, "00a5": 0xa5, "00A5": 0xa5, "fff0": 0xfff0} {
		if n, ok := pktLen([4]byte([]byte(hdr))); !ok || int(n) != want {
			t.Errorf("pktLen(%q) = %d, %v; want %d", hdr, n, ok, want)
		}
	}
	for _, hdr := range []string{"zzzz", "+123", "-001", " 004", "0x04", "00g0"} {
		if _, ok := pktLen([4]byte([]byte(hdr))); ok {
			t.Errorf("pktLen(%q) accepted", hdr)
		}
	}
}

// The repository's URL is asked for as written, plus /info/refs, as git
// does: an escaped character in its path is not decoded into another
// path.
func TestAdvertiseAsksForTheURLAsWritten(t *testing.T) {
	var asked string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.RequestURI
		w.Header().Set("Content-Type", "application/x-git-receive-pack-advertisement")
		fmt.Fprint(w, advertisement(oid1+" refs/heads/main\x00report-status\n"))
	}))
	t.Cleanup(srv.Close)
	cl, err := New(Config{URL: srv.URL + "/group%2Fproj.git", User: "u", Token: "secret-token", Clean: redact.New()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Advertise(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := "/group%2Fproj.git/info/refs?service=git-receive-pack"; asked != want {
		t.Errorf("asked for %q, want %q", asked, want)
	}
}
