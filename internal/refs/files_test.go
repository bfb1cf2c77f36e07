package refs_test

import (
	"reflect"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
)

// ReadFiles must agree with git on packed, loose and overridden refs.
func TestReadFilesAgreesWithGit(t *testing.T) {
	gittest.Isolate(t)
	work := gittest.NewWorkRepo(t)
	gittest.Git(t, work, "tag", "-a", "-m", "annotated", "v1")
	gittest.Git(t, work, "branch", "packed")
	gittest.Git(t, work, "pack-refs", "--all")
	gittest.Commit(t, work, "b", "b\n", "second")
	gittest.Git(t, work, "branch", "-f", "packed") // loose now overrides packed
	gittest.Git(t, work, "branch", "loose/nested")
	gittest.Git(t, work, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
	got, err := refs.ReadFiles(work + "/.git")
	if err != nil {
		t.Fatal(err)
	}
	want, err := refs.ParseForEachRef([]byte(gittest.Git(t, work, "for-each-ref", refs.ForEachRefFormat)))
	if err != nil {
		t.Fatal(err)
	}
	want = want.Filter(func(r string) bool { return r != "refs/heads/alias" }) // symrefs are apart
	if !reflect.DeepEqual(got.Refs, want.Refs) {
		t.Fatalf("ReadFiles:\n got %v\nwant %v", got.Refs, want.Refs)
	}
	if got.Symrefs["refs/heads/alias"] != "refs/heads/main" {
		t.Errorf("symrefs %v", got.Symrefs)
	}
	tag := gittest.Git(t, work, "rev-parse", "v1^{}")
	if got.Peeled["refs/tags/v1"] != tag {
		t.Errorf("peeled %v, want v1 -> %s", got.Peeled, tag)
	}
}
