package gitexec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

func TestParseConfigZ(t *testing.T) {
	out := "federation.a.origin\nhttps://e.com/a\x00federation.a.force\x00federation.a.mirror\nline1\nline2\x00"
	want := []ConfigEntry{
		{Key: "federation.a.origin", Value: "https://e.com/a"},
		{Key: "federation.a.force", NoValue: true},
		{Key: "federation.a.mirror", Value: "line1\nline2"},
	}
	if got := ParseConfigZ([]byte(out), false); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseConfigZ = %+v", got)
	}
}

func TestParseConfigZWithScope(t *testing.T) {
	out := "global\x00federation.a.origin\nhttps://e.com/a\x00local\x00federation.a.force\x00local\x00federation.a.mirror\nm\nn\x00"
	want := []ConfigEntry{
		{Scope: "global", Key: "federation.a.origin", Value: "https://e.com/a"},
		{Scope: "local", Key: "federation.a.force", NoValue: true},
		{Scope: "local", Key: "federation.a.mirror", Value: "m\nn"},
	}
	if got := ParseConfigZ([]byte(out), true); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseConfigZ = %+v", got)
	}
}

// Output read as git writes it, in pieces cut anywhere (a record, a
// scope and its entry split between two writes), gives the entries the
// whole output gives.
func TestConfigWriterTakesAnyPieces(t *testing.T) {
	for _, tc := range []struct {
		out       string
		showScope bool
	}{
		{"federation.a.origin\nhttps://e.com/a\x00federation.a.force\x00federation.a.mirror\nline1\nline2\x00", false},
		{"global\x00federation.a.origin\nhttps://e.com/a\x00local\x00federation.a.force\x00local\x00federation.a.mirror\nm\nn\x00", true},
	} {
		want := ParseConfigZ([]byte(tc.out), tc.showScope)
		for i := 0; i <= len(tc.out); i++ {
			for j := i; j <= len(tc.out); j++ {
				var got []ConfigEntry
				w := &configWriter{showScope: tc.showScope, each: func(e ConfigEntry) { got = append(got, e) }}
				for _, piece := range []string{tc.out[:i], tc.out[i:j], tc.out[j:]} {
					if n, err := w.Write([]byte(piece)); n != len(piece) || err != nil {
						t.Fatalf("Write(%q) = %d, %v", piece, n, err)
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("written in pieces at %d and %d: %+v, want %+v", i, j, got, want)
				}
			}
		}
	}
}

// ConfigRegexp reads git's config with real git, and a config git cannot
// read is said to have failed `git config` (the --no-pager given before
// the subcommand is not taken for it).
func TestConfigRegexpRealGit(t *testing.T) {
	home := gittest.Isolate(t)
	gittest.Git(t, "", "config", "--global", "http.extraHeader", "X-A: 1")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := Runner{}.ConfigRegexp(ctx, `^http\.`, false)
	if err != nil || !reflect.DeepEqual(got, []ConfigEntry{{Key: "http.extraheader", Value: "X-A: 1"}}) {
		t.Fatalf("ConfigRegexp = %+v, %v", got, err)
	}
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[http\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Runner{}.ConfigRegexp(ctx, `^http\.`, false)
	var ge *Error
	if !errors.As(err, &ge) || ge.Subcommand != "config" || !strings.HasPrefix(err.Error(), "git config failed") {
		t.Errorf("a broken config: %v, want git config failed", err)
	}
}
