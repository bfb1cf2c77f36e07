package pushtest

import (
	"testing"
)

func TestPushLandsOnOriginAndMirrors(t *testing.T) {
	f := newFed(t)
	gittest_branch(t, f, "feature")
	c := f.commit("a.txt", "second")
	out := f.push(true, "fed", "main", "feature")
	f.wantRef("refs/heads/main", c, f.all()...)
	f.wantRef("refs/heads/feature", f.rev("feature"), f.all()...)
	wantContains(t, out, "federate: pushing 2 refs to 2 mirrors",
		"federate: mirror "+f.m1.URL+": ok", "federate: mirror "+f.m2.URL+": ok",
		"To federate::fed", "* [new branch]      feature -> feature")
	if n, m := reportLines(out, "main"), reportLines(out, "feature"); n != 1 || m != 1 {
		t.Errorf("report lines: main %d, feature %d; want 1 each\n%s", n, m, out)
	}
	t.Log(out)
	if p := f.pendingFile(); p != "" {
		t.Errorf("pending after a clean push:\n%s", p)
	}
}

func gittest_branch(t *testing.T, f *fed, name string) {
	t.Helper()
	_ = f.rev("HEAD")
	mustGit(t, f.work, "branch", name)
}
