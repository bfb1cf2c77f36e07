package fedsync

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestClassifyAndDecide(t *testing.T) {
	// History: a <- b <- c on origin; the mirror has x (own commit after a).
	parents := map[string]string{"b": "a", "c": "b", "x": "a", "y": "c"}
	ancestor := func(_ context.Context, a, b string) (bool, error) {
		for n := b; n != ""; n = parents[n] {
			if n == a {
				return true, nil
			}
		}
		return false, nil
	}
	origin := map[string]string{"refs/heads/same": "c", "refs/heads/behind": "c", "refs/heads/ahead": "c",
		"refs/heads/div": "c", "refs/heads/new": "c", "refs/tags/t": "c"}
	mirror := map[string]string{"refs/heads/same": "c", "refs/heads/behind": "a", "refs/heads/ahead": "y",
		"refs/heads/div": "x", "refs/heads/old": "a", "refs/tags/t": "b"}
	plans, err := classify(context.Background(), origin, mirror, ancestor)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]State{}
	for _, p := range plans {
		got[p.Ref] = p.State
	}
	want := map[string]State{"refs/heads/same": InSync, "refs/heads/behind": Behind, "refs/heads/ahead": Ahead,
		"refs/heads/div": Diverged, "refs/heads/new": Missing, "refs/heads/old": Extra, "refs/tags/t": Diverged}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("states:\n got %v\nwant %v", got, want)
	}
	actions := func(force, prune bool) map[string]Action {
		decide(plans, force, prune)
		m := map[string]Action{}
		for _, p := range plans {
			m[p.Ref] = p.Action
		}
		return m
	}
	if a := actions(false, false); a["refs/heads/div"] != ActKeep || a["refs/heads/ahead"] != ActKeep ||
		a["refs/heads/old"] != ActKeep || a["refs/heads/behind"] != ActUpdate || a["refs/heads/new"] != ActCreate {
		t.Errorf("default actions: %v", a)
	}
	if a := actions(true, true); a["refs/heads/div"] != ActForce || a["refs/tags/t"] != ActForce || a["refs/heads/old"] != ActDelete {
		t.Errorf("force+prune actions: %v", a)
	}
}

func TestMirrorPushLeasesForcedAndDeleted(t *testing.T) {
	p := mirrorPush("https://m/x.git", []RefPlan{
		{Ref: "refs/heads/a", Action: ActUpdate, Origin: "o1", Mirror: "m1"},
		{Ref: "refs/heads/b", Action: ActForce, Origin: "o2", Mirror: "m2"},
		{Ref: "refs/heads/c", Action: ActDelete, Mirror: "m3"},
		{Ref: "refs/heads/d", Action: ActCreate, Origin: "o4"},
	})
	args := p.Args()
	i := slices.Index(args, "push")
	want := []string{"push", "--porcelain", "--no-verify", "--no-follow-tags", "--recurse-submodules=no", "--no-progress",
		"--force-with-lease=refs/heads/a:m1", "--force-with-lease=refs/heads/b:m2", "--force-with-lease=refs/heads/c:m3",
		"--force-with-lease=refs/heads/d:",
		"--", "https://m/x.git", "o1:refs/heads/a", "o2:refs/heads/b", ":refs/heads/c", "o4:refs/heads/d"}
	if i < 0 || !reflect.DeepEqual(args[i:], want) {
		t.Fatalf("args:\n got %q\nwant %q", args, want)
	}
}

func TestCacheBase(t *testing.T) {
	if got := cacheBase("linkis"); got != "linkis" {
		t.Errorf("plain name changed: %q", got)
	}
	for _, n := range []string{"../evil", "a/b", ".hidden", "a b"} {
		got := cacheBase(n)
		if got == n || got == "" || got[0] == '.' || containsAny(got, "/ ") {
			t.Errorf("cacheBase(%q) = %q", n, got)
		}
	}
	if cacheBase("a/b") == cacheBase("a_b") {
		t.Error("distinct names share a cache")
	}
}

func containsAny(s, chars string) bool {
	for _, c := range chars {
		for _, d := range s {
			if c == d {
				return true
			}
		}
	}
	return false
}

func TestHeadFirst(t *testing.T) {
	for _, c := range []struct {
		branch string
		want   string
	}{
		{"trunk", "refs/heads/trunk refs/heads/alpha refs/heads/zeta refs/tags/v1"},
		{"alpha", "refs/heads/alpha refs/heads/trunk refs/heads/zeta refs/tags/v1"},
		{"gone", "refs/heads/alpha refs/heads/trunk refs/heads/zeta refs/tags/v1"},
		{"", "refs/heads/alpha refs/heads/trunk refs/heads/zeta refs/tags/v1"},
	} {
		todo := []RefPlan{{Ref: "refs/heads/alpha"}, {Ref: "refs/heads/trunk"}, {Ref: "refs/heads/zeta"}, {Ref: "refs/tags/v1"}}
		headFirst(todo, c.branch)
		var got []string
		for _, p := range todo {
			got = append(got, p.Ref)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%q: %v, want %s", c.branch, got, c.want)
		}
	}
}
