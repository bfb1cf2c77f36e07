// Package federation is the model of a federation: an origin and its
// mirrors, the URLs that name them, and the git config that defines them.
package federation

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/git-remote-federate/git-remote-federate/internal/hostname"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// ErrBadURL is wrapped by every error about a URL that cannot be used.
var ErrBadURL = i18n.Errorf("unusable URL")

// Endpoint is one server's repository URL, checked and parsed.
type Endpoint struct {
	// Raw is the URL as configured; it is what child git processes get.
	Raw string
	// Protocol is https, http, ssh, git or file.
	Protocol string
	// Host is the canonical host (hostname.Canonical: ASCII form,
	// lower-cased in ASCII only), with ":port" when the port is not the
	// protocol's default. Empty for file.
	Host string
	// Path is the repository path on the server, without a trailing slash.
	Path string
}

// scpLike is an scp-like address, "[user@]host:path"; compiled at first
// use.
var scpLike = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:[^@/]+@)?([^:/]+):(.*)$`) })

// ParseEndpoint checks and parses a repository URL in any form git takes:
// https, http, ssh (URL or scp-like), git, file or a local path. It refuses
// remote-helper forms (ext::, fd::, any "<transport>::"), anything that
// begins with "-" (it could be read as an option), hosts that begin with
// "-", and URLs that carry a password: tokens belong in the keyring.
func ParseEndpoint(raw string) (Endpoint, error) {
	if e, ok := parseWeb(raw); ok {
		return e, nil
	}
	return parseAny(raw)
}

// parseAny is ParseEndpoint for a URL of any form.
func parseAny(raw string) (Endpoint, error) {
	// A refusal says the URL with its credentials masked (MaskURL): it
	// may be refused before, or for another reason than, the password it
	// holds.
	if raw == "" {
		return Endpoint{}, i18n.Errorf("%w: empty", ErrBadURL)
	}
	if strings.HasPrefix(raw, "-") {
		return Endpoint{}, i18n.Errorf("%w: %q begins with '-'", ErrBadURL, MaskURL(raw))
	}
	if strings.ContainsAny(raw, "\x00\n\r") {
		return Endpoint{}, i18n.Errorf("%w: control character in URL", ErrBadURL)
	}
	if i := strings.Index(raw, "::"); i >= 0 && !strings.Contains(raw[:i], "/") {
		return Endpoint{}, i18n.Errorf("%w: %q: remote-helper URLs (%s::) are refused", ErrBadURL, MaskURL(raw), raw[:i])
	}
	if isLocalPath(raw) {
		abs, err := filepath.Abs(raw)
		if err != nil {
			return Endpoint{}, i18n.Errorf("%w: %q: %w", ErrBadURL, MaskURL(raw), err)
		}
		return Endpoint{Raw: raw, Protocol: "file", Path: strings.TrimSuffix(abs, "/")}, nil
	}
	if err := refuseCredentials(raw); err != nil {
		return Endpoint{}, err
	}
	ep, err := splitRemote(raw)
	if err != nil {
		return Endpoint{}, i18n.Errorf("%w: %q: %w", ErrBadURL, MaskURL(raw), err)
	}
	e := Endpoint{Raw: raw, Protocol: strings.ToLower(ep.Protocol), Path: strings.TrimSuffix(ep.Path, "/")}
	switch e.Protocol {
	case "https", "http", "ssh", "git":
	case "file":
		return e, nil
	default:
		return Endpoint{}, i18n.Errorf("%w: %q: protocol %q is not supported", ErrBadURL, MaskURL(raw), ep.Protocol)
	}
	host := ep.Host
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]" // an IPv6 address
	}
	// The one canonical form tokens are keyed by: a look-alike Unicode
	// host must not fold into the real one (gİthub.com is not github.com).
	host, err = hostname.Canonical(host)
	if err != nil || strings.HasPrefix(host, "-") {
		return Endpoint{}, i18n.Errorf("%w: %q: bad host", ErrBadURL, MaskURL(raw))
	}
	// ssh is given "user@host" as one argument: a user that begins with
	// "-" would be read as an option (CVE-2017-1000117).
	if strings.HasPrefix(ep.User, "-") {
		return Endpoint{}, i18n.Errorf("%w: %q: bad user name (begins with '-')", ErrBadURL, MaskURL(raw))
	}
	if !portInRange(ep.PortText) {
		return Endpoint{}, i18n.Errorf("%w: %q: port %s is out of range (at most 65535)", ErrBadURL, MaskURL(raw), ep.PortText)
	}
	e.Host = host
	if ep.Port != 0 && ep.Port != defaultPort[e.Protocol] {
		e.Host = fmt.Sprintf("%s:%d", host, ep.Port)
	}
	if !strings.HasPrefix(e.Path, "/") {
		e.Path = "/" + e.Path
	}
	return e, nil
}

// maxPort is the largest TCP port: git (curl, ssh) refuses a larger one.
const maxPort = 65535

// portInRange reports whether digits, a port as a URL wrote it ("" for
// none), can be a TCP port. It reads the digits, not splitRemote's Port:
// that is 0 (as go-git gives) for one too long for an int.
func portInRange(digits string) bool {
	if digits == "" {
		return true
	}
	n, err := strconv.Atoi(digits)
	return err == nil && n <= maxPort
}

var defaultPort = map[string]int{"https": 443, "http": 80, "ssh": 22, "git": 9418}

// parseWeb is parseAny's answer for the common form
// "http(s)://host[:port][/path]" with a plain host name or IPv4 address
// and nothing a parser would unescape or cut (no user, query, fragment,
// "%", backslash, space, control or non-ASCII character), which none of
// parseAny's refusals applies to; false for any other form, left to
// parseAny. It gives what parseAny gives (TestParseWebIsParseAny,
// FuzzParseWeb): parseAny's regular expressions and url.Parse were most
// of the parsing of 10,000 federations.
func parseWeb(raw string) (Endpoint, bool) {
	var protocol, rest string
	switch {
	case strings.HasPrefix(raw, "https://"):
		protocol, rest = "https", raw[len("https://"):]
	case strings.HasPrefix(raw, "http://"):
		protocol, rest = "http", raw[len("http://"):]
	default:
		return Endpoint{}, false
	}
	authority, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	host, port, hasPort := strings.Cut(authority, ":")
	if host == "" || !plainHost(host) || hasPort && !(digits(port, 5) && portInRange(port)) || !plainPath(path) {
		return Endpoint{}, false // parseAny refuses a port out of range
	}
	host, err := hostname.Canonical(host)
	if err != nil || strings.HasPrefix(host, "-") {
		return Endpoint{}, false // the general path says why
	}
	if hasPort {
		if n, _ := strconv.Atoi(port); n != 0 && n != defaultPort[protocol] {
			host += ":" + strconv.Itoa(n)
		}
	}
	path = strings.TrimSuffix(path, "/")
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return Endpoint{Raw: raw, Protocol: protocol, Host: host, Path: path}, true
}

// plainHost reports whether host is made of ASCII letters, digits, ".",
// "-" and "_" only: what url.Parse takes as it is.
func plainHost(host string) bool {
	for i := 0; i < len(host); i++ {
		switch c := host[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// digits reports whether s is 1 to most ASCII digits.
func digits(s string, most int) bool {
	if s == "" || len(s) > most {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// plainPath reports whether path is printable ASCII that url.Parse
// keeps as it is: no space, "%", "?", "#", "@" or backslash.
func plainPath(path string) bool {
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c <= ' ' || c >= 0x7f, c == '%', c == '?', c == '#', c == '@', c == '\\':
			return false
		}
	}
	return true
}

func isLocalPath(raw string) bool {
	if strings.Contains(raw, "://") {
		return false
	}
	if strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, ".") || strings.HasPrefix(raw, "~") {
		return true
	}
	// git treats "a:b" as scp-like only when no slash comes before the colon.
	m := scpLike().FindStringSubmatch(raw)
	return m == nil
}

// refuseCredentials refuses a URL that carries a credential: a password
// in its userinfo ("scheme://user:password@host/..."), an http(s)
// username that looks like a token ("https://TOKEN@host/..."), or a token
// query parameter (access_token, private_token, token). It looks at the
// text itself before any parser does, because a parser's error would
// quote the whole URL, credential included.
func refuseCredentials(raw string) error {
	u, ok := splitURL(raw)
	if !ok || !u.hasCredential() {
		return nil
	}
	hostURL := u.scheme + "://" + u.host
	return i18n.Errorf("%w: %s carries a password or token; store it with `git federate login %s` instead",
		ErrBadURL, MaskURL(raw), hostURL)
}

// urlParts is a URL cut at its delimiters by hand, so that no parser
// error ever quotes it.
type urlParts struct {
	scheme, userinfo, host, path, query, fragment string
	hasUserinfo, hasQuery, hasFragment            bool
}

func splitURL(raw string) (urlParts, bool) {
	var u urlParts
	var rest string
	var ok bool
	u.scheme, rest, ok = strings.Cut(raw, "://")
	if !ok {
		return u, false
	}
	rest, u.fragment, u.hasFragment = strings.Cut(rest, "#")
	rest, u.query, u.hasQuery = strings.Cut(rest, "?")
	authority := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, u.path = rest[:i], rest[i:]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		u.userinfo, u.host, u.hasUserinfo = authority[:i], authority[i+1:], true
	} else {
		u.host = authority
	}
	return u, true
}

// tokenParams are query parameters that carry a token.
var tokenParams = map[string]bool{"access_token": true, "private_token": true, "token": true}

// tokenPrefixes begin the tokens forges issue (GitHub, GitLab).
var tokenPrefixes = []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-"}

// looksLikeToken reports whether an http(s) username is a token in
// disguise: a forge's token prefix, or 20 characters or more mixing
// letters and digits (40 hex digits for Gitea, 32 for Gitee). Account
// names are shorter or plain words.
func looksLikeToken(user string) bool {
	for _, p := range tokenPrefixes {
		if strings.HasPrefix(user, p) {
			return true
		}
	}
	return len(user) >= 20 && strings.ContainsAny(user, "0123456789") &&
		strings.ContainsAny(strings.ToLower(user), "abcdefghijklmnopqrstuvwxyz")
}

func (u urlParts) hasCredential() bool {
	if strings.Contains(u.userinfo, ":") {
		return true
	}
	web := strings.EqualFold(u.scheme, "https") || strings.EqualFold(u.scheme, "http")
	if web && looksLikeToken(u.userinfo) {
		return true
	}
	for _, kv := range strings.Split(u.query, "&") {
		k, _, _ := strings.Cut(kv, "=")
		if tokenParams[strings.ToLower(k)] {
			return true
		}
	}
	return false
}

// MaskURL is raw with any credential in it replaced by "***": a userinfo
// password, an http(s) username that looks like a token, the value of a
// token query parameter. Every printer of a URL uses it.
func MaskURL(raw string) string {
	u, ok := splitURL(raw)
	if !ok {
		return raw
	}
	var b strings.Builder
	b.WriteString(u.scheme + "://")
	if u.hasUserinfo {
		user, _, hasPass := strings.Cut(u.userinfo, ":")
		web := strings.EqualFold(u.scheme, "https") || strings.EqualFold(u.scheme, "http")
		if web && looksLikeToken(user) {
			user = "***"
		}
		b.WriteString(user)
		if hasPass {
			b.WriteString(":***")
		}
		b.WriteString("@")
	}
	b.WriteString(u.host + u.path)
	if u.hasQuery {
		params := strings.Split(u.query, "&")
		for i, kv := range params {
			if k, _, ok := strings.Cut(kv, "="); ok && tokenParams[strings.ToLower(k)] {
				params[i] = k + "=***"
			}
		}
		b.WriteString("?" + strings.Join(params, "&"))
	}
	if u.hasFragment {
		b.WriteString("#" + u.fragment)
	}
	return b.String()
}

// Normalized is the form used to compare URLs: scheme, lower-case host
// with the default port dropped, and the path without ".git" or a
// trailing slash.
func (e Endpoint) Normalized() string {
	p := strings.TrimSuffix(strings.TrimSuffix(e.Path, "/"), ".git")
	return e.Protocol + "://" + e.Host + p
}

// SameRepo reports whether e and o name the same repository.
func (e Endpoint) SameRepo(o Endpoint) bool { return e.Normalized() == o.Normalized() }

// HTTP reports whether e is served over http or https, where tokens apply.
func (e Endpoint) HTTP() bool { return e.Protocol == "https" || e.Protocol == "http" }

// HostURL is "<scheme>://<host>[:port]", the key tokens are stored under.
func (e Endpoint) HostURL() string { return e.Protocol + "://" + e.Host }

// String returns the URL as configured.
func (e Endpoint) String() string { return e.Raw }
