package pending

import (
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// Reasons of our own that an entry may give. The queue keeps a reason in
// English, whatever language the push that wrote it spoke: the file is
// the same for every reader, and Say words it for the one who reads it.
// A server's own words are kept as it sent them (sanitised).
var (
	ReasonInterrupted = i18n.M("the push that queued it ended before the mirror answered")
	ReasonBroke       = i18n.M("the connection broke during the push")
	ReasonAtomic      = i18n.M("atomic push failed")
	ReasonNoLFS       = i18n.M("LFS objects not uploaded: the server does not support Git LFS")
	// ReasonBackground is an update written ahead for the detached
	// process of mirrorPush = background.
	ReasonBackground = i18n.M("queued for the background push to the mirrors")
	// ReasonDiverged is a mirror ref with commits the update does not
	// have: kept, not forced (git's "fetch first", "non-fast-forward").
	ReasonDiverged = i18n.M("the mirror's ref has commits the update does not have (kept, not forced)")
	// The reasons of a push that failed as a whole (internal/delivery's
	// Failure): the same whichever way the mirror was pushed.
	ReasonUnreachable = i18n.M("the mirror could not be reached")
	ReasonNotFound    = i18n.M("the mirror's repository was not found")
	ReasonAuth        = i18n.M("the mirror refused the credentials")
	ReasonNoWrite     = i18n.M("the token may not write to the mirror")
	ReasonBusy        = i18n.M("the mirror was busy (its repository was being read or written)")
	// ReasonHostKey, ReasonTLS and ReasonForbidden are pushes that sent
	// nothing, for a reason on this side that no retry mends until the
	// user acts: known_hosts, the certificates git trusts, or git's
	// protocol policy.
	ReasonHostKey   = i18n.M("ssh does not trust the mirror's host key (see known_hosts)")
	ReasonTLS       = i18n.M("the mirror's TLS certificate was refused (not from a CA git trusts, expired, or for another host)")
	ReasonForbidden = i18n.M("git's protocol policy does not allow the mirror's protocol")
	// ReasonUnconfirmed is an update written ahead of the push to the
	// primary server: left queued only when that push never returned.
	ReasonUnconfirmed = i18n.M("the push to the primary server never returned; it may have taken this")
)

// ReasonLFS is the reason of LFS objects a server did not take; why is
// the error, which Say leaves as it is.
func ReasonLFS(why any) i18n.Msg { return i18n.M("LFS objects not uploaded: %v", why) }

// ReasonStalled is the reason of a push whose server stopped answering;
// line is what git said of it.
func ReasonStalled(line string) i18n.Msg {
	return i18n.M("the server stopped answering during the push (%s)", line)
}

// Say is reason in p's language when it is one of ours, else as it is.
func Say(p *i18n.Printer, reason string) string {
	if m, ok := Reason(reason); ok {
		return m.Localize(p)
	}
	return reason
}

// Reason is the message of ours whose English is reason, read back from
// the queue; ok is false for a server's words.
func Reason(reason string) (m i18n.Msg, ok bool) {
	for _, m := range []i18n.Msg{ReasonInterrupted, ReasonBroke, ReasonAtomic, ReasonNoLFS, ReasonUnconfirmed,
		ReasonBackground, ReasonDiverged, ReasonUnreachable, ReasonNotFound, ReasonAuth, ReasonNoWrite, ReasonBusy,
		ReasonHostKey, ReasonTLS, ReasonForbidden} {
		if reason == m.String() {
			return m, true
		}
	}
	if why, ok := strings.CutPrefix(reason, "LFS objects not uploaded: "); ok {
		return ReasonLFS(why), true
	}
	if line, ok := strings.CutPrefix(reason, "the server stopped answering during the push ("); ok && strings.HasSuffix(line, ")") {
		return ReasonStalled(strings.TrimSuffix(line, ")")), true
	}
	return i18n.Msg{}, false
}
