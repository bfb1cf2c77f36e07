package fedset

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// TestMemberRefusesHostileNames: a repository name from a forge listing
// that would leave the owner's URL (or read as an option) makes no member.
func TestMemberRefusesHostileNames(t *testing.T) {
	cfg := parse(t,
		"federationset.s.origin", "https://github.com/team",
		"federationset.s.mirror", "https://gitee.com/team-mirror")
	for _, name := range []string{"../r", "..", ".", "", "a/b", "-upload-pack=x", "r\x1b[2J", "r\nx", "r?x", "r#x", `r\x`} {
		if m, err := Member(cfg.Sets["s"], name); err == nil {
			t.Errorf("Member(%q) = %s %s, want a refusal", name, m.Origin.Raw, m.Mirrors[0].Raw)
		} else if !strings.Contains(err.Error(), "repository name") {
			t.Errorf("Member(%q): unclear error %v", name, err)
		}
	}
}

// TestExpandSkipsHostileListing: a forge listing {"name":"../r"} yields
// an error naming the set, no member for it, and the good members still.
func TestExpandSkipsHostileListing(t *testing.T) {
	gittest.Isolate(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[{"name":"../r","full_name":"team/../r"},{"name":"good","full_name":"team/good"}]`))
	}))
	defer api.Close()
	cfg := parse(t,
		"federationset.s.origin", api.URL+"/team",
		"federationset.s.mirror", "https://gitee.com/team-mirror",
		"federate."+api.URL+".forge", "gitea")
	feds, errs := Expand(context.Background(), cfg, Deps{Tokens: keystore.Chain{}})
	if len(feds) != 1 || feds[0].Name != "s/good" {
		var names []string
		for _, f := range feds {
			names = append(names, f.Name+" "+f.Mirrors[0].Raw)
		}
		t.Errorf("members = %v, want only s/good", names)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `"../r"`) || !strings.Contains(errs[0].Error(), `federationset "s"`) {
		t.Errorf("errs = %v", errs)
	}
}
