package fedsync

import (
	"errors"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// A delete or a forced update goes ahead only while origin, listed again,
// still has the value it was planned from; any other action does not
// list origin again.
func TestConfirmKeepsWhatOriginNoLongerSupports(t *testing.T) {
	plans := func() []RefPlan {
		return []RefPlan{
			{Ref: "refs/heads/gone", State: Extra, Action: ActDelete, Mirror: "m1"},
			{Ref: "refs/heads/pushed", State: Extra, Action: ActDelete, Mirror: "m2"},
			{Ref: "refs/heads/same", State: Diverged, Action: ActForce, Origin: "o3", Mirror: "m3"},
			{Ref: "refs/heads/moved", State: Ahead, Action: ActForce, Origin: "o4", Mirror: "m4"},
			{Ref: "refs/heads/new", State: Missing, Action: ActCreate, Origin: "o5"},
		}
	}
	originNow := map[string]string{"refs/heads/pushed": "m2", "refs/heads/same": "o3", "refs/heads/moved": "m4", "refs/heads/new": "o6"}
	cases := []struct {
		name string
		now  func() (map[string]string, error)
		want map[string]Action // the refs kept, and every action after
		why  i18n.Msg
	}{
		{"origin moved", func() (map[string]string, error) { return originNow, nil },
			map[string]Action{"refs/heads/gone": ActDelete, "refs/heads/pushed": ActKeep, "refs/heads/same": ActForce, "refs/heads/moved": ActKeep, "refs/heads/new": ActCreate},
			ReasonOriginMoved},
		{"origin not listed", func() (map[string]string, error) { return nil, errors.New("origin: 503") },
			map[string]Action{"refs/heads/gone": ActKeep, "refs/heads/pushed": ActKeep, "refs/heads/same": ActKeep, "refs/heads/moved": ActKeep, "refs/heads/new": ActCreate},
			ReasonOriginUnconfirmed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := plans()
			kept := confirm(ps, c.now)
			for _, p := range ps {
				if p.Action != c.want[p.Ref] {
					t.Errorf("%s: %s, want %s", p.Ref, p.Action, c.want[p.Ref])
				}
				why, ok := kept[p.Ref]
				if keptNow := p.Action == ActKeep; ok != keptNow || ok && why.String() != c.why.String() {
					t.Errorf("%s: reason %q (kept %v), want %q", p.Ref, why.String(), ok, c.why.String())
				}
			}
		})
	}

	calls := 0
	ps := []RefPlan{{Ref: "refs/heads/a", State: Behind, Action: ActUpdate}, {Ref: "refs/heads/b", State: Extra, Action: ActKeep}}
	if kept := confirm(ps, func() (map[string]string, error) { calls++; return nil, nil }); kept != nil || calls != 0 {
		t.Errorf("nothing to delete or force: kept %v, origin listed %d times, want none", kept, calls)
	}
}
