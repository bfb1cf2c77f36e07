package gitexec

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestWithRepositoryConfigIsReadAsARepositorys: entries given to a child
// in another repository are read as git reads a repository's own
// config, checked with git itself: after the global file (a key set in
// both has the repository's value), before what the command gives in
// GIT_CONFIG_COUNT (which keeps its value, and its place last in a
// list), and a key with no value reads as true. The command's entries
// keep their values whatever their number, and a count git would refuse
// (negative, past the variables, not a number) is no crash.
func TestWithRepositoryConfigIsReadAsARepositorys(t *testing.T) {
	home := t.TempDir()
	global := home + "/gitconfig"
	if out, err := exec.Command("git", "config", "--file", global, "http.lowSpeedLimit", "1").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	env := []string{"HOME=" + home, "GIT_CONFIG_GLOBAL=" + global, "GIT_CONFIG_NOSYSTEM=1", "PATH=/usr/bin:/bin",
		"GIT_CONFIG_COUNT=2",
		"GIT_CONFIG_KEY_0=http.proxy", "GIT_CONFIG_VALUE_0=http://command.example:3128",
		"GIT_CONFIG_KEY_1=http.extraHeader", "GIT_CONFIG_VALUE_1=X-From: command",
	}
	env = WithRepositoryConfig(env, []ConfigEntry{
		{Scope: "local", Key: "http.lowspeedlimit", Value: "7"},
		{Scope: "local", Key: "http.proxy", Value: "http://repository.example:3128"},
		{Scope: "local", Key: "http.extraheader", Value: "X-From: repository"},
		{Scope: "local", Key: "http.sslverify", NoValue: true},
	})
	env = WithConfig(env, "http.postBuffer", "65536") // added after: still read
	read := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"config"}, args...)...)
		cmd.Env, cmd.Dir = env, home
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git config %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--get", "http.lowSpeedLimit"}, "7"},
		{[]string{"--get", "http.proxy"}, "http://command.example:3128"},
		{[]string{"--get-all", "http.extraHeader"}, "X-From: repository\nX-From: command"},
		{[]string{"--bool", "--get", "http.sslVerify"}, "true"},
		{[]string{"--get", "http.postBuffer"}, "65536"},
	} {
		if got := read(tc.args...); got != tc.want {
			t.Errorf("git config %s = %q, want %q", strings.Join(tc.args, " "), got, tc.want)
		}
	}
	if n := slices.IndexFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "GIT_CONFIG_COUNT=") }); n < 0 || env[n] != "GIT_CONFIG_COUNT=7" {
		t.Errorf("GIT_CONFIG_COUNT: %v", env)
	}
	if got := WithRepositoryConfig(env, nil); !slices.Equal(got, env) {
		t.Error("no entries changed the environment")
	}
	for _, count := range []string{"-1", "99999999999", "x"} {
		got := WithConfig([]string{"GIT_CONFIG_COUNT=" + count}, "http.proxy", "p")
		if !slices.Contains(got, "GIT_CONFIG_KEY_0=http.proxy") && !slices.Contains(got, "GIT_CONFIG_KEY_1=http.proxy") {
			t.Errorf("GIT_CONFIG_COUNT=%s: %v", count, got)
		}
	}
}
