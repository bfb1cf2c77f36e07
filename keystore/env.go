package keystore

import (
	"context"
	"net"
	"strings"
)

// Env reads tokens from environment variables: FEDERATE_TOKEN_<HOST> first,
// then the forge's usual variable (GH_TOKEN or GITHUB_TOKEN for github.com,
// GITLAB_TOKEN for GitLab, GITEE_TOKEN for gitee.com).
type Env struct {
	// Getenv looks up a variable (os.Getenv in production).
	Getenv func(string) string
	// Forge names the forge of a host ("github", "gitlab", …); nil or ""
	// means only FEDERATE_TOKEN_<HOST> applies.
	Forge func(host string) string
}

// EnvName is the FEDERATE_TOKEN_<HOST> variable for host[:port]: upper
// case, "-" as "__" and every other character that is not a letter or
// digit as "_", so that gitlab-example.com (a name anyone may register)
// never picks up the token of gitlab.example.com.
func EnvName(host string) string {
	var b strings.Builder
	b.WriteString("FEDERATE_TOKEN_")
	for _, c := range []byte(strings.ToUpper(host)) {
		switch {
		case 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
			b.WriteByte(c)
		case c == '-':
			b.WriteString("__")
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// IsLoopback reports whether host ("name[:port]", "[::1]:port") is this
// machine: localhost, 127.0.0.0/8 or ::1. Only there may a token travel
// over plain http.
func IsLoopback(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.Trim(name, "[]")
	if strings.EqualFold(name, "localhost") {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

// Variables returns the variables consulted for host, in order.
func (e Env) Variables(host string) []string {
	vars := []string{EnvName(host)}
	forge := ""
	if e.Forge != nil {
		forge = e.Forge(host)
	}
	switch forge {
	case "github":
		vars = append(vars, "GH_TOKEN", "GITHUB_TOKEN")
	case "gitlab":
		vars = append(vars, "GITLAB_TOKEN")
	case "gitee":
		vars = append(vars, "GITEE_TOKEN")
	}
	return vars
}

// Get implements Store. The host's own variable is read before the
// forge is asked for its usual ones: naming the forge may read git config.
func (e Env) Get(_ context.Context, k Key) (Credential, error) {
	first := EnvName(k.Host)
	vars := []string{first}
	if strings.TrimSpace(e.Getenv(first)) == "" {
		vars = e.Variables(k.Host)
	}
	for _, v := range vars {
		if tok := strings.TrimSpace(e.Getenv(v)); tok != "" {
			return Credential{Username: k.Username, Token: tok, Source: Source("env:" + v)}, nil
		}
	}
	return Credential{}, ErrNotFound
}

// Set implements Store: the environment cannot be written.
func (Env) Set(context.Context, Key, Credential) error { return ErrReadOnly }

// Delete implements Store: the environment cannot be written.
func (Env) Delete(context.Context, Key) error { return ErrReadOnly }
