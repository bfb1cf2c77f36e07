package fedcmd

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// hostile is server text that would set the terminal's title, clear
// the screen, colour the rest and overwrite a line with fake output.
const hostile = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x9b1;1H\rfake: ok\x1bP+q\x1b\\"

// TestHookListDropsTerminalEscapes runs `git federate hook list` against
// a GitHub Enterprise and a self-hosted Gitee that put escape sequences
// in every field of their hooks and deliveries: none reaches the output.
func TestHookListDropsTerminalEscapes(t *testing.T) {
	gittest.Isolate(t)
	t.Setenv("FEDERATE_KEYRING", "off")
	github := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v3/repos/o/app/hooks":
			json.NewEncoder(w).Encode([]map[string]any{{"id": 1, "active": true, "events": []string{"push"},
				"config":        map[string]any{"url": "https://hooks.example/webhook" + hostile},
				"last_response": map[string]any{"code": 502, "status": "failed", "message": "bad gateway " + hostile}}})
		case "/api/v3/repos/o/app/hooks/1/deliveries":
			json.NewEncoder(w).Encode([]map[string]any{{"id": 7, "delivered_at": "2026-01-02T03:04:05Z",
				"status": "Invalid HTTP Response: 502 " + hostile, "status_code": 502, "event": "push" + hostile}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer github.Close()
	gitee := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/api/v5/repos/o/app/hooks" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode([]map[string]any{{"id": 2, "url": "https://hooks.example/" + hostile + "webhook",
			"push_events": true, "result": "timeout " + hostile, "result_code": 504}})
	}))
	defer gitee.Close()
	for name, srv := range map[string]*httptest.Server{"github": github, "gitee": gitee} {
		gittest.Git(t, "", "config", "--global", "federate."+srv.URL+".forge", name)
		gittest.Git(t, "", "config", "--global", "federation."+name+".origin", srv.URL+"/o/app.git")
		gittest.Git(t, "", "config", "--global", "federation."+name+".mirror", "https://mirror.example/o/app.git")
		t.Setenv(keystore.EnvName(strings.TrimPrefix(srv.URL, "http://")), name+"-token")
	}
	gittest.Git(t, "", "config", "--global", "federate."+gitee.URL+".api", gitee.URL+"/api/v5")

	out, err := exec.Command(filepath.Join(gittest.BinDir(t), "git-federate"), "hook", "list", "--all").CombinedOutput()
	if err != nil {
		t.Fatalf("hook list: %v\n%s", err, out)
	}
	for _, want := range []string{"https://hooks.example/webhook", "last delivery: HTTP 504 timeout", "HTTP 502 Invalid HTTP Response: 502"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("hook list lacks %q:\n%s", want, out)
		}
	}
	if i := strings.IndexFunc(string(out), func(r rune) bool {
		return r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f)
	}); i >= 0 {
		t.Fatalf("a control character reached the output at %d:\n%q", i, out)
	}
	for _, rest := range []string{"pwned", "[2J", "[31m", "+q"} {
		if strings.Contains(string(out), rest) {
			t.Errorf("the rest of an escape sequence, %q, reached the output:\n%q", rest, out)
		}
	}
}
