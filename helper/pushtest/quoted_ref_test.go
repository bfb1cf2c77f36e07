package pushtest

import "testing"

// TestPushRefWithQuoteAccepted pushes a branch whose name holds a double
// quote: git must see it updated, not "Everything up-to-date".
func TestPushRefWithQuoteAccepted(t *testing.T) {
	f := newFed(t)
	mustGit(t, f.work, "branch", `q"x`)
	out := f.push(true, "fed", `q"x`)
	wantContains(t, out, `* [new branch]      q"x -> q"x`)
	wantNotContains(t, out, "Everything up-to-date")
	f.wantRef(`refs/heads/q"x`, f.rev("HEAD"), f.all()...)
}

// TestPushRefWithQuoteRejected has origin refuse such a branch: git must
// report the refusal and exit non-zero.
func TestPushRefWithQuoteRejected(t *testing.T) {
	f := newFed(t)
	hook(t, f.origin.Path, "pre-receive", "cat >/dev/null\necho 'quoted refs refused' >&2\nexit 1\n")
	mustGit(t, f.work, "branch", `q"x`)
	out := f.push(false, "fed", `q"x`)
	wantContains(t, out, `! [remote rejected] q"x -> q"x`)
	wantNotContains(t, out, "Everything up-to-date")
	f.wantRef(`refs/heads/q"x`, "", f.all()...)
}
