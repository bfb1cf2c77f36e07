package protocol

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

const (
	oidA = "1111111111111111111111111111111111111111"
	oidB = "2222222222222222222222222222222222222222"
	oid2 = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
)

// readAll parses in until the input ends or an error, and returns the
// commands read and the error that stopped it (nil at a clean end).
func readAll(t *testing.T, in string) ([]Command, error) {
	t.Helper()
	r := NewReader(strings.NewReader(in))
	var got []Command
	for i := 0; i < 1000; i++ {
		c, err := r.Next()
		if errors.Is(err, io.EOF) {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, c)
	}
	t.Fatal("reader did not stop after 1000 commands")
	return nil, nil
}

// TestReaderTranscripts feeds whole sessions, as git writes them, and
// checks every command that comes out.
func TestReaderTranscripts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Command
	}{
		{
			name: "capabilities then end",
			in: `capabilities

`,
			want: []Command{Capabilities{}, End{}},
		},
		{
			name: "list and list for-push",
			in: `list
list for-push
`,
			want: []Command{List{}, List{ForPush: true}},
		},
		{
			name: "options as git 2.39 sends them on clone",
			in: `option progress true
option verbosity 1
option depth 1
option followtags true
option object-format
option cloning true
`,
			want: []Command{
				Option{Name: "progress", Value: "true", HasValue: true},
				Option{Name: "verbosity", Value: "1", HasValue: true},
				Option{Name: "depth", Value: "1", HasValue: true},
				Option{Name: "followtags", Value: "true", HasValue: true},
				Option{Name: "object-format"},
				Option{Name: "cloning", Value: "true", HasValue: true},
			},
		},
		{
			name: "object-format with a value, as git 2.45 sends it",
			in:   "option object-format true\n",
			want: []Command{Option{Name: "object-format", Value: "true", HasValue: true}},
		},
		{
			name: "option with an empty value",
			in:   "option deepen-since \n",
			want: []Command{Option{Name: "deepen-since", Value: "", HasValue: true}},
		},
		{
			name: "C-quoted push options",
			in: `option push-option plain
option push-option "ci.skip \"yes\""
option push-option "two\nlines\ttab\\"
option push-option "\303\251t\351"
`,
			want: []Command{
				Option{Name: "push-option", Value: "plain", HasValue: true},
				Option{Name: "push-option", Value: `ci.skip "yes"`, HasValue: true},
				Option{Name: "push-option", Value: "two\nlines\ttab\\", HasValue: true},
				Option{Name: "push-option", Value: "\xc3\xa9t\xe9", HasValue: true},
			},
		},
		{
			name: "value with spaces is kept whole",
			in:   "option deepen-not refs/heads/a b\n",
			want: []Command{Option{Name: "deepen-not", Value: "refs/heads/a b", HasValue: true}},
		},
		{
			name: "push options: dry-run, atomic, cas",
			in: `option dry-run true
option atomic true
option cas refs/heads/main:` + oidA + `
option cas refs/heads/new:0000000000000000000000000000000000000000
option force-if-includes true
`,
			want: []Command{
				Option{Name: "dry-run", Value: "true", HasValue: true},
				Option{Name: "atomic", Value: "true", HasValue: true},
				Option{Name: "cas", Value: "refs/heads/main:" + oidA, HasValue: true},
				Option{Name: "cas", Value: "refs/heads/new:0000000000000000000000000000000000000000", HasValue: true},
				Option{Name: "force-if-includes", Value: "true", HasValue: true},
			},
		},
		{
			name: "one fetch batch",
			in: `fetch ` + oidA + ` refs/heads/main
fetch ` + oidB + ` refs/tags/v1.0
fetch ` + oidA + ` HEAD

`,
			want: []Command{Fetch{Refs: []FetchRef{
				{OID: oidA, Name: "refs/heads/main"},
				{OID: oidB, Name: "refs/tags/v1.0"},
				{OID: oidA, Name: "HEAD"},
			}}},
		},
		{
			name: "sha256 fetch",
			in:   "fetch " + oid2 + " refs/heads/main\n\n",
			want: []Command{Fetch{Refs: []FetchRef{{OID: oid2, Name: "refs/heads/main"}}}},
		},
		{
			name: "several fetch batches in one session",
			in: `option depth 1
fetch ` + oidA + ` refs/heads/main

option followtags true
fetch ` + oidB + ` refs/tags/v1

`,
			want: []Command{
				Option{Name: "depth", Value: "1", HasValue: true},
				Fetch{Refs: []FetchRef{{OID: oidA, Name: "refs/heads/main"}}},
				Option{Name: "followtags", Value: "true", HasValue: true},
				Fetch{Refs: []FetchRef{{OID: oidB, Name: "refs/tags/v1"}}},
			},
		},
		{
			name: "push batch with force, delete and new branch",
			in: `push refs/heads/main:refs/heads/main
push +refs/heads/topic:refs/heads/topic
push :refs/heads/gone
push +:refs/heads/forced-gone
push refs/heads/main:refs/heads/new/branch

`,
			want: []Command{Push{Refs: []PushRef{
				{Src: "refs/heads/main", Dst: "refs/heads/main"},
				{Src: "refs/heads/topic", Dst: "refs/heads/topic", Force: true},
				{Src: "", Dst: "refs/heads/gone"},
				{Src: "", Dst: "refs/heads/forced-gone", Force: true},
				{Src: "refs/heads/main", Dst: "refs/heads/new/branch"},
			}}},
		},
		{
			name: "push by object name",
			in:   "push " + oidA + ":refs/heads/main\n\n",
			want: []Command{Push{Refs: []PushRef{{Src: oidA, Dst: "refs/heads/main"}}}},
		},
		{
			name: "several push batches",
			in: `push refs/heads/a:refs/heads/a

push refs/heads/b:refs/heads/b

`,
			want: []Command{
				Push{Refs: []PushRef{{Src: "refs/heads/a", Dst: "refs/heads/a"}}},
				Push{Refs: []PushRef{{Src: "refs/heads/b", Dst: "refs/heads/b"}}},
			},
		},
		{
			name: "a full push session",
			in: `capabilities
list for-push
option progress false
option atomic true
push refs/heads/main:refs/heads/main

`,
			want: []Command{
				Capabilities{}, List{ForPush: true},
				Option{Name: "progress", Value: "false", HasValue: true},
				Option{Name: "atomic", Value: "true", HasValue: true},
				Push{Refs: []PushRef{{Src: "refs/heads/main", Dst: "refs/heads/main"}}},
			},
		},
		{
			name: "connect",
			in:   "connect git-upload-pack\n",
			want: []Command{Connect{Service: "git-upload-pack"}},
		},
		{
			name: "connect receive-pack",
			in:   "connect git-receive-pack\n",
			want: []Command{Connect{Service: "git-receive-pack"}},
		},
		{
			name: "stateless-connect",
			in:   "stateless-connect git-upload-pack\n",
			want: []Command{Connect{Service: "git-upload-pack", Stateless: true}},
		},
		{
			name: "empty input",
			in:   "",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.in)
			if err != nil {
				t.Fatalf("error after %v: %v", got, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("commands:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// TestReaderRefusesMalformed checks that input that is not the protocol
// stops the session with an error wrapping ErrMalformed, after the good
// commands before it.
func TestReaderRefusesMalformed(t *testing.T) {
	long := strings.Repeat("a", MaxLine+1)
	tests := []struct {
		name string
		in   string
		good int // commands parsed before the error
	}{
		{"unknown command", "frobnicate\n", 0},
		{"capabilities with an argument", "capabilities now\n", 0},
		{"list with an unknown argument", "list everything\n", 0},
		{"option without a name", "option\n", 0},
		{"option with an empty name", "option  true\n", 0},
		{"option name upper case", "option Depth 1\n", 0},
		{"option name with a quote", "option dep\"th 1\n", 0},
		{"option badly quoted value", "option push-option \"abc\n", 0},
		{"option bad escape", "option push-option \"a\\qb\"\n", 0},
		{"option short octal", "option push-option \"\\30\"\n", 0},
		{"option inner quote", "option push-option \"a\"b\"\n", 0},
		{"fetch without a name", "fetch " + oidA + "\n\n", 0},
		{"fetch with a short oid", "fetch 1234 refs/heads/main\n\n", 0},
		{"fetch with upper-case oid", "fetch " + strings.ToUpper("abcdefabcdefabcdefabcdefabcdefabcdefabcd") + " refs/heads/main\n\n", 0},
		{"fetch of a name with a leading dash", "fetch " + oidA + " -upload-pack=evil\n\n", 0},
		{"fetch of a name with a space", "fetch " + oidA + " refs/heads/a b\n\n", 0},
		{"fetch batch with a push line", "fetch " + oidA + " refs/heads/a\npush a:b\n\n", 0},
		{"fetch batch with an empty fetch line", "fetch " + oidA + " refs/heads/a\nfetch \n\n", 0},
		{"push without colon", "push refs/heads/main\n\n", 0},
		{"push without destination", "push refs/heads/main:\n\n", 0},
		{"push with a leading dash source", "push -o:refs/heads/main\n\n", 0},
		{"push with a leading dash destination", "push refs/heads/main:--exec=evil\n\n", 0},
		{"push with a colon in the destination", "push a:b:c\n\n", 0},
		{"push with a control character", "push a:b\x01\n\n", 0},
		{"push batch with a fetch line", "push a:refs/heads/a\nfetch " + oidA + " x\n\n", 0},
		{"connect to an unknown service", "connect git-evil\n", 0},
		{"connect without a service", "connect\n", 0},
		{"stateless-connect with a dash", "stateless-connect -x\n", 0},
		{"truncated command", "capabilities\nlist for-pu", 1},
		{"truncated option", "option dry-run tr", 0},
		{"truncated fetch batch", "fetch " + oidA + " refs/heads/main\n", 0},
		{"truncated push batch", "push a:refs/heads/a\npush b:refs/heads/b\n", 0},
		{"push batch cut inside a line", "push a:refs/heads/a\npush b:refs/he", 0},
		{"overlong line", long + "\n", 0},
		{"overlong line without newline", long, 0},
		{"overlong option value", "option push-option " + long + "\n", 0},
		{"good then bad", "capabilities\nlist\nnope\n", 2},
		{"carriage return is not a line end", "capabilities\r\n", 0},
		{"NUL in a command", "list\x00\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.in)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error = %v, want ErrMalformed (commands %#v)", err, got)
			}
			if len(got) != tt.good {
				t.Errorf("parsed %d commands before the error, want %d: %#v", len(got), tt.good, got)
			}
			if n := len(err.Error()); n > 300 {
				t.Errorf("error text is %d bytes; it should quote only a short excerpt", n)
			}
		})
	}
}

// TestReaderLineAtMaxLength checks the boundary of MaxLine: a line of
// exactly MaxLine bytes is read, one more is refused.
func TestReaderLineAtMaxLength(t *testing.T) {
	value := strings.Repeat("v", MaxLine-len("option push-option "))
	got, err := readAll(t, "option push-option "+value+"\n")
	if err != nil {
		t.Fatalf("line of MaxLine bytes: %v", err)
	}
	if o, ok := got[0].(Option); !ok || o.Value != value {
		t.Fatalf("got %#v", got)
	}
	if _, err := readAll(t, "option push-option "+value+"v\n"); !errors.Is(err, ErrMalformed) {
		t.Fatalf("line of MaxLine+1 bytes: error = %v, want ErrMalformed", err)
	}
}

// TestReaderBufferedAfterConnect checks that after "connect" the bytes git
// already sent for the connection are still readable.
func TestReaderBufferedAfterConnect(t *testing.T) {
	r := NewReader(strings.NewReader("capabilities\n\nconnect git-upload-pack\n0009done\n0000"))
	for _, want := range []Command{Capabilities{}, End{}, Connect{Service: "git-upload-pack"}} {
		c, err := r.Next()
		if err != nil || !reflect.DeepEqual(c, want) {
			t.Fatalf("Next() = %#v, %v; want %#v", c, err, want)
		}
	}
	rest, err := io.ReadAll(r.Buffered())
	if err != nil {
		t.Fatal(err)
	}
	if string(rest) != "0009done\n0000" {
		t.Errorf("raw connection bytes = %q", rest)
	}
}

// TestReaderErrorQuotesLine checks that an error names the offending line
// C-quoted, so a control character cannot garble the user's terminal.
func TestReaderErrorQuotesLine(t *testing.T) {
	_, err := readAll(t, "bogus\x1b[31m\n")
	if err == nil || strings.ContainsRune(err.Error(), 0x1b) {
		t.Fatalf("error = %q, want the escape quoted", err)
	}
	if !strings.Contains(err.Error(), `"bogus\033[31m"`) {
		t.Errorf("error = %q, want the quoted line", err)
	}
}

func TestPushRef(t *testing.T) {
	tests := []struct {
		ref    PushRef
		spec   string
		delete bool
	}{
		{PushRef{Src: "refs/heads/a", Dst: "refs/heads/b"}, "refs/heads/a:refs/heads/b", false},
		{PushRef{Src: "refs/heads/a", Dst: "refs/heads/b", Force: true}, "+refs/heads/a:refs/heads/b", false},
		{PushRef{Dst: "refs/heads/b"}, ":refs/heads/b", true},
		{PushRef{Dst: "refs/heads/b", Force: true}, "+:refs/heads/b", true},
	}
	for _, tt := range tests {
		if got := tt.ref.Refspec(); got != tt.spec {
			t.Errorf("%#v.Refspec() = %q, want %q", tt.ref, got, tt.spec)
		}
		if got := tt.ref.Delete(); got != tt.delete {
			t.Errorf("%#v.Delete() = %v, want %v", tt.ref, got, tt.delete)
		}
	}
}

func TestIsOID(t *testing.T) {
	for s, want := range map[string]bool{
		oidA: true, oid2: true, "": false, oidA[:39]: false, oidA + "1": false,
		strings.Repeat("g", 40): false, strings.Repeat("A", 40): false,
	} {
		if got := IsOID(s); got != want {
			t.Errorf("IsOID(%q) = %v, want %v", s, got, want)
		}
	}
}
