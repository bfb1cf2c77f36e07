// Package federation is the model of a federation: an origin and its
// mirrors, the URLs that name them, and the git config that defines them.
package federation

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// ErrBadURL is wrapped by every error about a URL that cannot be used.
var ErrBadURL = errors.New("unusable URL")

// Endpoint is one server's repository URL, checked and parsed.
type Endpoint struct {
	// Raw is the URL as configured; it is what child git processes get.
	Raw string
	// Protocol is https, http, ssh, git or file.
	Protocol string
	// Host is the lower-case host, with ":port" when the port is not the
	// protocol's default. Empty for file.
	Host string
	// Path is the repository path on the server, without a trailing slash.
	Path string
}

var scpLike = regexp.MustCompile(`^(?:[^@/]+@)?([^:/]+):(.*)$`)

// ParseEndpoint checks and parses a repository URL in any form git takes:
// https, http, ssh (URL or scp-like), git, file or a local path. It refuses
// remote-helper forms (ext::, fd::, any "<transport>::"), anything that
// begins with "-" (it could be read as an option), hosts that begin with
// "-", and URLs that carry a password: tokens belong in the keyring.
func ParseEndpoint(raw string) (Endpoint, error) {
	if raw == "" {
		return Endpoint{}, fmt.Errorf("%w: empty", ErrBadURL)
	}
	if strings.HasPrefix(raw, "-") {
		return Endpoint{}, fmt.Errorf("%w: %q begins with '-'", ErrBadURL, raw)
	}
	if strings.ContainsAny(raw, "\x00\n\r") {
		return Endpoint{}, fmt.Errorf("%w: control character in URL", ErrBadURL)
	}
	if i := strings.Index(raw, "::"); i >= 0 && !strings.Contains(raw[:i], "/") {
		return Endpoint{}, fmt.Errorf("%w: %q: remote-helper URLs (%s::) are refused", ErrBadURL, raw, raw[:i])
	}
	if isLocalPath(raw) {
		abs, err := filepath.Abs(raw)
		if err != nil {
			return Endpoint{}, fmt.Errorf("%w: %q: %w", ErrBadURL, raw, err)
		}
		return Endpoint{Raw: raw, Protocol: "file", Path: strings.TrimSuffix(abs, "/")}, nil
	}
	if err := refuseUserinfoPassword(raw); err != nil {
		return Endpoint{}, err
	}
	ep, err := transport.NewEndpoint(raw)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%w: %q: %w", ErrBadURL, raw, err)
	}
	e := Endpoint{Raw: raw, Protocol: strings.ToLower(ep.Protocol), Path: strings.TrimSuffix(ep.Path, "/")}
	switch e.Protocol {
	case "https", "http", "ssh", "git":
	case "file":
		return e, nil
	default:
		return Endpoint{}, fmt.Errorf("%w: %q: protocol %q is not supported", ErrBadURL, raw, ep.Protocol)
	}
	host := strings.ToLower(ep.Host)
	if host == "" || strings.HasPrefix(host, "-") {
		return Endpoint{}, fmt.Errorf("%w: %q: bad host", ErrBadURL, raw)
	}
	// ssh is given "user@host" as one argument: a user that begins with
	// "-" would be read as an option (CVE-2017-1000117).
	if strings.HasPrefix(ep.User, "-") {
		return Endpoint{}, fmt.Errorf("%w: %q: bad user name (begins with '-')", ErrBadURL, raw)
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

var defaultPort = map[string]int{"https": 443, "http": 80, "ssh": 22, "git": 9418}

func isLocalPath(raw string) bool {
	if strings.Contains(raw, "://") {
		return false
	}
	if strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, ".") || strings.HasPrefix(raw, "~") {
		return true
	}
	// git treats "a:b" as scp-like only when no slash comes before the colon.
	m := scpLike.FindStringSubmatch(raw)
	return m == nil
}

// refuseUserinfoPassword refuses "scheme://user:password@host/...". It
// looks at the text itself before any parser does, because a parser's
// error would quote the whole URL, password included.
func refuseUserinfoPassword(raw string) error {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	i := strings.LastIndexByte(authority, '@')
	if i < 0 || !strings.Contains(authority[:i], ":") {
		return nil
	}
	hostURL := scheme + "://" + authority[i+1:]
	return fmt.Errorf("%w: %s://***@%s carries a password; store it with `git federate login %s` instead",
		ErrBadURL, scheme, authority[i+1:], hostURL)
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
