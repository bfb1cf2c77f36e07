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

func (req Request) setURL(u string) error {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return i18n.Errorf("%w: url has no scheme", ErrBadCredentialInput)
	}
	host, path, _ := strings.Cut(rest, "/")
	if _, h, ok := strings.Cut(host, "@"); ok {
		host = h
	}
	req["protocol"], req["host"] = scheme, host
	if path != "" {
		req["path"] = path
	}
	return nil
}

// Key returns the key the request is about.
func (req Request) Key() Key {
	return Key{Protocol: req["protocol"], Host: strings.ToLower(req["host"]),
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
