package pushtest

import (
	"strings"
	"testing"
)

// Origin's pre-receive hook speaks while taking the push: its words reach
// the user as git shows them, "remote: " lines, with the terminal
// escapes stripped; a refusing hook's words too, with git's verdict.
func TestOriginHookMessagesReachUser(t *testing.T) {
	f := newFed(t)
	hook(t, f.origin.Path, "pre-receive", `cat >/dev/null
printf '\033[32mdeploy queued\033[0m for \033]0;pwned\007review\n' >&2
exit 0
`)
	tip := f.commit("a.txt", "a")
	out := f.push(true, "fed", "main")
	wantContains(t, out, "remote: deploy queued for review        \n") // git's padding, no terminal
	f.wantRef("refs/heads/main", tip, f.all()...)

	hook(t, f.origin.Path, "pre-receive", `cat >/dev/null
printf '\033[31mDENIED\033[0m by policy\n' >&2
exit 1
`)
	f.commit("b.txt", "b")
	out = f.push(false, "fed", "main")
	wantContains(t, out, "remote: DENIED by policy        \n", "! [remote rejected] main -> main (pre-receive hook declined)")
	for _, bad := range []string{"\x1b", "\x07", "pwned", "[31m", "[32m", "[0m"} {
		if strings.Contains(out, bad) {
			t.Errorf("output holds %q:\n%q", bad, out)
		}
	}
	f.wantRef("refs/heads/main", tip, f.all()...)
}

// A stale lease is refused before anything is sent: origin is only
// listed, and git says "stale info" in its own words.
func TestStaleLeaseSendsNothing(t *testing.T) {
	f := newFed(t)
	base := f.rev("main")
	f.commit("a.txt", "one")
	f.push(true, "fed", "main")
	pushed := f.rev("main")
	mustGit(t, f.work, "reset", "-q", "--hard", base)
	f.commit("b.txt", "elsewhere")
	before := len(f.origin.Requests())
	out := f.push(false, "--force-with-lease=main:"+base, "fed", "main")
	wantContains(t, out, "! [rejected]        main -> main (stale info)")
	f.wantRef("refs/heads/main", pushed, f.all()...)
	if got, seen := originRequests(f, before); len(got) != 1 || got[0].Method != "GET" {
		t.Errorf("want only origin's ref advertisement:\n%s", strings.Join(seen, "\n"))
	}
}

// A signed push (--signed) needs git's transport, which git asks for
// only after the listing: origin is listed again by git's transport,
// which takes the push; the mirrors follow.
func TestSignedPushGoesThroughGit(t *testing.T) {
	f := newFed(t)
	tip := f.commit("a.txt", "a")
	before := len(f.origin.Requests())
	f.push(true, "--signed=if-asked", "fed", "main")
	f.wantRef("refs/heads/main", tip, f.all()...)
	got, seen := originRequests(f, before)
	refused := 0
	for _, r := range got {
		if r.Authorization == "" {
			refused++
		}
	}
	if refused != 1 || len(got) != 4 || !got[len(got)-1].Push() {
		t.Errorf("want our listing, then git's transport (a refused listing, the listing, the pack):\n%s", strings.Join(seen, "\n"))
	}
}
