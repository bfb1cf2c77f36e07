package fedcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// TestImportGitblitRefusesHostileRegistrations: a folder leading out of
// the repositories folder, a token in the URL and a too-short frequency
// are refused, and nothing of them reaches git config.
func TestImportGitblitRefusesHostileRegistrations(t *testing.T) {
	for _, tt := range []struct{ name, props, want string }{
		{"folder outside", "federation.x.url = https://a.example\nfederation.x.folder = ../../x\n", "outside"},
		{"absolute folder", "federation.x.url = https://a.example\nfederation.x.folder = /etc\n", "outside"},
		{"token in url", "federation.x.url = https://a.example/?token=SECRET0123456789\n", "git federate login"},
		{"frequency too short", "federation.x.url = https://a.example\nfederation.x.frequency = 1 mins\n", "5 min"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gittest.Isolate(t)
			file, _ := writeProperties(t, tt.props)
			stdio, out, errb := testIO("")
			err := runImportGitblit(t.Context(), stdio, ImportGitblitOptions{File: file, Repositories: "/srv/mirrors", Dir: t.TempDir()})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			home, _ := os.UserHomeDir()
			cfg, _ := os.ReadFile(filepath.Join(home, ".gitconfig"))
			all := string(cfg) + out.String() + errb.String()
			if err != nil {
				all += err.Error()
			}
			if strings.Contains(all, "SECRET") || strings.Contains(string(cfg), "federationset.x") || strings.Contains(string(cfg), "[federationset \"x\"]") {
				t.Errorf("hostile registration reached config or output:\n%s", all)
			}
		})
	}
}
