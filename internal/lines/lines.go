// Package lines splits a stream that arrives in pieces (a child's
// stderr) into lines as git ends them: at '\n', or at '\r' for a
// progress meter redrawing its line. It is the one such splitter: the
// redacting writer, the push's stderr reader and the filter of a child
// push's stderr all read through it.
package lines

// Max bounds a partial line held back: a child that never ends a line is
// passed on in pieces of this size.
const Max = 64 << 10

// Writer calls Line for each line written to it, without its end, and
// with the byte that ended it ('\n' or '\r'; 0 for a partial line passed
// on at Max bytes or by Flush). Its zero value with Line set is ready.
type Writer struct {
	Line func(line []byte, end byte) error
	buf  []byte
}

// Write implements io.Writer. An error from Line is returned, with all
// of p taken.
func (w *Writer) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	start := 0
	for i := 0; i < len(w.buf); i++ {
		if c := w.buf[i]; c == '\n' || c == '\r' {
			if err := w.Line(w.buf[start:i], c); err != nil {
				w.buf = w.buf[i+1:]
				return len(p), err
			}
			start = i + 1
		}
	}
	w.buf = w.buf[start:]
	if len(w.buf) > Max {
		return len(p), w.Flush()
	}
	return len(p), nil
}

// Flush passes on a partial last line, if any.
func (w *Writer) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	line := w.buf
	w.buf = nil
	return w.Line(line, 0)
}
