// Package redact cleans text that came from a child process or a server
// before it is printed or stored: tokens this process knows of are masked
// in every form they travel in, credential-shaped header values are masked
// even when the token is unknown, and control characters that could drive
// a terminal are dropped.
package redact

import (
	"encoding/base64"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/git-remote-federate/git-remote-federate/internal/lines"
)

// Mask replaces a secret in cleaned text.
const Mask = "***"

// Redactor knows the tokens this process uses. It is safe for concurrent
// use; a nil *Redactor knows no token but still masks credential-shaped
// text and strips control characters.
type Redactor struct {
	mu      sync.Mutex
	secrets map[string]bool
}

// New returns a Redactor that knows no token yet.
func New() *Redactor { return &Redactor{secrets: map[string]bool{}} }

// Add registers token, used with username (may be ""), so that the token
// and the forms a server may echo it in are masked: raw, base64 of the
// token, and base64 of "username:token", the value of a Basic header.
func (r *Redactor) Add(username, token string) {
	if r == nil || len(token) < 4 {
		return // too short to mask without masking ordinary words
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets[token] = true
	for _, s := range []string{token, username + ":" + token} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			r.secrets[enc.EncodeToString([]byte(s))] = true
		}
	}
}

// credentialRE matches the value of an authorization header or a token
// parameter, which servers echo in error text. Compiled at first use:
// every process of the program links this package, few redact text.
var credentialRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(basic|bearer|token|private-token:|authorization:|access_token=|private_token=|token=)(\s*)([A-Za-z0-9+/=._~-]{8,})`)
})

// Redact masks every known token and every credential-shaped value in s.
func (r *Redactor) Redact(s string) string {
	for _, secret := range r.list() {
		s = strings.ReplaceAll(s, secret, Mask)
	}
	return credentialRE().ReplaceAllStringFunc(s, func(m string) string {
		sub := credentialRE().FindStringSubmatch(m)
		if !strings.ContainsAny(sub[3], "0123456789") {
			return m // a word such as "token verification", not a value
		}
		return sub[1] + sub[2] + Mask
	})
}

// Clean is Strip then Redact: the one treatment for server and child text
// shown on a terminal or stored. Stripping first means no dropped
// character can join the pieces of a token after it was looked for.
func (r *Redactor) Clean(s string) string { return r.Redact(Strip(s)) }

// list is the secrets, longest first, so that no shorter one cuts a
// longer one in half before it is masked.
func (r *Redactor) list() []string {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.secrets))
	for s := range r.secrets {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// URL hides the password a URL may carry (user:xxxxx@host); anything
// else, an scp-like address (which names no password) included, is
// raw itself.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); !ok {
		return raw
	}
	return u.Redacted()
}

// Strip drops terminal escape sequences whole (CSI "ESC [ … final",
// OSC and the other strings "ESC ] … BEL or ESC \", two-byte "ESC x",
// and their C1 forms), the other control characters (ESC, CR, BEL, the
// rest of C0 and C1, DEL) and bytes that are not UTF-8 (a lone 0x9b is a
// C1 CSI to a Latin-1 terminal), and keeps newlines and tabs: server text
// can then neither set the terminal title, colour or move the cursor,
// nor overwrite lines with fake output, nor leave the printable rest of
// a sequence ("[31m") in the text.
func Strip(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c, n := decode(s[i:])
		switch {
		case c == 0x1b:
			i += escape(s[i+1:]) + 1
		case c == 0x9b: // C1 CSI
			i += n + csi(s[i+n:])
		case c == 0x90 || c == 0x98 || c == 0x9d || c == 0x9e || c == 0x9f: // C1 DCS, SOS, OSC, PM, APC
			i += n + str(s[i+n:])
		case isControl(c) || c == utf8.RuneError:
			i += n
		default:
			b.WriteString(s[i : i+n])
			i += n
		}
	}
	return b.String()
}

// OneLine is server text as one printable line: Strip, then line breaks
// and tabs as single spaces.
func OneLine(s string) string {
	return strings.Join(strings.Fields(Strip(s)), " ")
}

// decode is the rune at the start of s and its size; a byte that is not
// UTF-8 is itself, so that a raw C1 byte (0x80–0x9f) reads as the
// control it is to a Latin-1 terminal.
func decode(s string) (rune, int) {
	c, n := utf8.DecodeRuneInString(s)
	if c == utf8.RuneError && n == 1 && s[0] >= 0x80 && s[0] <= 0x9f {
		return rune(s[0]), 1
	}
	return c, n
}

// escape is the length of what follows an ESC in s as part of its
// sequence: ESC [ starts a CSI, ESC ] P X ^ _ a string, ESC followed by
// intermediates (0x20–0x2f) and a final byte (0x30–0x7e) is one escape
// ("ESC ( B", "ESC 7"). Anything else ends it: only the ESC goes.
func escape(s string) int {
	if s == "" {
		return 0
	}
	switch s[0] {
	case '[':
		return 1 + csi(s[1:])
	case ']', 'P', 'X', '^', '_':
		return 1 + str(s[1:])
	}
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		return i + 1
	}
	return 0 // a lone ESC, or one before a control: dropped alone
}

// csi is the length of a control sequence's parameters (0x30–0x3f),
// intermediates (0x20–0x2f) and final byte (0x40–0x7e) at the start of
// s. A sequence broken by any other character ends before it.
func csi(s string) int {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// str is the length of a control string (OSC's title, a DCS) at the start
// of s, with its end: BEL, ESC \ or the C1 ST. A string that never ends
// is dropped up to the end of its line, as a terminal would swallow it.
func str(s string) int {
	for i := 0; i < len(s); {
		c, n := decode(s[i:])
		switch {
		case c == 0x07 || c == 0x9c:
			return i + n
		case c == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case c == '\n':
			return i
		}
		i += n
	}
	return len(s)
}

func isControl(c rune) bool {
	return c != '\n' && c != '\t' && unicode.IsControl(c)
}

// Writer cleans a stream line by line (lines end at \n or \r) before it
// reaches w: a child's stderr shown live. A carriage return that ends a
// line is kept, since git's progress meter and its "remote: " lines use
// it; control characters inside a line are dropped. Call Flush when the
// stream ends, for a last line without an end.
type Writer struct {
	r     *Redactor
	w     io.Writer
	lines lines.Writer
}

// NewWriter returns a Writer that cleans with r (nil: no known token)
// and writes to w.
func NewWriter(r *Redactor, w io.Writer) *Writer {
	cw := &Writer{r: r, w: w}
	cw.lines.Line = cw.emit
	return cw
}

// Write implements io.Writer: a line is cleaned once it is whole (a
// child that never ends a line is written out in pieces of lines.Max).
func (cw *Writer) Write(p []byte) (int, error) { return cw.lines.Write(p) }

// Flush writes out a partial last line.
func (cw *Writer) Flush() error { return cw.lines.Flush() }

func (cw *Writer) emit(line []byte, end byte) error {
	text := string(line)
	if end != 0 {
		text = cw.r.CleanLines(text + string(end))
	} else {
		text = cw.r.Clean(text)
	}
	_, err := io.WriteString(cw.w, text)
	return err
}

// CleanLines is Clean for text whose line ends matter: each line is
// cleaned and its "\n" or "\r" end kept, so git's progress meter and its
// "remote: " lines still show as git draws them.
func (r *Redactor) CleanLines(s string) string {
	var b strings.Builder
	for s != "" {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			b.WriteString(r.Clean(s))
			break
		}
		b.WriteString(r.Clean(s[:i]))
		b.WriteByte(s[i])
		s = s[i+1:]
	}
	return b.String()
}
