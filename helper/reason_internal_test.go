package helper

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
)

// The note a background push leaves holds no language: the next push
// words it in its user's, our reasons included, a server's words as sent.
func TestBackgroundNoteIsWordedWhenRead(t *testing.T) {
	m1, _ := federation.ParseEndpoint("https://gitee.com/o/r.git")
	m2, _ := federation.ParseEndpoint("https://gitlab.example.com/o/r.git")
	broke := transport.Ours(transport.CodeBroke, pending.ReasonBroke)
	note := failureLine(mirrorOutcome{Plan: mirrorPlan{Mirror: m1}, Refs: []mirrorRef{{Reason: broke}, {Reason: broke}}}) + "\n" +
		failureLine(mirrorOutcome{Plan: mirrorPlan{Mirror: m2}, Refs: []mirrorRef{{Reason: transport.Said("pre-receive hook declined")}}}) + "\n"
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
