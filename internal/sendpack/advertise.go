package sendpack

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/refs"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// Advertisement is a smart-HTTP ref advertisement (protocol v0), of
// receive-pack or upload-pack.
type Advertisement struct {
	// Listing is the server's refs, in its order (OID, Equal … are
	// refs.Listing's).
	refs.Listing
	// Haves are the ".have" objects the server has from alternates: it
	// has them, so a pack need not carry them.
	Haves []string
	// Caps is the capability list as sent: "name" or "name=value",
	// separated by spaces. It is read by name (Capability) and not
	// parsed ahead: sync reads thousands of advertisements and asks none
	// of them, and a map of a dozen names per listing was a sixth of its
	// time.
	Caps string
}

// Has reports whether the server announced capability name.
func (a *Advertisement) Has(name string) bool {
	_, ok := a.Capability(name)
	return ok
}

// Capability is the value of capability name ("" for one without a
// value) and whether the server announced it; the first announcement
// counts.
func (a *Advertisement) Capability(name string) (string, bool) {
	for c := range strings.FieldsSeq(a.Caps) {
		if n, value, _ := strings.Cut(c, "="); n == name {
			return value, true
		}
	}
	return "", false
}

// Services whose advertisements ParseServiceAdvertisement reads.
const (
	ReceivePack = "git-receive-pack"
	UploadPack  = "git-upload-pack"
)

// ParseAdvertisement reads the answer to GET
// info/refs?service=git-receive-pack: the "# service=" line, a flush,
// then one pkt-line per ref (the first with the capabilities after a
// NUL) and a flush. A malformed line, a ref name git would not take, or
// an object name that is not one is an error: the server is broken or
// hostile, and nothing is pushed to it.
func ParseAdvertisement(r io.Reader) (*Advertisement, error) {
	return ParseServiceAdvertisement(r, ReceivePack)
}

// ParseServiceAdvertisement is ParseAdvertisement for service's answer
// (ReceivePack or UploadPack). The peeled values of annotated tags that
// upload-pack adds ("<tag>^{}") are left out: a ref's value is the tag.
// It reads r to its end (the caller bounds it), then parses what it read
// (parseAdvertisementBytes); an answer whole up to its last flush stands
// whatever error ends the read.
func ParseServiceAdvertisement(r io.Reader, service string) (*Advertisement, error) {
	return ReadAdvertisement(new(bytes.Buffer), r, service)
}

// ReadAdvertisement is ParseServiceAdvertisement reading into buf, which
// it empties first and leaves holding the answer: a caller reading many
// answers (sync) keeps one buffer for them.
func ReadAdvertisement(buf *bytes.Buffer, r io.Reader, service string) (*Advertisement, error) {
	buf.Reset()
	_, readErr := buf.ReadFrom(r)
	a, err := parseAdvertisementBytes(buf.Bytes(), service)
	if err != nil && readErr != nil {
		return nil, i18n.Errorf("reading the ref advertisement: %w", readErr)
	}
	return a, err
}

// parseAdvertisementBytes is ParseServiceAdvertisement of an answer read
// whole, data, which it does not keep: the refs are pieces of one copy
// of it. Sync reads thousands of advertisements; a string for each line,
// read through a buffered reader, was most of the cost of reading them.
// What follows the last flush is not read.
func parseAdvertisementBytes(data []byte, service string) (*Advertisement, error) {
	p := pktLines{string(data)}
	line, err := p.next()
	head, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "# service=")
	if err != nil || !ok || head != service {
		return nil, i18n.Errorf("not a git smart-HTTP %s advertisement", service)
	}
	if _, err := p.next(); !errors.Is(err, errFlush) {
		return nil, i18n.Errorf("not a git smart-HTTP %s advertisement", service)
	}
	// Room for a few refs: growing the slice one ref at a time was most
	// of the allocations of a small repository's listing.
	a := &Advertisement{Listing: refs.Listing{Refs: make([]refs.Ref, 0, 4)}}
	versioned := false
	for n := 0; ; n++ {
		line, err := p.next()
		if errors.Is(err, errFlush) {
			return a, nil
		}
		if err != nil {
			return nil, i18n.Errorf("reading the ref advertisement: %w", err)
		}
		s := strings.TrimSuffix(line, "\n")
		if n == 0 && !versioned && s == "version 1" {
			// A server asked for protocol v1 (GIT_PROTOCOL=version=1,
			// which git-http-backend passes on): the refs follow.
			versioned, n = true, -1
			continue
		}
		first := n == 0
		s, caps, hasCaps := strings.Cut(s, "\x00")
		if hasCaps {
			if !first {
				return nil, i18n.Errorf("capabilities after the first ref of the advertisement")
			}
			a.Caps = caps
		}
		oid, name, ok := strings.Cut(s, " ")
		switch {
		case !ok || !protocol.IsOID(oid):
			return nil, i18n.Errorf("malformed ref advertisement line %q", clip(s))
		case name == ".have":
			a.Haves = append(a.Haves, oid)
		case first && name == "capabilities^{}" && strings.Trim(oid, "0") == "":
			// an empty repository: capabilities only
		case service == UploadPack && strings.HasSuffix(name, "^{}") && refs.ValidName(strings.TrimSuffix(name, "^{}")):
			// a tag's peeled value
		case !refs.ValidName(name):
			return nil, i18n.Errorf("the server advertised an invalid ref name %q", clip(name))
		default:
			a.Refs = append(a.Refs, refs.Ref{Name: name, OID: oid})
		}
	}
}

// clip shortens s for an error message; %q quotes what is left.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
