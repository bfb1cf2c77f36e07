package helper

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// The note a background push leaves holds no language: the next push
// words it in its user's, our reasons included, a server's words as sent.
func TestBackgroundNoteIsWordedWhenRead(t *testing.T) {
	m1, _ := federation.ParseEndpoint("https://gitee.com/o/r.git")
	m2, _ := federation.ParseEndpoint("https://gitlab.example.com/o/r.git")
	broke := ours(codeBroke, pending.ReasonBroke)
	note := failureLine(mirrorOutcome{Plan: mirrorPlan{Mirror: m1}, Refs: []mirrorRef{{Reason: broke}, {Reason: broke}}}) + "\n" +
		failureLine(mirrorOutcome{Plan: mirrorPlan{Mirror: m2}, Refs: []mirrorRef{{Reason: said("pre-receive hook declined")}}}) + "\n"
	if strings.ContainsFunc(note, func(r rune) bool { return r > 127 }) {
		t.Fatalf("note holds a language: %q", note)
	}
	zh := sayFailures(i18n.New(i18n.SimplifiedChinese), note)
	if want := "https://gitee.com/o/r.git：2 个引用未推送（推送过程中连接中断）；https://gitlab.example.com/o/r.git：1 个引用未推送（pre-receive hook declined）"; zh != want {
		t.Errorf("zh-Hans:\n%s\nwant\n%s", zh, want)
	}
	en := sayFailures(nil, note)
	if want := "https://gitee.com/o/r.git: 2 refs not pushed (the connection broke during the push); https://gitlab.example.com/o/r.git: 1 ref not pushed (pre-receive hook declined)"; en != want {
		t.Errorf("English:\n%s\nwant\n%s", en, want)
	}
	if old := sayFailures(nil, "https://x/r.git: 1 ref not pushed (boom)\n"); old != "https://x/r.git: 1 ref not pushed (boom)" {
		t.Errorf("a note of an older version: %q", old)
	}
}

// A reason knows whose words it holds: ours are said in the reader's
// language, wherever they are nested, a server's are shown as sent even
// when they read like ours; no registry of strings is consulted.
func TestReasonKeepsWhoseWords(t *testing.T) {
	zh := i18n.New(i18n.SimplifiedChinese)
	broke := ours(codeBroke, pending.ReasonBroke)
	if got := broke.Localize(zh); got != pending.ReasonBroke.Localize(zh) || got == broke.String() {
		t.Errorf("ours in zh-Hans: %q", got)
	}
	server := said(pending.ReasonBroke.String()) // a server that says the same words
	if got := server.Localize(zh); got != pending.ReasonBroke.String() {
		t.Errorf("a server's words were translated: %q", got)
	}
	nested := ours(codeMirror, i18n.M("mirror %s: %s", "https://m/r.git", broke.withWords("remote: bye")))
	if got := nested.Localize(zh); !strings.Contains(got, pending.ReasonBroke.Localize(zh)) || nested.code != codeMirror {
		t.Errorf("nested in zh-Hans: %q", got)
	}
	if got := readBack(broke.String()); got.Localize(zh) != broke.Localize(zh) {
		t.Errorf("read back from the queue: %q", got.Localize(zh))
	}
}

// Reasons read back in English get their code back.
func TestReadBackKnowsTheCode(t *testing.T) {
	for english, want := range map[string]reasonCode{
		pending.ReasonBroke.String():                     codeBroke,
		pending.ReasonStalled("no data for 2m").String(): codeStalled,
		pending.ReasonAtomic.String():                    codeAtomic,
		pending.ReasonLFS("HTTP 413").String():           codeLFS,
		"pre-receive hook declined":                      codeServer,
	} {
		if got := readBack(english); got.code != want || got.String() != english {
			t.Errorf("readBack(%q) = %q, code %q; want code %q", english, got, got.code, want)
		}
	}
}
