package fedsync

import "github.com/git-remote-federate/git-remote-federate/internal/gitexec"

// mirrorPush is the push of plans (those with a push action) to url.
// Forced updates and deletes carry a lease on the value the mirror had
// when it was listed, so a ref someone moved in the meantime is refused,
// not overwritten.
func mirrorPush(url string, plans []RefPlan) gitexec.Push {
	p := gitexec.Push{URL: url}
	for _, rp := range plans {
		u := gitexec.Update{Dst: rp.Ref, Src: rp.Origin}
		switch rp.Action {
		case ActForce:
			u.Lease = &gitexec.Lease{Expect: rp.Mirror}
		case ActDelete:
			u.Src = ""
			u.Lease = &gitexec.Lease{Expect: rp.Mirror}
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
