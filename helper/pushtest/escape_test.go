package pushtest

import (
	"strings"
	"testing"
)

// TestHookEscapesAreStripped has the origin's pre-receive hook refuse the
// push with terminal escapes and carriage returns: what the user sees
// keeps the reason, holds no escape nor what is left of one ("[31m"),
// and a carriage return only ever ends a line that the next "remote: "
// line follows (git's own progress form), so no fake line can overwrite
// one.
func TestHookEscapesAreStripped(t *testing.T) {
	f := newFed(t)
	hook(t, f.origin.Path, "pre-receive", `cat >/dev/null
printf '\033]0;pwned\007policy says no\r\n' >&2
printf '\033[31mDENIED\033[0m by \033[1;4mrule 7\033[m\n' >&2
printf 'To origin\r * [new branch] fake -> fake\n' >&2
exit 1
`)
	f.commit("a", "a")
	out := f.push(false, "fed", "main")
	wantContains(t, out, "policy says no", "DENIED by rule 7")
	for _, bad := range []string{"\x1b", "\x07", "]0;", "pwned", "[31m", "[0m", "[1;4m"} {
		if strings.Contains(out, bad) {
			t.Errorf("output holds %q:\n%q", bad, out)
		}
	}
	for _, after := range strings.Split(out, "\r")[1:] {
		if !strings.HasPrefix(after, "remote: ") && after != "" {
			t.Errorf("a carriage return is followed by %q:\n%q", after, out)
		}
	}
}
