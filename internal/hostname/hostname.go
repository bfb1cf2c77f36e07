// Package hostname makes the one canonical form of a host that every
// token key and every "same server" test of this program is built from:
// the host converted to its ASCII (punycode) form and lower-cased in
// ASCII only, the port kept. Folding case with Unicode rules would make
// look-alike hosts (gİthub.com, gıthub.com) equal to the real one.
package hostname

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrBadHost is matched (errors.Is) by every *Error: a host that has no
// canonical form gets no token.
var ErrBadHost = errors.New("not a host name a token can be kept for")

// Error is a host without a canonical form. The package imports nothing
// of this program, so its callers say it in the user's language; Why is
// a short technical detail.
type Error struct {
	Host string
	Why  string
}

func (e *Error) Error() string {
	return strconv.Quote(e.Host) + ": " + ErrBadHost.Error() + " (" + e.Why + ")"
}

// Is makes every *Error match ErrBadHost.
func (e *Error) Is(target error) bool { return target == ErrBadHost }

// profile is UTS #46 lookup processing (what browsers and curl's IDN
// conversion do) without the STD3 and hyphen rules, so that names such
// as git_corp or a label ending in "-" still convert; which characters
// may appear is checked on the result instead.
var profile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.ValidateLabels(true),
	idna.CheckJoiners(true),
	idna.VerifyDNSLength(false),
	// Last: ValidateLabels and MapForLookup set these too.
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
)

// Canonical is host ("name", "name:port", "[v6]" or "[v6]:port") in the
// form every token key uses: a name converted to ASCII and lower-cased,
// an IPv6 address in its shortest form, the port as a plain number. A
// host that does not convert, or that holds characters no host has
// ("@", "/", "?", "#", a space …), is an error wrapping ErrBadHost.
func Canonical(host string) (string, error) {
	name, port, err := split(host)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(name, "[") {
		ip := net.ParseIP(name[1 : len(name)-1])
		if ip == nil || ip.To4() != nil || strings.Contains(name, "%") {
			return "", bad(host, "not an IPv6 address")
		}
		return "[" + ip.String() + "]" + port, nil
	}
	if ascii, ok := plainName(name); ok {
		return ascii + port, nil
	}
	ascii, why := viaIDNA(name)
	if why != "" {
		return "", bad(host, why)
	}
	return ascii + port, nil
}

// plainName is the canonical form of a name made of ASCII letters,
// digits, "-" and "_" only, in labels none of which is empty or an
// encoded one ("xn--"): itself, lower-cased, as the conversion would
// make it (TestPlainNameIsWhatIDNAMakes). Nearly every host is one, and
// a run lists thousands of servers, each request checking its host.
func plainName(name string) (string, bool) {
	start, upper := 0, false
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			label := name[start:i]
			if label == "" || len(label) >= 4 && strings.EqualFold(label[:4], "xn--") {
				return "", false
			}
			start = i + 1
			continue
		}
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case 'A' <= c && c <= 'Z':
			upper = true
		default:
			return "", false
		}
	}
	if upper {
		return lowerASCII(name), true
	}
	return name, true
}

// viaIDNA is the canonical form of name by the IDNA conversion, or why
// it has none.
func viaIDNA(name string) (string, string) {
	if !utf8.ValidString(name) {
		return "", "not UTF-8"
	}
	ascii, err := profile.ToASCII(name)
	if err != nil {
		return "", "it has no ASCII form"
	}
	ascii = lowerASCII(ascii)
	// The form must be its own canonical form: keys are made canonical
	// more than once on their way to a store.
	if again, err := profile.ToASCII(ascii); err != nil || lowerASCII(again) != ascii {
		return "", "it has no stable ASCII form"
	}
	if why := checkName(ascii); why != "" {
		return "", why
	}
	return ascii, ""
}

// IsLoopback reports whether host (as Canonical takes it) is this
// machine: localhost, 127.0.0.0/8 or ::1, in any case. Only there may a
// token travel over plain http. A host without a canonical form is not.
func IsLoopback(host string) bool {
	c, err := Canonical(host)
	if err != nil {
		return false
	}
	name, _, _ := split(c)
	if name == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(name, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Name is the canonical host without its port.
func Name(canonical string) string {
	name, _, _ := split(canonical)
	return name
}

// Port is the port of a canonical host, or "" when it names none.
func Port(canonical string) string {
	_, port, _ := split(canonical)
	return strings.TrimPrefix(port, ":")
}

// Origin is "scheme://host:port" for a URL's scheme and host, with the
// host canonical and the scheme's default port made explicit (80 for
// http, 443 for https): two URLs are on the same server exactly when
// their origins are equal.
func Origin(scheme, host string) (string, error) {
	c, err := Canonical(host)
	if err != nil {
		return "", err
	}
	scheme = lowerASCII(scheme)
	if Port(c) == "" {
		switch scheme {
		case "http":
			c += ":80"
		case "https":
			c += ":443"
		}
	}
	return scheme + "://" + c, nil
}

// split cuts host into its name (brackets kept for IPv6) and ":port"
// (or ""), the port checked and written without leading zeros.
func split(host string) (name, port string, err error) {
	name = host
	switch {
	case strings.HasPrefix(host, "["):
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return "", "", bad(host, "no closing ']'")
		}
		name, port = host[:end+1], host[end+1:]
		if port != "" && !strings.HasPrefix(port, ":") {
			return "", "", bad(host, "text after ']'")
		}
	case strings.Count(host, ":") == 1:
		i := strings.IndexByte(host, ':')
		name, port = host[:i], host[i:]
	case strings.Contains(host, ":"):
		return "", "", bad(host, "an IPv6 address needs brackets")
	}
	if name == "" || name == "[]" {
		return "", "", bad(host, "empty")
	}
	if port == "" {
		return name, "", nil
	}
	n, err := strconv.ParseUint(port[1:], 10, 16)
	if err != nil || n == 0 || strings.ContainsAny(port[1:], "+-") {
		return "", "", bad(host, "bad port")
	}
	return name, ":" + strconv.FormatUint(n, 10), nil
}

// checkName says what is wrong with an ASCII name, or "" when it is made
// of labels of letters, digits, "-" and "_", none empty.
func checkName(name string) string {
	for _, label := range strings.Split(name, ".") {
		if label == "" {
			return "an empty label"
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "the character " + strconv.Quote(string(c))
			}
		}
	}
	return ""
}

// lowerASCII lower-cases A-Z only: Unicode case folding is what made
// look-alike hosts equal to real ones.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func bad(host, why string) error { return &Error{Host: host, Why: why} }
