package keystore

import (
	"context"
	"errors"
	neturl "net/url"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/hostname"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// ErrNoUsername is wrapped by errors about a forge that needs the real
// account name when none is configured.
var ErrNoUsername = i18n.Errorf("keystore: username required")

// UsernameConfigKey is the git config key that names the account for
// hostURL ("https://host[:port]"): credential.<url>.username.
func UsernameConfigKey(hostURL string) string { return "credential." + hostURL + ".username" }

// ForgeUsername is the username to send with a token to forge when the
// user configured none: GitHub takes any ("x-access-token"), GitLab
// "oauth2"; Gitee needs the real account name, so it is an error naming
// the config key to set.
func ForgeUsername(forge string, k Key) (string, error) {
	switch forge {
	case "gitlab":
		return "oauth2", nil
	case "gitee":
		return "", i18n.Errorf("%w: %s needs your account name with a token; set it with\n"+
			"  git config --global %s <your-account>", ErrNoUsername, k.URL(), UsernameConfigKey(k.URL()))
	}
	return DefaultUsername, nil
}

// AnyUsername reports whether forge takes a token with any username
// (GitHub, GitLab): there the token alone names the account, so a user a
// URL names may be sent it too.
func AnyUsername(forge string) bool { return forge == "github" || forge == "gitlab" }

// ForgeUsernames adapts ForgeUsername to a Helper, forge naming the
// forge of a host.
func ForgeUsernames(forge func(host string) string) Usernames {
	return func(k Key) (string, error) {
		f := ""
		if forge != nil {
			f = forge(k.Host)
		}
		return ForgeUsername(f, k)
	}
}

// ConfiguredUsernameTimeout bounds the `git config` run of
// ConfiguredUsername.
const ConfiguredUsernameTimeout = 30 * time.Second

// ConfiguredUsername is `git config --get-urlmatch credential.username
// url`: the username git itself would send, or "" when none is set.
func ConfiguredUsername(ctx context.Context, git, dir, url string, env []string) (string, error) {
	r := gitexec.Runner{Git: git, Dir: dir, Env: env, Timeout: ConfiguredUsernameTimeout}
	out, err := r.Output(ctx, "config", "--get-urlmatch", "credential.username", url)
	var ge *gitexec.Error
	if errors.As(err, &ge) && ge.ExitCode == 1 {
		return "", nil // not set
	}
	if err != nil {
		return "", i18n.Errorf("git config --get-urlmatch credential.username: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// RepositoryUsernames is the usernames of credential.<url>.username keys
// naming a repository on url's server. git matches those against a
// repository's whole URL and then asks the helpers for the server alone
// (credential.useHttpPath unset), so a request naming such a user may
// come from one of them; ConfiguredUsername has the server's own.
func RepositoryUsernames(ctx context.Context, git, dir, url string, env []string) ([]string, error) {
	server, err := neturl.Parse(url)
	if err != nil {
		return nil, nil
	}
	r := gitexec.Runner{Git: git, Dir: dir, Env: env, Timeout: ConfiguredUsernameTimeout}
	out, err := r.Output(ctx, "config", "-z", "--get-regexp", `^credential\..+\.username$`)
	var ge *gitexec.Error
	if errors.As(err, &ge) && ge.ExitCode == 1 {
		return nil, nil // none set
	}
	if err != nil {
		return nil, i18n.Errorf("git config --get-regexp credential.*.username: %w", err)
	}
	var names []string
	for _, e := range gitexec.ParseConfigZ(out, false) {
		if e.Value != "" && onServer(strings.TrimSuffix(strings.TrimPrefix(e.Key, "credential."), ".username"), server) {
			names = append(names, e.Value)
		}
	}
	return names, nil
}

// onServer reports whether raw, a credential.<url> subsection, names a
// repository (a path) on server's protocol and host.
func onServer(raw string, server *neturl.URL) bool {
	u, err := neturl.Parse(raw)
	if err != nil || strings.Trim(u.Path, "/") == "" || !strings.EqualFold(u.Scheme, server.Scheme) {
		return false
	}
	a, errA := hostname.Canonical(u.Host)
	b, errB := hostname.Canonical(server.Host)
	return errA == nil && errB == nil && a == b
}

// HintAccount is what the hint after a refusal at url needs to know of
// the account (gitexec.ExplainAs): the forge; for a Gitee, which takes
// a token only with the account's own name, whether
// credential.<url>.username names it (asked of git as
// ConfiguredUsername does, after the failure: ctx may have ended); and
// for an http(s) server whether the token chain (Default, without git's
// helpers: the tokens federate hands out) holds a token for it, with env
// (a gitexec.Runner's Env) as the environment.
func HintAccount(ctx context.Context, forge, git, dir, url string, env []string) gitexec.Account {
	ctx = context.WithoutCancel(ctx)
	a := gitexec.Account{Forge: forge}
	if forge == "gitee" {
		user, _ := ConfiguredUsername(ctx, git, dir, url, env)
		a.Named = user != ""
	}
	if u, err := neturl.Parse(url); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
		o := Options{Getenv: gitexec.Getenv(env), Forge: func(string) string { return forge }}
		cred, err := Default(o).Get(ctx, Key{Protocol: u.Scheme, Host: u.Host})
		a.NoToken = errors.Is(err, ErrNotFound) // a failing store may hold one
		TokenAccount(&a, u.Host, cred.Source, o.Getenv)
	}
	return a
}

// TokenAccount fills in what a hint says of the token for host: its
// FEDERATE_TOKEN_<HOST> variable, the variable source names (the token
// came from there; "" when it came from elsewhere or there is none), and
// whether the OS keyring can store a token.
func TokenAccount(a *gitexec.Account, host string, source Source, getenv func(string) string) {
	a.TokenVar = EnvName(host)
	a.FromVar, _ = strings.CutPrefix(string(source), "env:")
	a.NoKeyring = Keyring{Getenv: getenv}.Available() != nil
}
