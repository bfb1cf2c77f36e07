// Package sendpack is a smart-HTTP receive-pack client (git's send-pack
// over net/http): it lists a server's refs for a push and sends it ref
// updates with a pack computed elsewhere, so that one pack can go to
// several servers. Requests go through internal/httpx, the one client
// that carries tokens: the token goes up front in a Basic header, only
// over https or to this machine; a redirect is followed only within the
// server, on the listing, and the push then goes where the listing came
// from (as git's http.followRedirects=initial); every text of the server
// is cleaned before it is shown.
package sendpack

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/internal/stall"
)

// Bounds on what a server may send back.
const (
	// maxAdvertisement bounds a ref advertisement: a million refs.
	maxAdvertisement = 128 << 20
	// maxReport bounds the answer to a push (report, progress, hooks).
	maxReport = 16 << 20
	// maxSaid bounds the server's own words (sideband 2) kept.
	maxSaid = 64 << 10
)

// Agent is the agent capability sent.
const Agent = "git-remote-federate"

// Client pushes to one repository over smart HTTP.
type Client struct {
	mu    sync.Mutex
	url   *url.URL // the repository, without user info; moved by a followed redirect
	cred  httpx.Credential
	http  *httpx.Client
	clean *redact.Redactor
	// chunked says whether a request body of n bytes goes chunked, as
	// git sends it (httpx.Settings.Chunked).
	chunked func(n int64) bool
}

// Config says how to reach one repository.
type Config struct {
	// URL is the http(s) repository URL.
	URL string
	// User and Token go with every request (when Token is set): only
	// over https, or over http to this machine (httpx.CheckToken).
	User, Token string
	// Clean cleans every text of the server.
	Clean *redact.Redactor
	// Stall, when set, gives up a request that moves no byte for that
	// long, naming StallKey.
	Stall    time.Duration
	StallKey string
	// HTTP is git's http configuration for the repository's URL
	// (httpx.Resolve): proxy, TLS, extra headers, cookies.
	HTTP httpx.Settings
}

// New is the client for cfg.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, i18n.Errorf("%s: not an http(s) repository URL", cfg.URL)
	}
	if cfg.Token != "" {
		if err := httpx.CheckToken(u); err != nil {
			return nil, err
		}
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/") // "" when the path needs no escape of its own
	var limit *stall.Error
	if cfg.Stall > 0 {
		limit = &stall.Error{Limit: cfg.Stall, Key: cfg.StallKey}
	}
	hc, err := httpx.New(httpx.Config{Settings: cfg.HTTP, Stall: limit, UserAgent: "git/" + Agent})
	if err != nil {
		return nil, err
	}
	return &Client{url: u, cred: httpx.Basic(cfg.User, cfg.Token), http: hc, clean: cfg.Clean, chunked: cfg.HTTP.Chunked}, nil
}

// CheckTLS reports, ahead of the push, the *httpx.TLSError its requests
// would fail with (a CA file or client certificate git's settings name
// that cannot be read); the files it reads serve the push.
func (c *Client) CheckTLS() error { return c.http.CheckTLS(c.url.String()) }

// RedirectError is a redirect the client did not follow (to another
// server, or of the push itself): the token would go with it.
type RedirectError = httpx.RedirectError

// SaveCookies keeps the cookies the server set, when git's
// configuration says so (http.saveCookies).
func (c *Client) SaveCookies() error { return c.http.SaveCookies() }

// host is the repository's host, for messages.
func (c *Client) host() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.url.Host
}

// endpoint is the URL of path under the repository, with query: the
// repository's path as written (an escaped %2F stays escaped, as git
// sends it), then path.
func (c *Client) endpoint(path, query string) string {
	c.mu.Lock()
	u := *c.url
	c.mu.Unlock()
	if u.RawPath != "" {
		u.RawPath += path
	}
	u.Path += path
	u.RawQuery = query
	return u.String()
}

// do sends req with the credential, under the stall limit, and checks
// the answer's status and type; the caller closes the body.
func (c *Client) do(req *http.Request, wantType string) (*http.Response, error) {
	resp, err := c.http.Do(req, c.cred)
	if se := (*stall.Error)(nil); errors.As(err, &se) {
		return nil, se
	}
	if re := (*RedirectError)(nil); errors.As(err, &re) {
		return nil, re
	}
	if err != nil && req.Method == http.MethodPost && broke(err) {
		return nil, ErrBroke
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL
		}
		return nil, i18n.Errorf("%s: %s", c.host(), c.clean.Clean(err.Error()))
	}
	c.moved(req, resp)
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		said := c.clean.Clean(strings.Join(strings.Fields(string(body)), " "))
		return nil, &HTTPError{Host: c.host(), Status: resp.StatusCode, Said: said}
	}
	if got := resp.Header.Get("Content-Type"); !strings.EqualFold(strings.TrimSpace(strings.Split(got, ";")[0]), wantType) {
		_, err := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		if err != nil && req.Method == http.MethodPost && broke(err) {
			return nil, ErrBroke // an answer begun, then the connection cut
		}
		return nil, i18n.Errorf("%s: answered %s, not git's %s", c.host(), c.clean.Clean(clip(got)), wantType)
	}
	return resp, nil
}

// moved takes the repository's new place from a listing that was
// redirected within the server, as git does: the push goes there.
func (c *Client) moved(req *http.Request, resp *http.Response) {
	final := resp.Request.URL
	if req.Method != http.MethodGet || final.Path == req.URL.Path {
		return
	}
	base, ok := strings.CutSuffix(final.Path, "/info/refs")
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	u := *c.url
	u.Scheme, u.Host, u.Path, u.RawPath = final.Scheme, final.Host, base, ""
	c.url = &u
}

// ErrBroke is a connection that broke while the push was sent or
// answered: the server may or may not have taken it.
var ErrBroke = i18n.Errorf("the connection broke during the push")

// broke reports whether err is a connection cut midway.
func broke(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF)
}

// HTTPError is an answer other than 200 OK.
type HTTPError struct {
	Host   string
	Status int
	Said   string // the start of the body, cleaned
}

func (e *HTTPError) Error() string { return e.msg().String() }

// Localize is the error in p's language.
func (e *HTTPError) Localize(p *i18n.Printer) string { return e.msg().Localize(p) }

// msg says the status, and the server's words when they help: never
// for a refused credential (the hint that goes with it says what to
// do), never a web page (git shows neither).
func (e *HTTPError) msg() i18n.Msg {
	if e.Said == "" || e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden ||
		strings.HasPrefix(e.Said, "<") {
		return i18n.M("%s answered HTTP %d", e.Host, e.Status)
	}
	return i18n.M("%s answered HTTP %d: %s", e.Host, e.Status, e.Said)
}

// Advertise asks the server for its refs and capabilities for a push:
// one request, with the credential.
func (c *Client) Advertise(ctx context.Context) (*Advertisement, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint("/info/refs", "service=git-receive-pack"), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(req, "application/x-git-receive-pack-advertisement")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	lr := &io.LimitedReader{R: resp.Body, N: maxAdvertisement}
	a, err := ParseAdvertisement(lr)
	if se := (*stall.Error)(nil); errors.As(err, &se) {
		return nil, se
	}
	if lr.N <= 0 {
		return nil, i18n.Errorf("%s: ref advertisement larger than %d bytes", c.host(), maxAdvertisement)
	}
	if err != nil {
		return nil, i18n.Errorf("%s: %s", c.host(), c.clean.Clean(err.Error()))
	}
	return a, nil
}

// Command is one ref update; Old and New are object names, all zeros
// for a creation (Old) or a deletion (New).
type Command struct {
	Old, New, Ref string
}

// Options are what a push asks of the server, and how it is shown.
type Options struct {
	Atomic      bool     // all or nothing; the server must support it
	PushOptions []string // for its hooks; the server must support them
	// Said, when set, gets the server's words (side-band channel 2) as
	// they arrive, raw: a Display that cleans them; else they are kept,
	// cleaned, in Result.Said.
	Said io.Writer
	// Progress, when set, shows the upload of the pack, and the server
	// is not asked to be quiet: its own progress ("Resolving deltas")
	// comes with its words, as git's send-pack asks for it.
	Progress *Progress
	// Verbose, when set, gets git's line on how the request is sent
	// ("POST git-receive-pack (chunked)" or "(N bytes)"), which git
	// prints at -v -v.
	Verbose io.Writer
}

// Result is the server's report of a push.
type Result struct {
	// Unpack is "" when the server took the pack, else its error.
	Unpack string
	// Refs are the reports by ref name.
	Refs map[string]RefResult
	// Said is what the server said on the way (hooks), one "remote: "
	// line each, cleaned.
	Said string
}

// RefResult is the server's verdict on one ref.
type RefResult struct {
	OK     bool
	Reason string // for !OK, cleaned
}

// Push sends cmds and, unless pack is nil, the size bytes of pack,
// with what adv announced the server supports, and returns the
// server's report. An error means the push failed as a whole; refs it
// did not report are then unknown.
func (c *Client) Push(ctx context.Context, adv *Advertisement, cmds []Command, pack io.Reader, size int64, o Options) (*Result, error) {
	if len(cmds) == 0 {
		return &Result{Refs: map[string]RefResult{}}, nil
	}
	caps := []string{"report-status"}
	sideband := adv.Has("side-band-64k")
	for _, c := range []struct {
		name string
		want bool
	}{{"side-band-64k", true}, {"quiet", o.Progress == nil}, {"atomic", o.Atomic}, {"push-options", len(o.PushOptions) > 0}} {
		if !c.want {
			continue
		}
		if adv.Has(c.name) {
			caps = append(caps, c.name)
		} else if c.name == "atomic" || c.name == "push-options" {
			return nil, i18n.Errorf("the receiving end does not support %s", c.name)
		}
	}
	if of, ok := adv.Capability("object-format"); ok {
		caps = append(caps, "object-format="+of)
	}
	caps = append(caps, "agent="+Agent)
	var head []byte
	for i, cmd := range cmds {
		line := cmd.Old + " " + cmd.New + " " + cmd.Ref
		if i == 0 {
			line += "\x00" + strings.Join(caps, " ")
		}
		head = appendPkt(head, line+"\n")
	}
	head = append(head, flush...)
	if len(o.PushOptions) > 0 {
		for _, po := range o.PushOptions {
			head = appendPkt(head, po+"\n")
		}
		head = append(head, flush...)
	}
	var body io.Reader = bytes.NewReader(head)
	length := int64(len(head))
	if pack != nil {
		if o.Progress != nil {
			pack = newMeter(*o.Progress, pack, size)
		}
		body = io.MultiReader(body, pack)
		length += size
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint("/git-receive-pack", ""), body)
	if err != nil {
		return nil, err
	}
	if c.chunked(length) {
		req.ContentLength = -1 // net/http sends it chunked, as git does past http.postBuffer
	} else {
		req.ContentLength = length
	}
	if o.Verbose != nil {
		// git's words at -v -v, which it does not translate.
		if req.ContentLength < 0 {
			fmt.Fprintf(o.Verbose, "POST git-receive-pack (chunked)\n")
		} else {
			fmt.Fprintf(o.Verbose, "POST git-receive-pack (%d bytes)\n", length)
		}
	}
	req.Header.Set("Content-Type", "application/x-git-receive-pack-request")
	req.Header.Set("Accept", "application/x-git-receive-pack-result")
	resp, err := c.do(req, "application/x-git-receive-pack-result")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res, err := ReadResult(io.LimitReader(resp.Body, maxReport), sideband, o.Said)
	if se := (*stall.Error)(nil); errors.As(err, &se) {
		return nil, se
	}
	if err != nil && broke(err) {
		return nil, ErrBroke
	}
	if err != nil {
		return nil, i18n.Errorf("%s: %s", c.host(), c.clean.Clean(err.Error()))
	}
	res.Said = c.clean.CleanLines(res.Said)
	res.Unpack = c.clean.Clean(res.Unpack)
	for ref, r := range res.Refs {
		r.Reason = c.clean.Clean(r.Reason)
		res.Refs[ref] = r
	}
	return res, nil
}

// bounded keeps at most n bytes written to it.
type bounded struct {
	b *strings.Builder
	n int
}

func (k *bounded) Write(p []byte) (int, error) {
	k.b.Write(p[:min(len(p), max(k.n-k.b.Len(), 0))])
	return len(p), nil
}

// ReadResult reads the answer to a push: the report-status, inside
// side-band channel 1 when sideband is set (channel 2 is the server's
// words, channel 3 a fatal error). The server's words go to said as
// they arrive when it is set, else to Result.Said. Texts are returned
// raw: the caller cleans them.
func ReadResult(r io.Reader, sideband bool, said io.Writer) (*Result, error) {
	br := bufio.NewReaderSize(r, maxPkt)
	res := &Result{Refs: map[string]RefResult{}}
	if !sideband {
		return res, readReport(br, res)
	}
	var report bytes.Buffer
	var kept strings.Builder
	if said == nil {
		said = &bounded{b: &kept, n: maxSaid}
	}
	for {
		data, err := readPkt(br)
		if errors.Is(err, errFlush) {
			break
		}
		if err != nil {
			return nil, i18n.Errorf("reading the push's answer: %w", err)
		}
		if len(data) == 0 {
			continue
		}
		switch data[0] {
		case 1:
			report.Write(data[1:])
		case 2:
			said.Write(data[1:])
		case 3:
			// git's sideband.c shows it as the server's words, too
			said.Write(append(bytes.TrimRight(data[1:], "\n"), '\n'))
			return nil, i18n.Errorf("the server failed: %s", strings.TrimSpace(string(data[1:])))
		default:
			return nil, i18n.Errorf("unknown side-band channel %d", data[0])
		}
	}
	for _, l := range strings.FieldsFunc(kept.String(), func(r rune) bool { return r == '\n' || r == '\r' }) {
		res.Said += "remote: " + l + "\n"
	}
	return res, readReport(bufio.NewReader(&report), res)
}

// readReport parses report-status: "unpack ok" or "unpack <error>",
// then "ok <ref>" or "ng <ref> <reason>" per ref, then a flush.
func readReport(br *bufio.Reader, res *Result) error {
	data, err := readPkt(br)
	if err != nil {
		return i18n.Errorf("the server sent no push report")
	}
	unpack, ok := strings.CutPrefix(strings.TrimSuffix(string(data), "\n"), "unpack ")
	if !ok {
		return i18n.Errorf("malformed push report line %q", clip(string(data)))
	}
	if unpack != "ok" {
		res.Unpack = unpack
	}
	for {
		data, err := readPkt(br)
		if errors.Is(err, errFlush) {
			return nil
		}
		if err != nil {
			return i18n.Errorf("reading the push report: %w", err)
		}
		line := strings.TrimSuffix(string(data), "\n")
		verdict, rest, _ := strings.Cut(line, " ")
		ref, reason, _ := strings.Cut(rest, " ")
		switch {
		case ref == "":
			return i18n.Errorf("malformed push report line %q", clip(line))
		case verdict == "ok":
			res.Refs[ref] = RefResult{OK: true}
		case verdict == "ng":
			res.Refs[ref] = RefResult{Reason: reason}
		default:
			return i18n.Errorf("malformed push report line %q", clip(line))
		}
	}
}
