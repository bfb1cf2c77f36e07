package keystore

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestRepositoryUsernamesOfTheServer checks the accounts git's
// configuration gives a server: the one for the server itself, and those
// set for a repository on it (git matches those against the repository's
// URL before it asks a helper for the server alone), not those of
// another host, another protocol or a repository key's look-alike.
func TestRepositoryUsernamesOfTheServer(t *testing.T) {
	home := t.TempDir()
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "GIT_CONFIG_NOSYSTEM=1")
	for _, kv := range [][2]string{
		{"credential.https://git.example.com.username", "alice"},
		{"credential.https://git.example.com/team/repo.git.username", "carol"},
		{"credential.https://GIT.example.com:443x/other.username", "mallory"},
		{"credential.https://git.example.org/team/repo.git.username", "dave"},
		{"credential.http://git.example.com/team/repo.git.username", "erin"},
	} {
		cmd := exec.Command("git", "config", "--global", kv[0], kv[1])
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git config: %v\n%s", err, out)
		}
	}
	got, err := RepositoryUsernames(context.Background(), "git", "", "https://git.example.com", env)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"carol"}) {
		t.Errorf("RepositoryUsernames = %q, want [carol]", got)
	}
	got, err = RepositoryUsernames(context.Background(), "git", "", "https://unset.example.com", env)
	if err != nil || len(got) != 0 {
		t.Errorf("RepositoryUsernames of a server with none = %q, %v", got, err)
	}
}
