package i18n

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Printer formats messages in one language. The English text of a
// message is its key in the catalogs, so a message with no translation
// comes out in English. A nil *Printer speaks English: code that was
// given none (tests, library callers) keeps its English text.
type Printer struct {
	tag language.Tag
	mp  func() *message.Printer
}

// New returns a printer for tag, with the catalogs of this package. The
// catalogs are built when the printer first formats a message: a process
// that prints nothing (the credential callback, run for every request a
// child git makes) does not pay for them.
func New(tag language.Tag) *Printer {
	return &Printer{tag: tag, mp: sync.OnceValue(func() *message.Printer {
		return message.NewPrinter(tag, message.Catalog(catalogs()))
	})}
}

// Language is the language p speaks.
func (p *Printer) Language() language.Tag {
	if p == nil {
		return language.English
	}
	return p.tag
}

// Translates reports whether p speaks another language than English.
func (p *Printer) Translates() bool { return p != nil && p.tag != language.English }

// Sprintf formats the message format in p's language. Numbers print as
// fmt prints them (no digit grouping: a port or a count stays 3000).
func (p *Printer) Sprintf(format string, a ...any) string { return p.sprintf(format, a) }

func (p *Printer) sprintf(format string, a []any) string {
	if p == nil {
		p = english
	}
	if p.asFormat(format) {
		return fmt.Sprintf(format, a...)
	}
	return p.mp().Sprintf(format, plain(a)...)
}

// asFormat reports whether the text of format in p's language is the
// format itself, as fmt makes it: English, with no English text of its
// own. The catalog lookup cost a report of 10,000 federations a
// twentieth of its time.
func (p *Printer) asFormat(format string) bool {
	return (p == nil || p.tag == language.English) && !englishTexts()[format]
}

// Fprintf writes the message format in p's language to w.
func (p *Printer) Fprintf(w io.Writer, format string, a ...any) (int, error) {
	if p.asFormat(format) {
		return fmt.Fprintf(w, format, a...)
	}
	return io.WriteString(w, p.Sprintf(format, a...))
}

// Error is err's text in p's language: the parts of it made by Errorf
// are translated, the rest is as err.Error() says.
func (p *Printer) Error(err error) string {
	if l, ok := err.(Localizer); ok {
		return l.Localize(p)
	}
	return err.Error()
}

// english formats untranslated text; it holds no state that changes.
var english = New(language.English)

// Localizer is an error or a text that can say itself in p's language.
type Localizer interface {
	Localize(p *Printer) string
}

// Msg is a message to translate when it is printed: its English format
// (the catalog key) and its arguments.
type Msg struct {
	Format string
	Args   []any
}

// M makes the message format with args, translated when printed.
func M(format string, a ...any) Msg { return Msg{Format: format, Args: a} }

// String is the message in English.
func (m Msg) String() string { return m.Localize(nil) }

// Localize is the message in p's language; arguments that can say
// themselves in p's language do.
func (m Msg) Localize(p *Printer) string {
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		switch v := a.(type) {
		case Localizer:
			args[i] = v.Localize(p)
		case error:
			args[i] = v.Error()
		default:
			args[i] = a
		}
	}
	return p.sprintf(strings.ReplaceAll(m.Format, "%w", "%v"), args)
}

// Error is an error whose text is translated when printed. It wraps
// the errors its %w verbs name, as fmt.Errorf does.
type Error struct {
	Msg
	wrapped error
}

// Errorf is fmt.Errorf whose text Printer.Error translates.
func Errorf(format string, a ...any) error {
	return &Error{Msg: M(format, a...), wrapped: fmt.Errorf(format, a...)}
}

func (e *Error) Error() string { return e.wrapped.Error() }

// Unwrap returns the errors e wraps, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	switch w := e.wrapped.(type) {
	case interface{ Unwrap() []error }:
		return w.Unwrap()
	case interface{ Unwrap() error }:
		return []error{w.Unwrap()}
	}
	return nil
}

type ctxKey struct{}

// NewContext returns ctx carrying p, for code that has a context and no
// other way to be given the printer.
func NewContext(ctx context.Context, p *Printer) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From is the printer ctx carries, or nil (English).
func From(ctx context.Context) *Printer {
	p, _ := ctx.Value(ctxKey{}).(*Printer)
	return p
}

// plain keeps integers and floats out of the locale's number formatting
// (which would print a port 3000 as "3,000") while they still choose a
// plural form.
func plain(a []any) []any {
	out := make([]any, len(a))
	for i, v := range a {
		switch n := v.(type) {
		case int:
			out[i] = integer(n)
		case int64:
			out[i] = integer(n)
		case int32:
			out[i] = integer(n)
		case uint:
			out[i] = integer(n)
		case uint64:
			out[i] = integer(n)
		case uint32:
			out[i] = integer(n)
		case float64:
			out[i] = float(n)
		default:
			out[i] = v
		}
	}
	return out
}

type integer int64

func (n integer) Format(s fmt.State, verb rune) { fmt.Fprintf(s, fmt.FormatString(s, verb), int64(n)) }

// PluralForm lets plural.Selectf choose a case for n.
func (n integer) PluralForm(t language.Tag, scale int) (plural.Form, int) {
	v := int(n)
	if v < 0 {
		v = -v
	}
	return plural.Cardinal.MatchPlural(t, v, 0, 0, 0, 0), int(n)
}

type float float64

func (f float) Format(s fmt.State, verb rune) { fmt.Fprintf(s, fmt.FormatString(s, verb), float64(f)) }

// Text is s, a text that is not a format (a help text), in p's language.
// A text with a % in it stays as it is: it would be read as a format.
func (p *Printer) Text(s string) string {
	if s == "" || strings.Contains(s, "%") {
		return s
	}
	return p.sprintf(s, nil)
}

// Join is errors.Join whose text Printer.Error translates: each error in
// p's language, one a line.
func Join(errs ...error) error {
	j := errors.Join(errs...)
	if j == nil {
		return nil
	}
	return &joined{err: j}
}

type joined struct{ err error }

func (j *joined) Error() string { return j.err.Error() }

// Unwrap returns the joined errors, for errors.Is and errors.As.
func (j *joined) Unwrap() []error { return j.err.(interface{ Unwrap() []error }).Unwrap() }

// Localize is each error in p's language, one a line.
func (j *joined) Localize(p *Printer) string {
	var lines []string
	for _, e := range j.Unwrap() {
		lines = append(lines, p.Error(e))
	}
	return strings.Join(lines, "\n")
}
