package protocol

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrHelperExited reports that the helper closed its output before it
// answered.
var ErrHelperExited = errors.New("the helper exited without answering")

// Client is git's side of the conversation: it writes commands to a
// remote helper (git's own `git remote-https`, for example) and reads its
// replies. Like the rest of the package it only encodes and decodes;
// the caller owns the process and any time limit.
type Client struct {
	w io.Writer
	r *bufio.Reader
}

// NewClient talks to a helper that reads commands from w and answers on r.
func NewClient(w io.Writer, r *bufio.Reader) *Client { return &Client{w: w, r: r} }

// ClientOption is one "option <name> <value>" to send; Value is quoted on
// the wire when it needs to be, as git does.
type ClientOption struct{ Name, Value string }

// OptionReply is the helper's answer to one option.
type OptionReply struct {
	OK          bool
	Unsupported bool
	Err         string // the helper's "error <msg>", unquoted
}

// Options sends every option in one write, then reads one answer per
// option, in order.
func (c *Client) Options(opts ...ClientOption) ([]OptionReply, error) {
	var b strings.Builder
	for _, o := range opts {
		fmt.Fprintf(&b, "option %s %s\n", o.Name, Quote(o.Value))
	}
	if err := c.write(b.String()); err != nil {
		return nil, err
	}
	out := make([]OptionReply, len(opts))
	for i := range opts {
		line, err := c.line()
		if err != nil {
			return nil, err
		}
		switch {
		case line == "ok":
			out[i].OK = true
		case line == "unsupported":
			out[i].Unsupported = true
		case strings.HasPrefix(line, "error"):
			msg, _ := Unquote(strings.TrimSpace(strings.TrimPrefix(line, "error")))
			out[i].Err = msg
		default:
			return nil, fmt.Errorf("protocol: unexpected answer %s to option %s", Quote(line), opts[i].Name)
		}
	}
	return out, nil
}

// StatelessConnect asks for a stateless connection to service. fallback
// is true when the helper answered "fallback"; on a blank line the
// stream now belongs to the service.
func (c *Client) StatelessConnect(service string) (fallback bool, err error) {
	if err := c.write("stateless-connect " + service + "\n"); err != nil {
		return false, err
	}
	line, err := c.line()
	switch {
	case err != nil:
		return false, err
	case line == "":
		return false, nil
	case line == "fallback":
		return true, nil
	}
	return false, fmt.Errorf("protocol: unexpected answer %s to stateless-connect", Quote(line))
}

// Listed is one line of a "list" answer: a ref with its value, a symref
// ("@<target> <name>"), a ref of unknown value ("? <name>"), or an
// attribute (":<name> <value>").
type Listed struct {
	Name   string
	OID    string // "" for a symref or an unknown value
	Target string // a symref's target
	Attr   string // set for an attribute line; Name holds its value
}

// ListForPush sends "list for-push" and reads the listing up to its blank
// line.
func (c *Client) ListForPush() ([]Listed, error) {
	if err := c.write("list for-push\n"); err != nil {
		return nil, err
	}
	var out []Listed
	for {
		line, err := c.line()
		if err != nil {
			return nil, err
		}
		if line == "" {
			return out, nil
		}
		l, err := parseListed(line)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
}

func parseListed(line string) (Listed, error) {
	first, name, ok := strings.Cut(line, " ")
	if !ok || name == "" {
		return Listed{}, malformed("list line", line)
	}
	switch {
	case strings.HasPrefix(first, ":"):
		return Listed{Attr: first[1:], Name: name}, nil
	case strings.HasPrefix(first, "@"):
		return Listed{Name: name, Target: first[1:]}, nil
	case first == "?":
		return Listed{Name: name}, nil
	case IsOID(first):
		return Listed{Name: name, OID: first}, nil
	}
	return Listed{}, malformed("list line", line)
}

// PushStatus is the helper's answer for one ref of a push batch.
type PushStatus struct {
	Ref string
	OK  bool
	// Msg is the text after the ref, unquoted: "up to date" or "forced
	// update" after ok; the reason ("non-fast forward", "fetch first", a
	// hook's words) after error.
	Msg string
}

// Push sends one push batch and reads the status lines up to the blank
// line that ends them. The "option" lines that may follow a status (a
// server that rewrote the ref) are skipped: the caller pushed exact refs.
func (c *Client) Push(refs []PushRef) ([]PushStatus, error) {
	var b strings.Builder
	for _, r := range refs {
		b.WriteString("push " + r.Refspec() + "\n")
	}
	b.WriteString("\n")
	if err := c.write(b.String()); err != nil {
		return nil, err
	}
	var out []PushStatus
	for {
		line, err := c.line()
		if err != nil {
			return out, err
		}
		if line == "" {
			return out, nil
		}
		if strings.HasPrefix(line, "option ") {
			continue
		}
		st, err := parsePushStatus(line)
		if err != nil {
			return out, err
		}
		out = append(out, st)
	}
}

func parsePushStatus(line string) (PushStatus, error) {
	verb, rest, _ := strings.Cut(line, " ")
	if (verb != "ok" && verb != "error") || rest == "" {
		return PushStatus{}, malformed("push status", line)
	}
	// The ref name cannot hold a space; the message after it may be quoted.
	ref, msg, _ := strings.Cut(rest, " ")
	msg, err := Unquote(msg)
	if err != nil {
		return PushStatus{}, malformed("push status", line)
	}
	return PushStatus{Ref: ref, OK: verb == "ok", Msg: msg}, nil
}

func (c *Client) write(s string) error {
	if _, err := io.WriteString(c.w, s); err != nil {
		return fmt.Errorf("%w: %w", ErrHelperExited, err)
	}
	return nil
}

// line reads one line without its newline.
func (c *Client) line() (string, error) {
	line, err := c.r.ReadString('\n')
	if errors.Is(err, io.EOF) {
		return "", ErrHelperExited
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(line, "\n"), nil
}
