package protocol

import (
	"bufio"
	"io"

	"github.com/git-remote-federate/git-remote-federate/internal/redact"
)

// Writer writes the helper's replies. Each reply is flushed when it is
// complete, because git waits for it before sending more.
type Writer struct {
	w   *bufio.Writer
	err error
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriter(w)} }

// Err returns the first write error, if any.
func (w *Writer) Err() error { return w.err }

func (w *Writer) line(parts ...string) {
	if w.err != nil {
		return
	}
	for i, p := range parts {
		if i > 0 {
			w.w.WriteByte(' ')
		}
		w.w.WriteString(p)
	}
	_, w.err = w.w.WriteString("\n")
}

// End writes the blank line that ends a reply, and flushes.
func (w *Writer) End() error {
	w.line()
	return w.Flush()
}

// Flush sends what has been written so far.
func (w *Writer) Flush() error {
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

// Capabilities answers "capabilities".
func (w *Writer) Capabilities(caps ...string) error {
	for _, c := range caps {
		w.line(c)
	}
	return w.End()
}

// OptionOK answers an option that was set.
func (w *Writer) OptionOK() error { w.line("ok"); return w.Flush() }

// OptionUnsupported answers an option the helper does not know.
func (w *Writer) OptionUnsupported() error { w.line("unsupported"); return w.Flush() }

// OptionError answers an option the helper knows but refuses.
func (w *Writer) OptionError(msg string) error { w.line("error", Quote(msg)); return w.Flush() }

// Ref writes one "<oid> <name>" line of a list reply.
func (w *Writer) Ref(oid, name string) { w.line(oid, name) }

// Symref writes "@<target> <name>", a symbolic ref such as HEAD.
func (w *Writer) Symref(target, name string) { w.line("@"+target, name) }

// Attribute writes ":<name> <value>", such as ":object-format sha1".
func (w *Writer) Attribute(name, value string) { w.line(":"+name, value) }

// Lock writes "lock <file>" in a fetch reply.
func (w *Writer) Lock(file string) { w.line("lock", file) }

// ConnectivityOK writes "connectivity-ok" in a fetch reply.
func (w *Writer) ConnectivityOK() { w.line("connectivity-ok") }

// PushOK writes "ok <dst>", with " forced update" when forced. dst is
// written raw: git takes the ref name up to the first space as it is and
// would match no ref if it were quoted (a ref name holds no space).
func (w *Writer) PushOK(dst string, forced bool) {
	if forced {
		w.line("ok", dst, "forced update")
		return
	}
	w.line("ok", dst)
}

// PushError writes "error <dst> <why>". dst is raw, as in PushOK; why,
// stripped of control characters, is C-quoted when it needs to be, so a
// server's multi-line reason cannot break the stream.
func (w *Writer) PushError(dst, why string) {
	// git prints the reason as it is: no terminal escapes from a server.
	w.line("error", dst, Quote(redact.Strip(why)))
}

// ConnectReady answers connect or stateless-connect: the connection is
// established and the stream now belongs to it.
func (w *Writer) ConnectReady() error { return w.End() }

// ConnectFallback answers connect or stateless-connect: use fetch and push.
func (w *Writer) ConnectFallback() error { w.line("fallback"); return w.Flush() }
