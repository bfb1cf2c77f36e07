package fedcmd

import (
	"bytes"
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// A federationset on a real forge: sync --all lists the origin owner's
// repositories, keeps those its wildcards select, creates the missing
// mirrors through the forge's API (createMissing) and pushes them.
func TestSyncFederationSetCreatesMissingMirrorsOnGitea(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.StartGitea(t)
	u, _ := url.Parse(g.URL)
	t.Setenv(keystore.EnvName(u.Host), g.Token)
	for _, org := range []string{"up", "down"} {
		g.API(t, "POST", "/api/v1/orgs", map[string]any{"username": org}, nil)
	}
	work := gittest.NewWorkRepo(t)
	heads := map[string]string{}
	for _, name := range []string{"linkis", "linkis-web", "kafka"} {
		g.API(t, "POST", "/api/v1/orgs/up/repos", map[string]any{"name": name}, nil)
		heads[name] = gittest.Commit(t, work, name+".txt", name+"\n", "work on "+name)
		if _, err := gittest.GitErr(work, g.GitEnv(), "push", "-q", g.URL+"/up/"+name+".git", "HEAD:refs/heads/main"); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range [][2]string{
		{"federationset.apache.origin", g.URL + "/up"},
		{"federationset.apache.mirror", g.URL + "/down"},
		{"federationset.apache.include", "linkis*"},
		{"federationset.apache.createMissing", "true"},
		{"federate." + g.URL + ".forge", "gitea"},
	} {
		gittest.Git(t, "", "config", "--global", kv[0], kv[1])
	}

	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err := runSync(ctx, SyncOptions{IO: IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, All: true, Jobs: 2,
		SyncEnv: SyncEnv{Exe: filepath.Join(gittest.BinDir(t), "git-federate"), LockWait: time.Minute}})
	if code := exitCode(err, &errOut); code != ExitOK {
		t.Fatalf("sync --all: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, name := range []string{"linkis", "linkis-web"} {
		got, err := gittest.GitErr("", g.GitEnv(), "ls-remote", g.URL+"/down/"+name+".git", "refs/heads/main")
		if err != nil || !strings.HasPrefix(got, heads[name]) {
			t.Errorf("mirror down/%s main = %q, %v; want %s", name, got, err, heads[name])
		}
	}
	if !strings.Contains(errOut.String(), "created missing mirror "+g.URL+"/down/linkis.git") {
		t.Errorf("sync did not say it created the mirror:\n%s", errOut.String())
	}
	if _, err := gittest.GitErr("", g.GitEnv(), "ls-remote", g.URL+"/down/kafka.git"); err == nil {
		t.Error("down/kafka exists: include linkis* should have left kafka out")
	}
	if strings.Contains(out.String()+errOut.String(), g.Token) {
		t.Error("sync output holds the token")
	}
}
