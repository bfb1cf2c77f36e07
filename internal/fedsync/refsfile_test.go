package fedsync

import (
	"reflect"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// readRefFiles must agree with git on packed, loose and overridden refs.
func TestReadRefFilesAgreesWithGit(t *testing.T) {
	gittest.Isolate(t)
	work := gittest.NewWorkRepo(t)
	gittest.Git(t, work, "tag", "-a", "-m", "annotated", "v1")
	gittest.Git(t, work, "branch", "packed")
	gittest.Git(t, work, "pack-refs", "--all")
	gittest.Commit(t, work, "b", "b\n", "second")
	gittest.Git(t, work, "branch", "-f", "packed") // loose now overrides packed
	gittest.Git(t, work, "branch", "loose/nested")
	gittest.Git(t, work, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
	dir := work + "/.git"
	got, err := readRefFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := parseForEachRef([]byte(gittest.Git(t, work, "for-each-ref", "--format=%(objectname) %(refname)")))
	delete(want, "refs/heads/alias") // symrefs are skipped
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("readRefFiles:\n got %v\nwant %v", got, want)
	}
}
