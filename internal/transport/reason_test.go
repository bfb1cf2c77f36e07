package transport

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// A reason knows whose words it holds: ours are said in the reader's
// language, wherever they are nested, a server's are shown as sent even
// when they read like ours; no registry of strings is consulted.
func TestReasonKeepsWhoseWords(t *testing.T) {
	zh := i18n.New(i18n.SimplifiedChinese)
	broke := Ours(CodeBroke, pending.ReasonBroke)
	if got := broke.Localize(zh); got != pending.ReasonBroke.Localize(zh) || got == broke.String() {
		t.Errorf("ours in zh-Hans: %q", got)
	}
	server := Said(pending.ReasonBroke.String()) // a server that says the same words
	if got := server.Localize(zh); got != pending.ReasonBroke.String() {
		t.Errorf("a server's words were translated: %q", got)
	}
	nested := Ours(CodeMirror, i18n.M("mirror %s: %s", "https://m/r.git", broke.WithWords("remote: bye")))
	if got := nested.Localize(zh); !strings.Contains(got, pending.ReasonBroke.Localize(zh)) || nested.Code != CodeMirror {
		t.Errorf("nested in zh-Hans: %q", got)
	}
	if got := ReadBack(broke.String()); got.Localize(zh) != broke.Localize(zh) {
		t.Errorf("read back from the queue: %q", got.Localize(zh))
	}
}

// Reasons read back in English get their code back.
func TestReadBackKnowsTheCode(t *testing.T) {
	for english, want := range map[string]Code{
		pending.ReasonBroke.String():                     CodeBroke,
		pending.ReasonStalled("no data for 2m").String(): CodeStalled,
		pending.ReasonAtomic.String():                    CodeAtomic,
		pending.ReasonLFS("HTTP 413").String():           CodeLFS,
		"pre-receive hook declined":                      CodeServer,
	} {
		if got := ReadBack(english); got.Code != want || got.String() != english {
			t.Errorf("ReadBack(%q) = %q, code %q; want code %q", english, got, got.Code, want)
		}
	}
}

// git's refusal of a non-fast-forward is one typed reason, whichever way
// the server was reached: git push's spelling in reports and the queue,
// the helper protocol's in the reply git reads back into its own status.
func TestNonFastForwardSpellings(t *testing.T) {
	r := NonFastForward()
	if got := r.String(); got != "non-fast-forward" {
		t.Errorf("String = %q", got)
	}
	if got := r.Reply(nil); got != "non-fast forward" {
		t.Errorf("Reply = %q", got)
	}
	if got := Said("pre-receive hook declined").Reply(nil); got != "pre-receive hook declined" {
		t.Errorf("a server's words in a reply: %q", got)
	}
}
