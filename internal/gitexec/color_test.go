package gitexec

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// ColorOn answers what `git config --get-colorbool color.remote true`
// answers on a terminal, for the values it reads itself: color.remote
// before color.ui, the last value of each, a key given alone, an empty
// value, git's words in any case. A number, or a value git cannot read,
// is left to git (known false).
func TestColorOnIsGits(t *testing.T) {
	gittest.Isolate(t)
	t.Setenv("TERM", "xterm")
	type colorCase struct {
		keys  []string // of [color], in order
		known bool
	}
	cases := []colorCase{{nil, true}}
	for _, v := range []string{"", " =", " = never", " = NEVER", " = always", " = Always", " = auto", " = true",
		" = yes", " = On", " = false", " = No", " = off"} {
		cases = append(cases,
			colorCase{[]string{"ui" + v}, true},
			colorCase{[]string{"remote" + v}, true},
			colorCase{[]string{"ui = never", "remote" + v}, true},
			colorCase{[]string{"ui = always", "remote" + v}, true},
			colorCase{[]string{"remote" + v, "ui = never"}, true},
			colorCase{[]string{"remote = never", "remote" + v}, true})
	}
	for _, v := range []string{" = 1", " = 0", " = 2", " = maybe", " = 1k", " = -1"} {
		cases = append(cases, colorCase{[]string{"ui" + v}, false}, colorCase{[]string{"ui = never", "remote" + v}, false})
	}
	for _, c := range cases {
		body := "[color]\n"
		for _, k := range c.keys {
			body += "\t" + k + "\n"
		}
		if err := os.WriteFile(os.Getenv("GIT_CONFIG_GLOBAL"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var entries []ConfigEntry
		err := Runner{}.ConfigListEach(ctx, func(e ConfigEntry) { entries = append(entries, e) })
		cancel()
		if err != nil {
			t.Fatalf("%q: git config --list: %v", body, err)
		}
		out, err := gittest.GitErr("", nil, "config", "--get-colorbool", "color.remote", "true")
		gitOn := err == nil && strings.TrimSpace(out) == "true"
		switch on, known := ColorOn(entries, "color.remote"); {
		case known != c.known:
			t.Errorf("%q: ColorOn known = %v, want %v (a number is git's to read)", body, known, c.known)
		case known && on != gitOn:
			t.Errorf("%q: ColorOn = %v, git says %v", body, on, gitOn)
		}
	}
}
