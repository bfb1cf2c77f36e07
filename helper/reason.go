package helper

import (
	"sync"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// A reason a server did not take a ref is a string: English, the form the
// pending queue keeps and the log shows. Where the words are ours, ours
// remembers how to say them, and sayReason says them to the user (in the
// "error <ref> <reason>" git shows as "! [remote rejected] main -> main
// (reason)", and in the helper's own report). A server's words are kept
// as it sent them.
var spoken sync.Map // English reason -> i18n.Msg

// ours is m as a reason: its English text, shortened as every reason is.
func ours(m i18n.Msg) string {
	s := shorten(m.String())
	if s == m.String() {
		spoken.Store(s, m)
	}
	return s
}

// sayReason is reason in p's language where the words are ours.
func sayReason(p *i18n.Printer, reason string) string {
	if m, ok := spoken.Load(reason); ok {
		if said := m.(i18n.Msg).Localize(p); said != reason {
			return said
		}
	}
	return pending.Say(p, reason)
}

// reasonText is a reason as an argument of a message: said in the
// language the message is printed in.
type reasonText string

func (r reasonText) Localize(p *i18n.Printer) string { return sayReason(p, string(r)) }
func (r reasonText) String() string                  { return string(r) }
