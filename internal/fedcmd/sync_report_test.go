package fedcmd

import (
	"strings"
	"testing"

	"golang.org/x/text/language"

	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// A mirror's line of the sync report counts its refs by what was done:
// every ref in sync says so in one count, in English and in Chinese; a
// mirror with nothing listed says there was nothing to sync; one with a
// ref to push lists it under the count.
func TestMirrorSyncLine(t *testing.T) {
	inSync := fedsync.RefResult{RefPlan: fedsync.RefPlan{Ref: "refs/heads/main", State: fedsync.InSync, Action: fedsync.ActNone}}
	zh := i18n.New(language.SimplifiedChinese)
	pushed := fedsync.RefResult{RefPlan: fedsync.RefPlan{Ref: "refs/heads/new", State: fedsync.Missing, Action: fedsync.ActCreate}, Result: fedsync.ResultOK}
	for _, tc := range []struct {
		lang language.Tag
		refs []fedsync.RefResult
		want string
	}{
		{language.English, []fedsync.RefResult{inSync, inSync, inSync}, "  u: 3 in sync\n"},
		{language.SimplifiedChinese, []fedsync.RefResult{inSync, inSync}, zh.Sprintf("  %s: %s\n", "u", zh.Sprintf("%d in sync", 2))},
		{language.English, nil, "  u: nothing to sync\n"},
		{language.English, []fedsync.RefResult{inSync, pushed}, "  u: 1 created, 1 in sync\n"},
	} {
		var b strings.Builder
		writeMirrorSync(i18n.New(tc.lang), &b, &fedsync.MirrorResult{URL: "u", Refs: tc.refs})
		if got := b.String(); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%v %d refs: %q, want it to start %q", tc.lang, len(tc.refs), got, tc.want)
		}
	}
}
