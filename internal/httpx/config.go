package httpx

import (
	"context"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

// Settings is what git's http configuration says for one URL: the keys
// http.<key> and http.<url>.<key> (the most specific URL wins, matched as
// git's urlmatch.c does) and the environment git reads (GIT_SSL_*,
// http_proxy, https_proxy, no_proxy …).
type Settings struct {
	// SSLNoVerify is set when http.sslVerify=false or GIT_SSL_NO_VERIFY
	// turn certificate checks off; the zero value checks them.
	SSLNoVerify bool
	// CAInfo and CAPath are the certificates trusted (http.sslCAInfo,
	// GIT_SSL_CAINFO; http.sslCAPath, GIT_SSL_CAPATH); empty means the
	// system's roots.
	CAInfo, CAPath string
	// SSLCert and SSLKey are the client certificate and its key.
	SSLCert, SSLKey string
	// Proxy is the proxy URL for the server ("" for none): http.proxy,
	// else the environment, with no_proxy applied.
	Proxy string
	// ProxyKey names where Proxy came from ("http.proxy", "https_proxy" …).
	ProxyKey string
	// ExtraHeaders are http.extraHeader lines, "Name: value".
	ExtraHeaders []string
	// CookieFile and SaveCookies are http.cookieFile and http.saveCookies.
	CookieFile  string
	SaveCookies bool
	// LowSpeedTime is http.lowSpeedTime (GIT_HTTP_LOW_SPEED_TIME) when
	// the speed limit is at most 1 byte/s: a server that moves nothing
	// for that long is given up.
	LowSpeedTime time.Duration
	// UserAgent is http.userAgent or GIT_HTTP_USER_AGENT.
	UserAgent string
	// PostBuffer is http.postBuffer as git uses it (at least
	// largePacketMax), 0 when not set: see Chunked.
	PostBuffer int64
	// Unhonoured lists the keys and variables that apply to the URL and
	// that this client cannot honour: a request that must behave as git
	// would goes through git's transport when it is not empty.
	Unhonoured []string
	// Forbidden: git may not use the URL's protocol here (ProtocolAllowed).
	// Nothing is sent; git's transport refuses it, in its words.
	Forbidden bool
}

// ConfigSections are the sections of git config Resolve reads: the http
// settings, credential keys, URL rewrites and which protocols git may
// use. A caller that reads git config anyway (the helper's and sync's one
// run, federation.LoadWith) reads them in the same run.
func ConfigSections() []string { return []string{"http", "url", "credential", "protocol"} }

// configPattern is the pattern of `git config --get-regexp` that reads
// ConfigSections alone.
func configPattern() string { return `^(` + strings.Join(ConfigSections(), "|") + `)\.` }

// ReadConfig reads ConfigSections with r (`git config --get-regexp`), in
// git's order, for a caller that reads nothing else of git config; with
// showScope each entry has its scope.
func ReadConfig(ctx context.Context, r gitexec.Runner, showScope bool) ([]gitexec.ConfigEntry, error) {
	return r.ConfigRegexp(ctx, configPattern(), showScope)
}

// Resolve is the Settings git would apply to rawURL from config entries
// (git config's ConfigSections, in git's order) and the environment getenv
// reads. A credential username or useHttpPath is listed in Unhonoured:
// git's transport would send something else. A url.*.insteadOf rule is
// not: every transport of ours reaches rawURL itself.
func Resolve(entries []gitexec.ConfigEntry, getenv func(string) string, rawURL string) Settings {
	return resolve(entries, getenv, rawURL)
}

// SettingsFor gives the Settings git would apply to a URL.
type SettingsFor func(rawURL string) Settings

// ResolverOf is Resolve over entries and getenv, for any URL: what a
// client that reaches more than one server (an LFS client and the
// storage servers it is sent to, a forge API client) is given.
func ResolverOf(entries []gitexec.ConfigEntry, getenv func(string) string) SettingsFor {
	return func(rawURL string) Settings { return resolve(entries, getenv, rawURL) }
}

// largePacketMax is git's LARGE_PACKET_MAX, the largest pkt-line, and
// the least http.postBuffer git uses.
const largePacketMax = 65520

// DefaultPostBuffer is git's http.postBuffer when none is set.
const DefaultPostBuffer = 16 * largePacketMax

// Chunked reports whether git sends a request body of n bytes with
// "Transfer-Encoding: chunked" rather than with its length: git's
// remote-curl reads a request into a buffer of http.postBuffer bytes (at
// least largePacketMax), one packet at a time while a whole packet still
// fits, and sends it chunked when the buffer fills before the request
// ends. A server (or a proxy) that takes only one of the two is what the
// setting is for.
func (s Settings) Chunked(n int64) bool {
	buf := max(s.PostBuffer, largePacketMax)
	if s.PostBuffer == 0 {
		buf = DefaultPostBuffer
	}
	return n > buf-largePacketMax
}
