package fedsync

import "strings"

// pushChunk bounds the refspecs of one `git push`, to stay well under the
// kernel's argument size limit on federations with many thousands of tags.
const pushChunk = 2000

// pushArgs builds the arguments of one `git push --porcelain` for plans
// (those with a push action). Forced updates and deletes carry a lease on
// the value the mirror had when it was listed, so a ref someone moved in
// the meantime is refused, not overwritten.
func pushArgs(url string, plans []RefPlan) []string {
	args := []string{"push", "--porcelain", "--no-verify", "--no-follow-tags", "--no-recurse-submodules"}
	var specs []string
	for _, p := range plans {
		switch p.Action {
		case ActCreate, ActUpdate:
			specs = append(specs, p.Origin+":"+p.Ref)
		case ActForce:
			args = append(args, "--force-with-lease="+p.Ref+":"+p.Mirror)
			specs = append(specs, p.Origin+":"+p.Ref)
		case ActDelete:
			args = append(args, "--force-with-lease="+p.Ref+":"+p.Mirror)
			specs = append(specs, ":"+p.Ref)
		}
	}
	args = append(args, "--", url)
	return append(args, specs...)
}

// pushStatus is git's porcelain verdict on one ref.
type pushStatus struct {
	OK     bool
	Reason string
}

// parsePorcelain reads `git push --porcelain` output: per ref
// "<flag>\t<from>:<to>\t<summary>", between "To <url>" and "Done".
func parsePorcelain(out []byte) map[string]pushStatus {
	res := map[string]pushStatus{}
	for _, line := range strings.Split(string(out), "\n") {
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) < 2 || len(parts[0]) != 1 {
			continue
		}
		_, to, ok := strings.Cut(parts[1], ":")
		if !ok {
			continue
		}
		st := pushStatus{OK: parts[0] != "!"}
		if len(parts) == 3 {
			st.Reason = parts[2]
		}
		res[to] = st
	}
	return res
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

// chunks splits plans into pieces of at most n.
func chunks(plans []RefPlan, n int) [][]RefPlan {
	var out [][]RefPlan
	for len(plans) > n {
		out = append(out, plans[:n])
		plans = plans[n:]
	}
	if len(plans) > 0 {
		out = append(out, plans)
	}
	return out
}
