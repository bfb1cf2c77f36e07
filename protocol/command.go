// Package protocol is the gitremote-helpers(7) line protocol: it parses the
// commands git writes to a remote helper and writes the helper's replies,
// and its Client speaks git's side to a helper of our own. It is a pure
// codec: no processes, no network, no configuration.
package protocol

// Command is one request from git: a single line, or a batch of lines that
// ends with a blank line (fetch and push).
type Command interface{ command() }

// Capabilities asks which capabilities the helper has.
type Capabilities struct{}

// Option is "option <name> [<value>]". HasValue is false for the bare form
// ("option object-format", as git 2.39 sends it). Value is already
// unquoted.
type Option struct {
	Name     string
	Value    string
	HasValue bool
}

// List is "list" or "list for-push".
type List struct{ ForPush bool }

// Fetch is one batch of "fetch <oid> <name>" lines.
type Fetch struct{ Refs []FetchRef }

// FetchRef is one wanted ref of a Fetch batch.
type FetchRef struct{ OID, Name string }

// Push is one batch of "push [+]<src>:<dst>" lines.
type Push struct{ Refs []PushRef }

// PushRef is one ref update of a Push batch. An empty Src deletes Dst.
type PushRef struct {
	Src   string
	Dst   string
	Force bool
}

// Delete reports whether the update deletes Dst.
func (p PushRef) Delete() bool { return p.Src == "" }

// Refspec returns the update in git's refspec syntax, "+src:dst".
func (p PushRef) Refspec() string {
	s := p.Src + ":" + p.Dst
	if p.Force {
		s = "+" + s
	}
	return s
}

// Connect is "connect <service>" or "stateless-connect <service>".
type Connect struct {
	Service   string
	Stateless bool
}

// End is a blank line outside a batch: git is done with the helper.
type End struct{}

func (Capabilities) command() {}
func (Option) command()       {}
func (List) command()         {}
func (Fetch) command()        {}
func (Push) command()         {}
func (Connect) command()      {}
func (End) command()          {}
