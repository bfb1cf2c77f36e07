package keystore

import (
	"bufio"
	"io"
	"sort"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// ErrBadCredentialInput is wrapped by errors about malformed git
// credential input.
var ErrBadCredentialInput = i18n.Errorf("keystore: malformed credential input")

// Request is a git credential description: the key=value lines of
// gitcredentials(7), such as protocol, host, path, username, password.
type Request map[string]string

// ReadRequest reads key=value lines up to a blank line or EOF. A line
// without "=" is an error, not silently skipped; values are never echoed
// in errors, since one may be a password.
func ReadRequest(r io.Reader) (Request, error) {
	req := Request{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsRune(line, 0) {
			return nil, i18n.Errorf("%w: line %d is not key=value", ErrBadCredentialInput, n)
		}
		if k == "url" {
			if err := req.setURL(v); err != nil {
				return nil, err
			}
			continue
		}
		req[k] = v
	}
	return req, sc.Err()
}

// setURL fills the request from a url= line the way git's
// credential_from_url does: the host ends at the first "/", "?" or "#"
// (so "https://evil.example?@github.com" names evil.example), user info
// only before it, every part percent-decoded, slashes trimmed from the
// path, and a part holding a newline refused.
func (req Request) setURL(u string) error {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok || scheme == "" {
		return i18n.Errorf("%w: url has no scheme", ErrBadCredentialInput)
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	host, path := rest[:end], rest[end:]
	if at := strings.IndexByte(rest, '@'); at >= 0 && at < end {
		userinfo := rest[:at]
		host = rest[at+1 : end]
		user, pass, hasPass := strings.Cut(userinfo, ":")
		req["username"] = urlDecode(user)
		if hasPass {
			req["password"] = urlDecode(pass)
		}
	}
	req["protocol"], req["host"] = scheme, urlDecode(host)
	if path = strings.Trim(urlDecode(strings.TrimLeft(path, "/")), "/"); path != "" {
		req["path"] = path
	}
	for k, v := range req {
		if strings.ContainsAny(v, "\n\r\x00") {
			return i18n.Errorf("%w: url has a newline in its %s", ErrBadCredentialInput, k)
		}
	}
	return nil
}

// urlDecode decodes %XX sequences as git's url_decode_mem does, leaving
// a malformed one as it is (and "+" as "+").
func urlDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// Key returns the key the request is about.
func (req Request) Key() Key {
	return Key{Protocol: req["protocol"], Host: req["host"],
		Path: req["path"], Username: req["username"]}
}

// Write writes the request as key=value lines and a blank line. Values
// holding a newline, carriage return or NUL are refused before anything
// reaches the pipe.
func (req Request) Write(w io.Writer) error {
	keys := make([]string, 0, len(req))
	for k, v := range req {
		if !validValue(k) || strings.Contains(k, "=") || !validValue(v) {
			return i18n.Errorf("%w: field %q holds a newline or NUL", ErrBadCredentialInput, k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + req[k] + "\n")
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}
