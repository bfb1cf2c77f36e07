package gitexec

import (
	"slices"
	"testing"
	"time"
)

// Each server's own limit reaches the child that talks to it: over
// http(s) as git's per-URL low-speed setting (the common one moved out of
// the environment, where it would win over any per-URL value), over ssh
// through the callback, which finds the server by host and path.
func TestWithServerLimits(t *testing.T) {
	r := Runner{Env: []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=user.name", "GIT_CONFIG_VALUE_0=u"}}
	r, _ = r.WithStallLimit(t.Context(), 2*time.Minute, "federation.app.timeout", "")
	r = r.WithServerLimits([]ServerLimit{
		{URL: "https://hung.example/app.git", Limit: 1500 * time.Millisecond, Key: "k1"},
		{URL: "git@gitee.com:o/app.git", SSH: true, Host: "gitee.com", Path: "o/app.git", Limit: 2 * time.Second, Key: "k2"},
		{URL: "ssh://h:2222/srv/x.git", SSH: true, Host: "h:2222", Path: "/srv/x.git", Limit: 3 * time.Second, Key: "k3"},
	})
	get := func(k string) string { v, _ := lookup(r.Env, k); return v }
	for _, want := range []string{"GIT_CONFIG_COUNT=4",
		"GIT_CONFIG_KEY_1=http.lowSpeedLimit", "GIT_CONFIG_VALUE_1=1",
		"GIT_CONFIG_KEY_2=http.lowSpeedTime", "GIT_CONFIG_VALUE_2=120",
		"GIT_CONFIG_KEY_3=http.https://hung.example/app.git.lowSpeedTime", "GIT_CONFIG_VALUE_3=2"} {
		if !slices.Contains(r.Env, want) {
			t.Errorf("env lacks %s: %q", want, r.Env)
		}
	}
	if v := get("GIT_HTTP_LOW_SPEED_TIME"); v != "" {
		t.Errorf("GIT_HTTP_LOW_SPEED_TIME=%s still overrides the per-URL limits", v)
	}
	for _, tc := range []struct {
		args  []string
		limit time.Duration
		key   string
		ok    bool
	}{
		{[]string{"git@gitee.com", "git-receive-pack 'o/app.git'"}, 2 * time.Second, "k2", true},
		{[]string{"-o", "SendEnv=GIT_PROTOCOL", "-p", "2222", "h", `git-upload-pack '/srv/x.git'`}, 3 * time.Second, "k3", true},
		{[]string{"h", `git-upload-pack '/srv/x.git'`}, 0, "", false},           // another port
		{[]string{"gitee.com", "git-receive-pack 'o/other.git'"}, 0, "", false}, // another repository
	} {
		d, key, ok := serverLimit(get, tc.args)
		if d != tc.limit || key != tc.key || ok != tc.ok {
			t.Errorf("serverLimit(%q) = %v %q %v, want %v %q %v", tc.args, d, key, ok, tc.limit, tc.key, tc.ok)
		}
	}
	if got := remotePath(`git-upload-pack '/a/it'\''s.git'`); got != "/a/it's.git" {
		t.Errorf("remotePath = %q", got)
	}
}
