package keystore

import (
	"context"
	"net"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/hostname"
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

// EnvName is the FEDERATE_TOKEN_<HOST> variable for host[:port], or ""
// when the host gets no environment token. The host is made canonical
// (hostname.Canonical) and encoded as Terraform's TF_TOKEN_<host>: upper
// case, "-" as "__", "." and ":" (and an IPv6 address's brackets) as
// "_", so that gitlab-example.com (a name anyone may register) never
// picks up the token of gitlab.example.com. The encoding is one-to-one
// only over the hosts it is given for: a host with "_", a label that
// starts or ends with "-", or a name (not an IP address) whose last label
// is all digits could share a name with another host (git_corp and
// git.corp, host.8443 and host:8443) and gets none; it can still use the
// keyring. So does a host without a canonical form.
func EnvName(host string) string {
	c, err := hostname.Canonical(host)
	if err != nil || !envable(c) {
		return ""
	}
	var b strings.Builder
	b.WriteString("FEDERATE_TOKEN_")
	for _, ch := range []byte(c) {
		switch {
		case 'a' <= ch && ch <= 'z':
			b.WriteByte(ch - 'a' + 'A')
		case '0' <= ch && ch <= '9':
			b.WriteByte(ch)
		case ch == '-':
			b.WriteString("__")
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// envable reports whether canonical host c may have an environment
// token: whether EnvName is one-to-one on it (see EnvName).
func envable(c string) bool {
	name := hostname.Name(c)
	if strings.HasPrefix(name, "[") || net.ParseIP(name) != nil {
		return true
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if strings.Contains(l, "_") || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

// Variables returns the variables consulted for host, in order: none for
// a host EnvName gives no variable.
func (e Env) Variables(host string) []string {
	first := EnvName(host)
	if first == "" {
		return nil
	}
	vars := []string{first}
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
	k, err := k.Canonical()
	if err != nil {
		return Credential{}, err
	}
	first := EnvName(k.Host)
	if first == "" {
		return Credential{}, ErrNotFound
	}
	vars := []string{first}
	if strings.TrimSpace(e.Getenv(first)) == "" {
		vars = e.Variables(k.Host)
	}
	for _, v := range vars {
		if tok := strings.TrimSpace(e.Getenv(v)); tok != "" {
			// The variable names no account: Helper.Answer finds the
			// username (configuration, forge) the token goes with.
			return Credential{Token: tok, Source: Source("env:" + v)}, nil
		}
	}
	return Credential{}, ErrNotFound
}

// Set implements Store: the environment cannot be written.
func (Env) Set(context.Context, Key, Credential) error { return ErrReadOnly }

// Delete implements Store: the environment cannot be written.
func (Env) Delete(context.Context, Key) error { return ErrReadOnly }
