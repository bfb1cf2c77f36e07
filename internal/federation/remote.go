package federation

import (
	"errors"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// remote is a repository URL cut into its parts, as go-git's
// transport.NewEndpoint cut it before: this package used go-git for
// nothing else, and importing it cost every process of this program
// its initialisation (go-git, gcfg, encoding/gob, sha1cd).
type remote struct {
	Protocol, User, Host string
	Port                 int
	Path                 string
	// PortText is the port as raw wrote it ("" for none): go-git keeps
	// no such field, and gives Port 0 for one too long for an int.
	PortText string
}

// scpLikeParts is an scp-like address, "[user@]host:[port:]path";
// compiled at first use.
var scpLikeParts = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:([^@]+)@)?([^:\s]+):(?:([0-9]{1,5}):)?([^\\].*)$`)
})

// splitRemote cuts raw as an scp-like address, a local path or a URL,
// in that order.
func splitRemote(raw string) (remote, error) {
	if !hasScheme(raw) {
		// A slash before the first colon makes a local path, as git's
		// url_is_local_not_ssh says ("./a:b").
		beforeColon, _, _ := strings.Cut(raw, ":")
		if m := scpLikeParts().FindStringSubmatch(raw); m != nil && !strings.Contains(beforeColon, "/") {
			port, err := strconv.Atoi(m[3])
			if err != nil {
				port = 22
			}
			return remote{Protocol: "ssh", User: m[1], Host: m[2], Port: port, Path: m[4], PortText: m[3]}, nil
		}
		if path, err := filepath.Abs(raw); err == nil {
			return remote{Protocol: "file", Path: path}, nil
		}
	}
	u, err := url.Parse(raw)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		return remote{}, ue.Err // its text is the URL whole: the caller's masks it
	}
	if err != nil {
		return remote{}, err
	}
	if !u.IsAbs() {
		return remote{}, errors.New("not a URL, a path or an scp-like address")
	}
	r := remote{Protocol: u.Scheme, Host: u.Hostname(), Path: u.Path}
	if u.User != nil {
		r.User = u.User.Username()
	}
	if strings.Contains(r.Host, ":") {
		r.Host = "[" + r.Host + "]" // an IPv6 address
	}
	r.PortText = u.Port()
	if r.Port, err = strconv.Atoi(r.PortText); err != nil {
		r.Port = 0 // as go-git: Atoi gives the largest int for too many digits
	}
	if u.RawQuery != "" {
		r.Path += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		r.Path += "#" + u.Fragment
	}
	return r, nil
}

// hasScheme reports whether raw begins "<scheme>://", the scheme
// without a colon.
func hasScheme(raw string) bool {
	i := strings.Index(raw, "://")
	return i > 0 && !strings.Contains(raw[:i], ":")
}
