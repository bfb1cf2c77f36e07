package helper

import (
	"strconv"

	"github.com/git-remote-federate/git-remote-federate/internal/transport"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// option answers one "option" command. Every option git may send is
// either honoured or refused with a reason: an "unsupported" fetch option
// is silently ignored by git, which would turn `clone --depth 1` into a
// full clone.
func (s *Session) option(o protocol.Option, w *protocol.Writer) error {
	ok, errMsg := s.setOption(o)
	switch {
	case errMsg != "":
		return w.OptionError(errMsg)
	case ok:
		return w.OptionOK()
	}
	return w.OptionUnsupported()
}

func (s *Session) setOption(o protocol.Option) (ok bool, errMsg string) {
	v := o.Value
	b := func(dst *bool) (bool, string) {
		switch v {
		case "true":
			*dst = true
		case "false":
			*dst = false
		default:
			return false, "option " + o.Name + " wants true or false"
		}
		return true, ""
	}
	switch o.Name {
	case "progress":
		return b(&s.opts.Progress)
	case "verbosity":
		n, err := strconv.Atoi(v)
		if err != nil {
			return false, "option verbosity wants a number"
		}
		s.opts.Verbosity = n
	case "depth":
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return false, "option depth wants a non-negative number"
		}
		s.opts.Depth = v
	case "deepen-since":
		s.opts.DeepenSince = v
	case "deepen-not":
		s.opts.DeepenNot = append(s.opts.DeepenNot, v)
	case "deepen-relative":
		return b(&s.opts.DeepenRelative)
	case "followtags":
		return b(&s.opts.FollowTags)
	case "cloning":
		return b(&s.opts.Cloning)
	case "check-connectivity":
		return b(&s.opts.CheckConnectivity)
	case "update-shallow":
		return b(&s.opts.UpdateShallow)
	case "filter":
		s.opts.Filter = v
	case "family":
		switch v {
		case "ipv4", "ipv6", "all":
			s.opts.Family = v
		default:
			return false, "option family wants ipv4, ipv6 or all"
		}
	case "object-format":
		// git 2.39 sends it bare and dies on anything but "ok"; newer git
		// sends "true". Only SHA-1 and SHA-256 exist, and git itself checks
		// the format of what it receives.
		if o.HasValue && v != "true" && v != "sha1" && v != "sha256" {
			return false, "option object-format: unknown value"
		}
	case "dry-run":
		return b(&s.opts.DryRun)
	case "atomic":
		return b(&s.opts.Atomic)
	case "push-option":
		s.opts.PushOptions = append(s.opts.PushOptions, v)
	case "cas":
		l, err := transport.ParseLease(v)
		if err != nil {
			s.opts.BadLease = err
			return false, err.Error()
		}
		s.opts.Leases = append(s.opts.Leases, l)
	case "force-if-includes":
		return b(&s.opts.ForceIfIncludes)
	case "pushcert":
		switch v {
		case "true", "if-asked":
			s.opts.Signed = v
		case "false":
			s.opts.Signed = ""
		default:
			return false, "option pushcert wants true, false or if-asked"
		}
	default:
		return false, ""
	}
	return true, ""
}
