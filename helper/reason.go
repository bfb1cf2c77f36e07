package helper

import (
	"errors"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// reason is why a server did not take a ref, or why a push failed as a
// whole: one typed outcome. Its words are either a server's (or git's
// own, "non-fast forward", "fetch first"), kept as sent, or ours, a
// message said in the user's language; its code tells apart the
// failures code must tell apart. Its English form, String, is what the
// pending queue keeps and the log shows; Localize is what the user
// reads (the "error <ref> <reason>" git shows as "! [remote rejected]
// main -> main (reason)", and the helper's own report).
type reason struct {
	code reasonCode
	said string    // the server's or git's words, or English read back; "" when msg is set
	msg  *i18n.Msg // our words
}

// reasonCode is what kind of failure a reason is.
type reasonCode string

// The codes of reasons.
const (
	codeServer  reasonCode = ""        // the server's or git's own words
	codeFailed  reasonCode = "failed"  // ours: the push failed as a whole
	codeBroke   reasonCode = "broke"   // the connection broke midway
	codeStalled reasonCode = "stalled" // the server stopped answering
	codeAtomic  reasonCode = "atomic"  // not sent: another ref of an atomic push was refused
	codeLFS     reasonCode = "lfs"     // the LFS objects did not go
	codeMirror  reasonCode = "mirror"  // a mirror did not take it (requireMirrors)
)

// said is a reason in a server's or git's words, shortened to one line.
func said(words string) reason { return reason{said: shorten(words)} }

// ours is a reason in our words.
func ours(code reasonCode, m i18n.Msg) reason { return reason{code: code, msg: &m} }

// readBack is a reason read back in English (the pending queue, the
// note of a background push, git's English line about a stall): in our
// words where it is one of pending's reasons, else as it is.
func readBack(english string) reason {
	m, ok := pending.Reason(english)
	if !ok {
		return said(english)
	}
	code := codeFailed
	switch m.Format {
	case pending.ReasonBroke.Format:
		code = codeBroke
	case pending.ReasonStalled("").Format:
		code = codeStalled
	case pending.ReasonAtomic.Format:
		code = codeAtomic
	case pending.ReasonNoLFS.Format, pending.ReasonLFS("").Format:
		code = codeLFS
	}
	return ours(code, m)
}

// empty reports whether r says nothing (a ref that was taken).
func (r reason) empty() bool { return r.msg == nil && r.said == "" }

// String is r in English, one short line.
func (r reason) String() string {
	if r.msg != nil {
		return shorten(r.msg.String())
	}
	return r.said
}

// Localize is r in p's language where the words are ours.
func (r reason) Localize(p *i18n.Printer) string {
	if r.msg != nil {
		return shorten(r.msg.Localize(p))
	}
	return r.said
}

// reasonError is a reason as an error.
type reasonError struct{ reason }

func (e reasonError) Error() string { return e.reason.String() }

// reasonOf is err as a reason: its own when it is one, else ours.
func reasonOf(err error) reason {
	if re := (reasonError{}); errors.As(err, &re) {
		return re.reason
	}
	return ours(codeFailed, i18n.M("%v", err))
}

// withWords is r followed by what the server said on the way (a hook's
// message): git's summary, "pre-receive hook declined", leaves out why.
func (r reason) withWords(words string) reason {
	if r.msg != nil {
		return ours(r.code, i18n.M("%v: %s", r, words))
	}
	return reason{code: r.code, said: shorten(r.said + ": " + words)}
}
