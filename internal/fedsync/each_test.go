package fedsync

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
)

// Results are reported in the order of the federations, each as soon as
// it and those before it are done: the first federation's result is out
// while the last is still running, and a result done early waits for
// those before it.
//
// Jobs 2 runs 8 federations at once: all four start together.
func TestEachReportsInOrderAsDone(t *testing.T) {
	e, err := New(Config{CacheRoot: t.TempDir(), Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	var feds []*federation.Federation
	for i := range 4 {
		feds = append(feds, &federation.Federation{Name: fmt.Sprint("f", i)})
	}
	firstOut := make(chan struct{})
	release0 := make(chan struct{})
	fn := func(ctx context.Context, f *federation.Federation) *FederationResult {
		switch f.Name {
		case "f0":
			<-release0 // done after f2
		case "f2":
			defer close(release0)
		case "f3":
			// Limit on the path meant to hang: a run that keeps every
			// result until the end never reports f0 while f3 runs.
			select {
			case <-firstOut:
			case <-time.After(time.Minute):
				t.Error("f0 was not reported while f3 was still running")
			}
		}
		return &FederationResult{Name: f.Name}
	}
	var got []string
	e.each(context.Background(), feds, fn, func(r *FederationResult, _ bool) {
		got = append(got, r.Name)
		if r.Name == "f0" {
			close(firstOut)
		}
	})
	if fmt.Sprint(got) != "[f0 f1 f2 f3]" {
		t.Errorf("reported %v, want [f0 f1 f2 f3]", got)
	}
}
