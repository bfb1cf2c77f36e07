package gitexec

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// Sibling finds another of the names this program is installed under
// (git-remote-federate, git-federate, git-credential-federate): exe
// itself if it has that name, else the file beside exe (an install puts
// all three together), else name on PATH.
func Sibling(exe, name string) (string, error) {
	if filepath.Base(exe) == name {
		return exe, nil
	}
	p := filepath.Join(filepath.Dir(exe), name)
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", i18n.Errorf("%s is neither next to %s nor on PATH: install all three names (./install.sh or `go install ./cmd/...`)", name, exe)
	}
	return p, nil
}

// PrivateEnv turns environ into a private git world under home, for the
// demo and the benchmarks: no git, XDG, federate or token variable of the
// caller survives; HOME, the XDG directories and the global config point
// into home; system config, prompts and the keyring are off; bin comes
// first on PATH.
func PrivateEnv(environ []string, home, bin string) []string {
	var env []string
	path := ""
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH":
			path = v
			continue
		case strings.HasPrefix(k, "GIT_"), strings.HasPrefix(k, "FEDERATE_"), strings.HasPrefix(k, "XDG_"),
			k == "HOME", k == "GH_TOKEN", k == "GITHUB_TOKEN", k == "GITLAB_TOKEN", k == "GITEE_TOKEN":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"GIT_CONFIG_GLOBAL="+filepath.Join(home, ".gitconfig"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"FEDERATE_KEYRING=off",
		"PATH="+bin+string(os.PathListSeparator)+path,
	)
}
