package transport

import (
	"errors"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// Reason is why a server did not take a ref, or why a push failed as a
// whole: one typed outcome, whichever way the server was reached. Its
// words are either a server's (or git's own, "non-fast forward", "fetch
// first"), kept as sent, or ours, a message said in the user's language;
// its code tells apart the failures code must tell apart. Its English
// form, String, is what the pending queue keeps and the log shows;
// Localize is what the user reads (the "error <ref> <reason>" git shows
// as "! [remote rejected] main -> main (reason)", and the helper's own
// report).
type Reason struct {
	// Code is what kind of failure it is.
	Code Code
	said string    // the server's or git's words, or English read back; "" when msg is set
	msg  *i18n.Msg // our words
}

// Code is what kind of failure a Reason is.
type Code string

// The codes of reasons.
const (
	CodeServer  Code = ""        // the server's or git's own words
	CodeFailed  Code = "failed"  // ours: the push failed as a whole
	CodeBroke   Code = "broke"   // the connection broke midway
	CodeStalled Code = "stalled" // the server stopped answering
	CodeAtomic  Code = "atomic"  // not sent: another ref of an atomic push was refused
	CodeLFS     Code = "lfs"     // the LFS objects did not go
	CodeMirror  Code = "mirror"  // a mirror did not take it (requireMirrors)
	// CodeNonFastForward: git's own refusal of a ref that is not a fast
	// forward, spelled "non-fast-forward" as git push reports it, and
	// "non-fast forward" in the helper protocol (Reply), which git maps
	// back to its own status and hints.
	CodeNonFastForward Code = "non-fast-forward"
)

// NonFastForward is git's refusal of an update that is not a fast
// forward.
func NonFastForward() Reason {
	return Reason{Code: CodeNonFastForward, said: "non-fast-forward"}
}

// Reply is r as a helper's "error <ref> <reason>" line says it to git:
// in the helper protocol's words where git reads them back, else in p's
// language where the words are ours.
func (r Reason) Reply(p *i18n.Printer) string {
	if r.Code == CodeNonFastForward {
		return "non-fast forward"
	}
	return r.Localize(p)
}

// Said is a reason in a server's or git's words, shortened to one line.
func Said(words string) Reason { return Reason{said: Shorten(words)} }

// Ours is a reason in our words.
func Ours(code Code, m i18n.Msg) Reason { return Reason{Code: code, msg: &m} }

// ReadBack is a reason read back in English (the pending queue, the
// note of a background push, git's English line about a stall): in our
// words where it is one of pending's reasons, else as it is.
func ReadBack(english string) Reason {
	m, ok := pending.Reason(english)
	if !ok {
		return Said(english)
	}
	code := CodeFailed
	switch m.Format {
	case pending.ReasonBroke.Format:
		code = CodeBroke
	case pending.ReasonStalled("").Format:
		code = CodeStalled
	case pending.ReasonAtomic.Format:
		code = CodeAtomic
	case pending.ReasonNoLFS.Format, pending.ReasonLFS("").Format:
		code = CodeLFS
	}
	return Ours(code, m)
}

// Empty reports whether r says nothing (a ref that was taken).
func (r Reason) Empty() bool { return r.msg == nil && r.said == "" }

// String is r in English, one short line.
func (r Reason) String() string {
	if r.msg != nil {
		return Shorten(r.msg.String())
	}
	return r.said
}

// Localize is r in p's language where the words are ours.
func (r Reason) Localize(p *i18n.Printer) string {
	if r.msg != nil {
		return Shorten(r.msg.Localize(p))
	}
	return r.said
}

// WithWords is r followed by what the server said on the way (a hook's
// message): git's summary, "pre-receive hook declined", leaves out why.
func (r Reason) WithWords(words string) Reason {
	if r.msg != nil {
		return Ours(r.Code, i18n.M("%v: %s", r, words))
	}
	return Reason{Code: r.Code, said: Shorten(r.said + ": " + words)}
}

// ReasonError is a Reason as an error.
type ReasonError struct{ Reason }

// Error is the reason in English.
func (e ReasonError) Error() string { return e.Reason.String() }

// ReasonOf is err as a reason: its own when it is one, else ours.
func ReasonOf(err error) Reason {
	if re := (ReasonError{}); errors.As(err, &re) {
		return re.Reason
	}
	return Ours(CodeFailed, i18n.M("%v", err))
}

// Shorten keeps a reason to one line of reasonable length.
func Shorten(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
