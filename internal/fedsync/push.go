package fedsync

import "github.com/git-remote-federate/git-remote-federate/internal/gitexec"

// mirrorPush is the push of plans (those with a push action) to url.
// Every update is a compare-and-swap on the value sync listed: a lease on
// the mirror's value (for a create, that the ref does not exist), so two
// machines syncing the same federation at once never overwrite or rewind
// what the other wrote; the loser's ref is refused as stale and the next
// sync sees the new value.
func mirrorPush(url string, plans []RefPlan) gitexec.Push {
	p := gitexec.Push{URL: url}
	for _, rp := range plans {
		u := gitexec.Update{Dst: rp.Ref, Src: rp.Origin, Lease: &gitexec.Lease{Expect: rp.Mirror}}
		if rp.Action == ActDelete {
			u.Src = ""
		}
		p.Updates = append(p.Updates, u)
	}
	return p
}

// pushable returns the plans sync pushes.
func pushable(plans []RefPlan) []RefPlan {
	var out []RefPlan
	for _, p := range plans {
		switch p.Action {
		case ActCreate, ActUpdate, ActForce, ActDelete:
			out = append(out, p)
		}
	}
	return out
}
