package protocol

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxLine bounds one protocol line. git's lines are a command and a ref
// name; anything longer is hostile or corrupt.
const MaxLine = 64 << 10

// MaxBatch bounds the lines of one fetch or push batch, and MaxPushOptions
// the push-option commands of a session: far above what a real push sends
// (git pushes every ref of a big repository in well under 100k lines), they
// keep the helper's memory bounded whatever arrives on its input.
const (
	MaxBatch       = 100_000
	MaxPushOptions = 1_000
)

// ErrMalformed is wrapped by every error about input that is not the
// protocol.
var ErrMalformed = errors.New("protocol: malformed command")

// Reader parses the commands git sends on the helper's standard input.
type Reader struct {
	r           *bufio.Reader
	pushOptions int // push-option commands read so far
}

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 4096)}
}

// Buffered returns a reader of the bytes after the last command: after
// "connect" the rest of the input is the raw connection, and part of it may
// already sit in the Reader's buffer.
func (r *Reader) Buffered() io.Reader { return r.r }

// Next returns the next command. It returns io.EOF when the input ends
// cleanly between commands, and an error wrapping ErrMalformed for input
// that is not the protocol.
func (r *Reader) Next() (Command, error) {
	line, err := r.line()
	if err != nil {
		return nil, err
	}
	name, arg, _ := strings.Cut(line, " ")
	switch name {
	case "":
		return End{}, nil
	case "capabilities":
		return noArg(Capabilities{}, line, arg)
	case "list":
		switch arg {
		case "":
			return List{}, nil
		case "for-push":
			return List{ForPush: true}, nil
		}
	case "option":
		if strings.HasPrefix(arg, "push-option ") {
			if r.pushOptions++; r.pushOptions > MaxPushOptions {
				return nil, fmt.Errorf("%w: more than %d push-option commands", ErrMalformed, MaxPushOptions)
			}
		}
		return parseOption(arg)
	case "fetch":
		return r.fetchBatch(arg)
	case "push":
		return r.pushBatch(arg)
	case "connect", "stateless-connect":
		if validService(arg) {
			return Connect{Service: arg, Stateless: name == "stateless-connect"}, nil
		}
	}
	return nil, malformed("unknown command", line)
}

func noArg(c Command, line, arg string) (Command, error) {
	if arg != "" {
		return nil, malformed("unexpected argument", line)
	}
	return c, nil
}

// line reads one line without its newline. EOF with a partial line is an
// error: git never leaves a command unterminated, so a cut-off line is a
// truncated stream, not a command to act on.
func (r *Reader) line() (string, error) {
	var b []byte
	for {
		chunk, err := r.r.ReadSlice('\n')
		if len(b)+len(chunk) > MaxLine+1 {
			return "", fmt.Errorf("%w: line longer than %d bytes", ErrMalformed, MaxLine)
		}
		b = append(b, chunk...)
		switch {
		case err == nil:
			return string(b[:len(b)-1]), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(b) > 0:
			return "", fmt.Errorf("%w: input ends inside a line", ErrMalformed)
		default:
			return "", err
		}
	}
}

func (r *Reader) fetchBatch(first string) (Command, error) {
	var f Fetch
	for arg := first; ; {
		ref, err := parseFetchRef(arg)
		if err != nil {
			return nil, err
		}
		f.Refs = append(f.Refs, ref)
		if len(f.Refs) > MaxBatch {
			return nil, fmt.Errorf("%w: more than %d lines in a fetch batch", ErrMalformed, MaxBatch)
		}
		if arg, err = r.batchLine("fetch"); err != nil {
			return nil, err
		}
		if arg == "" {
			return f, nil
		}
	}
}

func (r *Reader) pushBatch(first string) (Command, error) {
	var p Push
	for arg := first; ; {
		ref, err := parsePushRef(arg)
		if err != nil {
			return nil, err
		}
		p.Refs = append(p.Refs, ref)
		if len(p.Refs) > MaxBatch {
			return nil, fmt.Errorf("%w: more than %d lines in a push batch", ErrMalformed, MaxBatch)
		}
		if arg, err = r.batchLine("push"); err != nil {
			return nil, err
		}
		if arg == "" {
			return p, nil
		}
	}
}

// batchLine reads the next line of a batch: the argument of another
// "<verb> ..." line, or "" for the blank line that ends the batch.
func (r *Reader) batchLine(verb string) (string, error) {
	line, err := r.line()
	if errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%w: input ends inside a %s batch", ErrMalformed, verb)
	}
	if err != nil || line == "" {
		return "", err
	}
	arg, ok := strings.CutPrefix(line, verb+" ")
	if !ok {
		return "", malformed("expected "+verb+" line in batch", line)
	}
	if arg == "" {
		return "", malformed("empty "+verb+" line", line)
	}
	return arg, nil
}

func parseOption(arg string) (Command, error) {
	name, value, hasValue := strings.Cut(arg, " ")
	if !validOptionName(name) {
		return nil, malformed("bad option name", "option "+arg)
	}
	v, err := Unquote(value)
	if err != nil {
		return nil, fmt.Errorf("%w: option %s: %w", ErrMalformed, name, err)
	}
	return Option{Name: name, Value: v, HasValue: hasValue}, nil
}

func parseFetchRef(arg string) (FetchRef, error) {
	oid, name, ok := strings.Cut(arg, " ")
	if !ok || !IsOID(oid) || !ValidRefName(name) {
		return FetchRef{}, malformed("bad fetch line", "fetch "+arg)
	}
	return FetchRef{OID: oid, Name: name}, nil
}

func parsePushRef(arg string) (PushRef, error) {
	spec := arg
	force := strings.HasPrefix(spec, "+")
	spec = strings.TrimPrefix(spec, "+")
	src, dst, ok := strings.Cut(spec, ":")
	if !ok || !ValidRefName(dst) || (src != "" && !ValidRefName(src)) {
		return PushRef{}, malformed("bad push line", "push "+arg)
	}
	return PushRef{Src: src, Dst: dst, Force: force}, nil
}

// IsOID reports whether s is a full SHA-1 or SHA-256 object name in
// lower-case hex.
func IsOID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ValidRefName accepts what git may name in a fetch or push line: a ref
// name, "HEAD" or an object name. It refuses what could be taken for an
// option or break a line-based exchange, so a name can be passed on to a
// child git safely; git checks the finer rules of check-ref-format itself.
func ValidRefName(s string) bool {
	if s == "" || strings.HasPrefix(s, "-") || strings.ContainsAny(s, ":") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

func validOptionName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validService(s string) bool {
	return s == "git-upload-pack" || s == "git-receive-pack" || s == "git-upload-archive"
}

func malformed(why, line string) error {
	if len(line) > 80 {
		line = line[:80] + "..."
	}
	return fmt.Errorf("%w: %s: %s", ErrMalformed, why, Quote(line))
}
