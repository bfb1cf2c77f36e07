package pushtest

import (
	"strings"
	"testing"
)

// A mirror whose pre-receive hook refuses the push: origin and the other
// mirror take it, the refusal is reported for that mirror with the
// hook's own words (no terminal escape, nor its printable rest), and the
// update is queued with that reason; once the hook lets it through, the
// next push delivers it.
func TestMirrorHookRefuses(t *testing.T) {
	f := newFed(t)
	hook(t, f.m1.Path, "pre-receive", `cat >/dev/null
printf '\033]0;pwned\007branch \033[31mprotected\033[0m by policy\n' >&2
exit 1
`)
	c := f.commit("a.txt", "a")
	out := f.push(true, "fed", "main")
	wantContains(t, out, "federate: mirror "+f.m1.URL+": refs/heads/main rejected: pre-receive hook declined",
		"branch protected by policy", "federate: 1 update queued in")
	for _, bad := range []string{"\x1b", "\x07", "pwned", "[31m", "[0m"} {
		if strings.Contains(out, bad) {
			t.Errorf("output holds %q:\n%q", bad, out)
		}
	}
	f.wantRef("refs/heads/main", c, f.origin, f.m2)
	f.wantRef("refs/heads/main", f.rev("main~1"), f.m1)
	p := f.pendingFile()
	if !strings.Contains(p, f.m1.URL+"\trefs/heads/main\t"+c) || !strings.Contains(p, "pre-receive hook declined") || strings.Contains(p, "\x1b") || strings.Contains(p, "[31m") {
		t.Fatalf("pending:\n%q", p)
	}

	hook(t, f.m1.Path, "pre-receive", "cat >/dev/null\n")
	mustGit(t, f.work, "branch", "later")
	f.push(true, "fed", "later")
	f.wantRef("refs/heads/main", c, f.all()...)
	if p := f.pendingFile(); p != "" {
		t.Fatalf("pending after the hook let it through:\n%s", p)
	}
}
