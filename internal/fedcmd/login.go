package fedcmd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/forge"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/httpx"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// TokenDeps are what login, logout and auth use from the outside world;
// tests replace them.
type TokenDeps struct {
	// Getenv looks up variables; nil means this process's environment (gitexec.Getenv).
	Getenv func(string) string
	// Env is the environment git children start from; nil means os.Environ().
	Env []string
	// Keyring is the keyring backend; nil means the OS keyring.
	Keyring keystore.KeyringBackend
	// HTTP calls forge APIs; nil means a client with a time limit.
	HTTP *http.Client
	// HTTPSettings gives git's http settings for a forge API URL;
	// config sets it from git config when nil (forgeClient).
	HTTPSettings httpx.SettingsFor
	// Exe is this program, which child gits call back for credentials;
	// "" means os.Executable().
	Exe string
	// Dir is where git config is read; "" means the current directory.
	Dir string
	// GitTimeout bounds each ls-remote; 0 means one minute.
	GitTimeout time.Duration
	// Tokens, when set, is asked for each server's token instead of a
	// token chain made for it (a keystore.Memo that a check of many
	// servers shares: the keyring is asked once per host).
	Tokens keystore.Getter
}

func (d TokenDeps) getenv(k string) string {
	if d.Getenv == nil {
		return gitexec.Getenv(nil)(k)
	}
	return d.Getenv(k)
}

func (d TokenDeps) env() []string {
	if d.Env == nil {
		return os.Environ()
	}
	return d.Env
}

func (d TokenDeps) keyring() keystore.Keyring {
	return keystore.Keyring{Backend: d.Keyring, Getenv: d.Getenv}
}

// config loads git config, and in the same `git config` run git's http
// settings, which it returns d with (HTTPSettings, unless given): the
// forge API calls of the command go by them as git's requests do. A
// misconfigured federation does not stop token work on the others (it
// stays in cfg.Invalid); only config that cannot be read at all is an
// error.
func (d TokenDeps) config(ctx context.Context) (*federation.Config, TokenDeps, error) {
	cfg, entries, err := federation.LoadWith(ctx, gitexec.Runner{Dir: d.Dir}, nil, httpx.ConfigSections()...)
	if cfg == nil {
		return nil, d, err
	}
	if d.HTTPSettings == nil {
		d.HTTPSettings = httpx.ResolverOf(entries, d.getenv)
	}
	return cfg, d, nil
}

// forgeClient is the forge API client of d (from config): through
// d.HTTP, with git's http settings.
func (d TokenDeps) forgeClient() forge.Client {
	return forge.Client{HTTP: d.HTTP, Settings: d.HTTPSettings}
}

// runner runs git with this program as the only credential helper.
func (d TokenDeps) runner() (gitexec.Runner, error) {
	exe := d.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return gitexec.Runner{}, i18n.Errorf("finding own executable for the credential callback: %w", err)
		}
	}
	timeout := d.GitTimeout
	if timeout == 0 {
		timeout = time.Minute
	}
	return gitexec.Runner{Dir: d.Dir, Env: gitexec.WithCredentialCallback(d.env(), exe), Timeout: timeout}, nil
}

// LoginOptions are the flags of `git federate login`.
type LoginOptions struct {
	URL        string
	Username   string
	TokenStdin bool
	NoVerify   bool
	IO         IO
	Deps       TokenDeps
}

func loginCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "login",
		Usage:     "store a token for a host in the OS keyring",
		ArgsUsage: "<url>",
		Description: "Reads a token (hidden prompt on a terminal, or --token-stdin), checks it with the\n" +
			"forge's API (or git ls-remote), and stores it in the OS keyring under\n" +
			"service git-remote-federate, user https://host[:port]. Never falls back to a file.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "username", Usage: "account name to send with the token (Gitee needs the real one); saved as credential.<url>.username"},
			&cli.BoolFlag{Name: "token-stdin", Usage: "read the token from standard input"},
			&cli.BoolFlag{Name: "no-verify", Usage: "store the token without checking it"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return UsageError("login takes one URL, e.g. `git federate login https://gitee.com`")
			}
			return runLogin(c.Context, LoginOptions{URL: c.Args().First(), Username: c.String("username"),
				TokenStdin: c.Bool("token-stdin"), NoVerify: c.Bool("no-verify"), IO: stdio})
		},
	}
}

// tokenTarget is the host a token is for, parsed from a URL argument.
type tokenTarget struct {
	ep  federation.Endpoint
	key keystore.Key
}

func parseTarget(raw string) (tokenTarget, error) {
	ep, err := federation.ParseEndpoint(raw)
	if err != nil {
		return tokenTarget{}, UsageError("%v", err)
	}
	if !ep.HTTP() {
		return tokenTarget{}, UsageError("%s: tokens are for http and https servers only (ssh uses your ssh keys)", raw)
	}
	return tokenTarget{ep: ep, key: keystore.Key{Protocol: ep.Protocol, Host: ep.Host}}, nil
}

func runLogin(ctx context.Context, o LoginOptions) error {
	tgt, err := parseTarget(o.URL)
	if err != nil {
		return err
	}
	host := tgt.ep.HostURL()
	kr := o.Deps.keyring()
	if err := kr.Available(); errors.Is(err, keystore.ErrKeyringOff) {
		return i18n.Errorf("cannot store a token: %w\n"+
			"login never writes tokens to a file; unset FEDERATE_KEYRING to use the OS keyring, or set %s for this shell",
			err, keystore.EnvName(tgt.ep.Host))
	} else if err != nil {
		return i18n.Errorf("cannot store a token: %w\n"+
			"login never writes tokens to a file; start a keyring (Secret Service), or set %s for this shell",
			err, keystore.EnvName(tgt.ep.Host))
	}
	cfg, deps, err := o.Deps.config(ctx)
	if err != nil {
		return err
	}
	o.Deps = deps
	forgeName := cfg.ForgeOf(tgt.ep.Protocol, tgt.ep.Host)
	user, err := loginUsername(ctx, o, forgeName, tgt)
	if err != nil {
		return err
	}
	token, err := readToken(o)
	if err != nil {
		return err
	}
	cred := keystore.Credential{Username: user, Token: token}
	if !o.NoVerify {
		who, err := verifyToken(ctx, o.Deps, cfg, tgt, forgeName, cred)
		if err != nil {
			return err
		}
		o.IO.P.Fprintf(o.IO.Err, "Token for %s works%s.\n", host, who)
		reportLoginScopes(ctx, o, cfg, tgt, forgeName, token)
	}
	if err := kr.Set(ctx, tgt.key, cred); err != nil {
		return i18n.Errorf("storing the token for %s in the OS keyring: %w", host, err)
	}
	if o.Username != "" {
		if err := saveUsername(ctx, o, host); err != nil {
			return err
		}
	}
	o.IO.P.Fprintf(o.IO.Err, "Stored the token for %s in the OS keyring.\n", host)
	return nil
}

// loginUsername is --username, else credential.<url>.username, else the
// forge's default; Gitee without one is an error naming the key to set.
func loginUsername(ctx context.Context, o LoginOptions, forgeName string, tgt tokenTarget) (string, error) {
	if o.Username != "" {
		if strings.ContainsAny(o.Username, "\n\r\x00") {
			return "", UsageError("--username holds a newline or NUL")
		}
		return o.Username, nil
	}
	user, err := keystore.ConfiguredUsername(ctx, "", o.Deps.Dir, tgt.ep.HostURL()+"/", o.Deps.env())
	if err != nil || user != "" {
		return user, err
	}
	if forgeName == forge.Gitee {
		_, err := keystore.ForgeUsername(forgeName, tgt.key)
		return "", i18n.Errorf("%w\n(or pass --username)", err)
	}
	return "", nil
}

func saveUsername(ctx context.Context, o LoginOptions, host string) error {
	r := gitexec.Runner{Dir: o.Deps.Dir, Env: o.Deps.env()}
	key := keystore.UsernameConfigKey(host)
	if err := r.Run(ctx, "config", "--global", key, o.Username); err != nil {
		return i18n.Errorf("saving %s: %w", key, err)
	}
	return nil
}

// readToken reads the token from stdin (--token-stdin) or a hidden
// prompt on a terminal; anything else is a usage error, not a hang.
func readToken(o LoginOptions) (string, error) {
	var raw []byte
	switch f, tty := terminal(o.IO.In); {
	case o.TokenStdin:
		b, err := io.ReadAll(io.LimitReader(o.IO.In, 64<<10))
		if err != nil {
			return "", i18n.Errorf("reading the token from stdin: %w", err)
		}
		raw = b
	case tty:
		b, err := readHidden(f, o.IO.Err, o.IO.P.Sprintf("Token (input hidden): "))
		if err != nil {
			return "", i18n.Errorf("reading the token: %w", err)
		}
		raw = b
	default:
		return "", UsageError("standard input is not a terminal: pass the token with --token-stdin")
	}
	tok := strings.TrimRight(string(raw), "\r\n")
	if tok == "" {
		return "", UsageError("empty token")
	}
	if strings.ContainsAny(tok, " \t\n\r\x00") {
		return "", UsageError("the token holds whitespace, a newline or NUL")
	}
	return tok, nil
}

// errCannotVerify says login found nothing to check a token against.
var errCannotVerify = i18n.Errorf("cannot verify the token")

// verifyToken checks cred with the forge's API when the forge is known,
// else with git ls-remote of the URL (when it names a repository) or of
// a configured repository on the same host. It returns " (as <login>)"
// when the forge said who the token belongs to.
func verifyToken(ctx context.Context, d TokenDeps, cfg *federation.Config, tgt tokenTarget, forgeName string, cred keystore.Credential) (string, error) {
	host := tgt.ep.HostURL()
	if forge.Known(forgeName) {
		base, err := forge.APIBase(forgeName, host, cfg.HostFor(tgt.ep).API)
		if err != nil {
			return "", err
		}
		u, err := d.forgeClient().CurrentUser(ctx, forgeName, base, cred.Token)
		if errors.Is(err, forge.ErrUnauthorized) {
			return "", i18n.Errorf("%s refused the token (HTTP 401): check it, and its expiry", base)
		}
		if errors.Is(err, forge.ErrForbidden) && forgeName != forge.Gitee {
			// Accepted, but without the scope to read the account.
			return i18n.From(ctx).Sprintf(" (it may not read the account, so whose it is is unknown)"), nil
		}
		if err != nil {
			return "", i18n.Errorf("checking the token with %s: %w (use --no-verify to store it anyway)", base, err)
		}
		if forgeName == forge.Gitee && cred.Username != "" && !strings.EqualFold(u.Login, cred.Username) {
			return "", i18n.Errorf("the token belongs to Gitee account %q, but the username for %s is %q: Gitee refuses git over HTTPS with a mismatched name; fix %s or --username",
				u.Login, host, cred.Username, keystore.UsernameConfigKey(host))
		}
		return i18n.From(ctx).Sprintf(" (as %s)", u.Login), nil
	}
	repo := repoOnHost(cfg, tgt.ep)
	if repo == "" {
		return "", i18n.Errorf("%w: %s has no known forge API and names no repository, and no configured federation has one there;\n"+
			"give a repository URL (git federate login %s/owner/repo.git), set [federate \"%s\"] forge, or pass --no-verify",
			errCannotVerify, host, host, host)
	}
	if err := lsRemoteWith(ctx, d, repo, host, cred); err != nil {
		return "", err
	}
	return "", nil
}

// reportLoginScopes prints, after a token passed the forge's check, its
// scopes as the forge tells them and any that the configuration needs on
// that host but the token lacks. A missing scope is a warning: the token
// is stored anyway, since it may be all this host needs today.
func reportLoginScopes(ctx context.Context, o LoginOptions, cfg *federation.Config, tgt tokenTarget, forgeName, token string) {
	if !forge.Known(forgeName) {
		return
	}
	host := tgt.ep.HostURL()
	base, err := forge.APIBase(forgeName, host, cfg.HostFor(tgt.ep).API)
	if err != nil {
		return
	}
	res := HostAuth{Host: host, Forge: forgeName, Needs: hostNeeds(cfg)[host]}
	probe := repoRef(tgt.ep)
	if probe == (forge.RepoRef{}) {
		for _, h := range configuredHosts(cfg) {
			if h.ep.HostURL() == host {
				probe = h.probe
			}
		}
	}
	scopeCheck(ctx, o.Deps.forgeClient(), &res, base, token, probe)
	printScopes(o.IO.Err, o.IO.P, "  ", res)
	if len(res.Missing) > 0 {
		o.IO.P.Fprintf(o.IO.Err, "warning: the token for %s lacks scopes the configuration needs there (above)\n", host)
	}
}

// repoOnHost is ep itself when it names a repository, else the first
// configured origin or mirror on the same host, else "".
func repoOnHost(cfg *federation.Config, ep federation.Endpoint) string {
	if p := strings.Trim(ep.Path, "/"); p != "" {
		return ep.Raw
	}
	for _, name := range cfg.Names() {
		f := cfg.Federations[name]
		for _, e := range f.Servers() {
			if e.Protocol == ep.Protocol && e.Host == ep.Host {
				return e.Raw
			}
		}
	}
	return ""
}

// lsRemoteWith runs git ls-remote of repo where the credential callback
// answers with cred, handed over through a pipe: the token is in no
// argv, environment or file.
func lsRemoteWith(ctx context.Context, d TokenDeps, repo, host string, cred keystore.Credential) error {
	r, err := d.runner()
	if err != nil {
		return err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	req := keystore.Request{"password": cred.Token}
	if cred.Username != "" {
		req["username"] = cred.Username
	}
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		pw.Close()
		return err
	}
	_, err = pw.Write(buf.Bytes()) // far below the pipe's buffer: never blocks
	pw.Close()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	r, url := r.Plain(repo)
	cmd := r.Command(ctx, "ls-remote", "--heads", "--", url)
	cmd.Env = append(cmd.Env, keystore.TokenFDEnv+"=3", keystore.TokenFDHostEnv+"="+host)
	cmd.ExtraFiles = []*os.File{pr}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		red := redact.New() // the server may echo the token back
		red.Add(cred.Username, cred.Token)
		red.Add(keystore.DefaultUsername, cred.Token)
		gerr := &gitexec.Error{Subcommand: "ls-remote", Stderr: red.Clean(tail(stderr.String())), Err: err}
		if ctx.Err() != nil {
			gerr.Err = ctx.Err()
		}
		if gitexec.Classify(gerr) == gitexec.KindAuth {
			// Explain's hint is to log in: what the user is doing.
			return i18n.Errorf("%s refused the token, and nothing was stored: check the token, its expiry and the account name (--username)\n%w", host, gerr)
		}
		return i18n.Errorf("checking the token with git ls-remote %s: %w", repo, gitexec.Explain(gerr, repo))
	}
	return nil
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}
