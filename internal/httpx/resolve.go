package httpx

import (
	"math"
	"net"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/hostname"
)

// honoured are the http.* keys (lower case) this client applies as git
// would, or that change nothing for it (maxRequests, minSessions and
// noEPSV tune what it does not do).
var honoured = map[string]bool{
	"sslverify": true, "sslcainfo": true, "sslcapath": true, "sslcert": true, "sslkey": true,
	"proxy": true, "extraheader": true, "cookiefile": true, "savecookies": true,
	"postbuffer": true, "lowspeedlimit": true, "lowspeedtime": true, "useragent": true,
	"followredirects": true, "maxrequests": true, "minsessions": true, "noepsv": true,
}

// gitOnlyEnv are the variables of git's http.c that this client does
// not honour; with one set, a request must go through git.
var gitOnlyEnv = []string{
	"GIT_SSL_VERSION", "GIT_SSL_CIPHER_LIST", "GIT_SSL_CERT_PASSWORD_PROTECTED",
	"GIT_PROXY_SSL_CERT", "GIT_PROXY_SSL_KEY", "GIT_PROXY_SSL_CERT_PASSWORD_PROTECTED", "GIT_PROXY_SSL_CAINFO",
	"GIT_HTTP_PROXY_AUTHMETHOD", "GIT_CURL_VERBOSE", "GIT_TRACE_CURL", "GIT_TRACE_CURL_NO_DATA",
	"GIT_SMART_HTTP", "GIT_CURL_FTP_NO_EPSV",
}

// match is how specifically a config key's URL matched, compared as
// git's urlmatch.c cmp_matches does: host, then path, then user.
type match struct{ host, path, user int }

func (m match) less(o match) bool {
	if m.host != o.host {
		return m.host < o.host
	}
	if m.path != o.path {
		return m.path < o.path
	}
	return m.user < o.user
}

// target is the URL settings are resolved for, in the pieces urlmatch
// compares.
type target struct {
	scheme, host, port, path, user string
}

func resolve(entries []gitexec.ConfigEntry, getenv func(string) string, rawURL string) Settings {
	var s Settings
	u, err := url.Parse(rawURL)
	if err != nil {
		s.Unhonoured = append(s.Unhonoured, "(url)")
		return s
	}
	t := targetOf(u)
	values, keys := pick(entries, t)
	speedLimit := 0
	for _, k := range keys {
		v := values[k]
		last := v[len(v)-1]
		switch k {
		case "sslverify":
			s.SSLNoVerify = !gitBool(last)
		case "sslcainfo":
			s.CAInfo = last
		case "sslcapath":
			s.CAPath = last
		case "sslcert":
			s.SSLCert = last
		case "sslkey":
			s.SSLKey = last
		case "proxy":
			s.Proxy, s.ProxyKey = last, "http.proxy"
		case "extraheader":
			s.ExtraHeaders = extraHeaders(v)
		case "cookiefile":
			s.CookieFile = last
		case "savecookies":
			s.SaveCookies = gitBool(last)
		case "lowspeedlimit":
			speedLimit, _ = strconv.Atoi(last)
		case "lowspeedtime":
			n, _ := strconv.Atoi(last)
			s.LowSpeedTime = time.Duration(n) * time.Second
		case "useragent":
			s.UserAgent = last
		case "postbuffer":
			n, ok := gitSize(last)
			if !ok {
				s.Unhonoured = append(s.Unhonoured, "http.postBuffer") // git stops, and says why
			}
			s.PostBuffer = max(n, largePacketMax) // git's least, for 0 or a negative value too
		case "followredirects":
			if strings.ToLower(last) != "initial" {
				s.Unhonoured = append(s.Unhonoured, "http.followRedirects")
			}
		default:
			if !honoured[k] {
				s.Unhonoured = append(s.Unhonoured, "http."+k)
			}
		}
	}
	s.Unhonoured = append(s.Unhonoured, gitOnlyKeys(entries, t)...)
	s.Forbidden = !ProtocolAllowed(entries, getenv, t.scheme)
	for _, p := range []*string{&s.CAInfo, &s.CAPath, &s.SSLCert, &s.SSLKey, &s.CookieFile} {
		*p = expandHome(*p, getenv)
	}
	fromEnv(&s, getenv, &speedLimit)
	if s.LowSpeedTime > 0 && speedLimit > 1 {
		// git gives up below that many bytes a second; the stall watch
		// only knows "no byte at all".
		s.Unhonoured = append(s.Unhonoured, "http.lowSpeedLimit")
	}
	if speedLimit <= 0 {
		s.LowSpeedTime = 0 // curl applies neither without both
	}
	proxyFor(&s, getenv, t)
	return s
}

// gitOnlyKeys are the credential keys that change what git's transport
// would send to rawURL: a credential username or useHttpPath (matched as
// http.<url>.* keys are). A url.<base>.insteadOf or pushInsteadOf rule
// is not one: no transport of ours applies it, git's included (its
// children are given each server's URL under a stand-in that only their
// own rule rewrites, gitexec.PlainURL), so git's transport would send
// what the direct client sends, at the cost of a process and a 401.
func gitOnlyKeys(entries []gitexec.ConfigEntry, t target) []string {
	var keys []string
	for _, e := range entries {
		section, rest, ok := strings.Cut(e.Key, ".")
		if !ok {
			continue
		}
		sub, key := "", strings.ToLower(rest)
		if i := strings.LastIndexByte(rest, '.'); i >= 0 {
			sub, key = rest[:i], strings.ToLower(rest[i+1:])
		}
		if strings.EqualFold(section, "credential") {
			if _, ok := urlMatch(sub, t); (sub == "" || ok) && (key == "username" || key == "usehttppath") {
				keys = append(keys, e.Key)
			}
		}
	}
	return keys
}

// ProtocolAllowed reports whether git may use scheme ("http", "https"),
// as git's transport.c decides (is_transport_allowed): GIT_ALLOW_PROTOCOL,
// when set, lists the protocols allowed; else protocol.<scheme>.allow,
// else protocol.allow, else git's default, which for http and https is
// "always". "user" allows it unless GIT_PROTOCOL_FROM_USER is false. A
// value git does not know, none or an empty one, forbids it: git stops
// there, and says why.
// entries are git config's protocol section, in git's order. getenv is
// to say a variable set but empty as git reads it (gitexec.Getenv does):
// an empty GIT_ALLOW_PROTOCOL allows nothing, but "" here is unset.
func ProtocolAllowed(entries []gitexec.ConfigEntry, getenv func(string) string, scheme string) bool {
	if list := getenv("GIT_ALLOW_PROTOCOL"); list != "" {
		return slices.Contains(strings.Split(list, ":"), scheme)
	}
	policy := "always"
	if scheme != "http" && scheme != "https" {
		policy = "user" // git's default for what it does not know; this client speaks nothing else
	}
	var own, all *string
	for _, e := range entries {
		section, rest, ok := strings.Cut(e.Key, ".")
		if !ok || !strings.EqualFold(section, "protocol") {
			continue
		}
		sub, name, _ := strings.Cut(rest, ".") // the subsection is a scheme: no dot
		switch {
		case strings.EqualFold(rest, "allow"):
			all = &e.Value
		case sub == scheme && strings.EqualFold(name, "allow"): // its case counts, as in git
			own = &e.Value
		}
	}
	if own != nil {
		policy = *own
	} else if all != nil {
		policy = *all
	}
	switch strings.ToLower(policy) {
	case "always":
		return true
	case "user":
		v := getenv("GIT_PROTOCOL_FROM_USER")
		b, err := gitexec.ParseBool(v)
		return v == "" || b && err == nil
	}
	return false
}

// pick reads the http.* entries that apply to t, as git's urlmatch
// does: for each key, an entry replaces (or, for a list such as
// extraHeader, adds to) what an earlier one set only when its URL matches
// at least as specifically. keys are in the order first seen.
func pick(entries []gitexec.ConfigEntry, t target) (map[string][]string, []string) {
	values := map[string][]string{}
	best := map[string]match{}
	var keys []string
	for _, e := range entries {
		section, rest, ok := strings.Cut(e.Key, ".")
		if !ok || !strings.EqualFold(section, "http") {
			continue
		}
		sub, key := "", rest
		if i := strings.LastIndexByte(rest, '.'); i >= 0 {
			sub, key = rest[:i], rest[i+1:]
		}
		key = strings.ToLower(key)
		m := match{}
		if sub != "" {
			if m, ok = urlMatch(sub, t); !ok {
				continue
			}
		}
		if b, seen := best[key]; seen && m.less(b) {
			continue
		}
		if _, seen := best[key]; !seen {
			keys = append(keys, key)
		}
		best[key] = m
		values[key] = append(values[key], e.Value)
	}
	return values, keys
}

func targetOf(u *url.URL) target {
	t := target{scheme: strings.ToLower(u.Scheme), path: u.EscapedPath()}
	host, err := hostname.Canonical(u.Host)
	if err != nil {
		host = strings.ToLower(u.Host)
	}
	t.host, t.port = hostname.Name(host), hostname.Port(host)
	if t.port == "" {
		t.port = defaultPort(t.scheme)
	}
	if u.User != nil {
		t.user = u.User.Username()
	}
	return t
}

func defaultPort(scheme string) string {
	switch scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// urlMatch matches a config key's URL against t as git's urlmatch.c
// does: the same scheme; the same host, a "*" in a label of the key
// matching within one label; the same port (a default one made
// explicit); the key's path a prefix of t's at a "/"; the key's user, if
// it names one, t's user.
func urlMatch(pattern string, t target) (match, bool) {
	p, err := url.Parse(pattern)
	if err != nil || p.Host == "" || !strings.EqualFold(p.Scheme, t.scheme) {
		return match{}, false
	}
	var m match
	if p.User != nil {
		if p.User.Username() != t.user {
			return match{}, false
		}
		m.user = 1
	}
	pport := p.Port()
	if pport == "" {
		pport = defaultPort(t.scheme)
	}
	if pport != t.port || !hostMatch(p.Hostname(), t.host) {
		return match{}, false
	}
	m.host = len(p.Hostname())
	pp := strings.TrimSuffix(p.EscapedPath(), "/")
	switch {
	case pp == "":
	case t.path == pp || strings.HasPrefix(t.path, pp+"/"):
		m.path = len(pp)
	default:
		return match{}, false
	}
	return m, true
}

// hostMatch compares a config key's host (with "*" globs per label) to
// the canonical host.
func hostMatch(pattern, host string) bool {
	if !strings.Contains(pattern, "*") {
		c, err := hostname.Canonical(bracket(pattern))
		return err == nil && hostname.Name(c) == host
	}
	pl, hl := strings.Split(strings.ToLower(pattern), "."), strings.Split(host, ".")
	if len(pl) != len(hl) {
		return false
	}
	for i := range pl {
		if ok, _ := path.Match(pl[i], hl[i]); !ok {
			return false
		}
	}
	return true
}

func bracket(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// extraHeaders is the list http.extraHeader builds: an empty value
// clears what came before.
func extraHeaders(values []string) []string {
	var out []string
	for _, v := range values {
		if v == "" {
			out = nil
			continue
		}
		out = append(out, v)
	}
	return out
}

// fromEnv applies the variables git's http.c reads after the config,
// which therefore win over it.
func fromEnv(s *Settings, getenv func(string) string, speedLimit *int) {
	if getenv("GIT_SSL_NO_VERIFY") != "" {
		s.SSLNoVerify = true
	}
	for name, dst := range map[string]*string{"GIT_SSL_CAINFO": &s.CAInfo, "GIT_SSL_CAPATH": &s.CAPath,
		"GIT_SSL_CERT": &s.SSLCert, "GIT_SSL_KEY": &s.SSLKey, "GIT_HTTP_USER_AGENT": &s.UserAgent} {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	if v, err := strconv.Atoi(getenv("GIT_HTTP_LOW_SPEED_LIMIT")); err == nil {
		*speedLimit = v
	}
	if v, err := strconv.Atoi(getenv("GIT_HTTP_LOW_SPEED_TIME")); err == nil {
		s.LowSpeedTime = time.Duration(v) * time.Second
	}
	for _, name := range gitOnlyEnv {
		if getenv(name) != "" {
			s.Unhonoured = append(s.Unhonoured, name)
		}
	}
}

// proxyFor picks the proxy as git (and curl under it) does: http.proxy,
// else https_proxy/HTTPS_PROXY for https and http_proxy (lower case
// only) for http, else all_proxy/ALL_PROXY; none for a host no_proxy
// names. A proxy this client cannot speak to, or one that would see a
// token over plain http, is unhonoured: git's transport takes the
// request.
func proxyFor(s *Settings, getenv func(string) string, t target) {
	if s.Proxy == "" && s.ProxyKey == "" {
		names := []string{"http_proxy"}
		if t.scheme == "https" {
			names = []string{"https_proxy", "HTTPS_PROXY"}
		}
		for _, n := range append(names, "all_proxy", "ALL_PROXY") {
			if v := getenv(n); v != "" {
				s.Proxy, s.ProxyKey = v, n
				break
			}
		}
	}
	noProxy := getenv("no_proxy")
	if noProxy == "" {
		noProxy = getenv("NO_PROXY")
	}
	if s.Proxy == "" || bypass(noProxy, t.host) {
		s.Proxy = ""
		return
	}
	scheme := "http"
	if i := strings.Index(s.Proxy, "://"); i >= 0 {
		scheme = strings.ToLower(s.Proxy[:i])
	}
	p, err := url.Parse(s.Proxy)
	if !strings.Contains(s.Proxy, "://") {
		p, err = url.Parse("http://" + s.Proxy)
	}
	_, hasPass := p.User.Password()
	switch {
	case err != nil, scheme != "http" && scheme != "https" && scheme != "socks5":
		s.Unhonoured = append(s.Unhonoured, s.ProxyKey)
	case p.User != nil && !hasPass:
		s.Unhonoured = append(s.Unhonoured, s.ProxyKey) // git asks for the password
	case t.scheme == "http":
		// The client never sends a token through a proxy in clear text;
		// git's transport does what the user configured.
		s.Unhonoured = append(s.Unhonoured, s.ProxyKey)
	}
}

// bypass reports whether curl's no_proxy list names host: "*", the host
// itself, a domain it is in (with or without a leading "."), or an
// address range.
func bypass(list, host string) bool {
	for _, e := range strings.Split(list, ",") {
		e = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(e), "."))
		switch {
		case e == "":
		case e == "*", e == host, strings.HasSuffix(host, "."+e), strings.Trim(host, "[]") == strings.Trim(e, "[]"):
			return true
		}
		if _, cidr, err := net.ParseCIDR(e); err == nil {
			if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && cidr.Contains(ip) {
				return true
			}
		}
	}
	return false
}

// gitSize reads a git size (git_parse_ssize_t): an integer in C's
// notation (0x…, 0…) with an optional unit k, m or g (1024-based); false
// when git would refuse it.
func gitSize(v string) (int64, bool) {
	num, unit := v, int64(1)
	if v != "" {
		switch v[len(v)-1] {
		case 'k', 'K':
			unit = 1 << 10
		case 'm', 'M':
			unit = 1 << 20
		case 'g', 'G':
			unit = 1 << 30
		}
		if unit > 1 {
			num = v[:len(v)-1]
		}
	}
	n, err := strconv.ParseInt(num, 0, 64)
	if err != nil || n > math.MaxInt64/unit || n < math.MinInt64/unit {
		return 0, false
	}
	return n * unit, true
}

// gitBool reads a git boolean: a key without a value is true; anything
// that is not false counts as true, as git would refuse it rather than
// turn a check off.
func gitBool(v string) bool {
	b, err := gitexec.ParseBool(v)
	return b || err != nil // git stops at a value that is not a boolean; the safe reading is true
}

// expandHome expands a leading "~/" as git does for path-valued keys.
func expandHome(p string, getenv func(string) string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok && getenv("HOME") != "" {
		return strings.TrimSuffix(getenv("HOME"), "/") + "/" + rest
	}
	return p
}
