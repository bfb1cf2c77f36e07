package refs_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/refs"
	"github.com/git-remote-federate/git-remote-federate/internal/sendpack"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

const (
	oid1 = "1111111111111111111111111111111111111111"
	oid2 = "2222222222222222222222222222222222222222"
)

// format is one way refs are written down, and its parser.
type format struct {
	name  string
	write func(oid, name string) []byte
	parse func(b []byte) (*refs.Listing, error)
}

func pkt(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }

func advertisement(service, oid, name string) []byte {
	return []byte(pkt("# service="+service+"\n") + "0000" + pkt(oid+" "+name+"\x00report-status\n") + "0000")
}

func parseAdvertisement(service string) func(b []byte) (*refs.Listing, error) {
	return func(b []byte) (*refs.Listing, error) {
		a, err := sendpack.ParseServiceAdvertisement(bytes.NewReader(b), service)
		if err != nil {
			return nil, err
		}
		return &a.Listing, nil
	}
}

// parseHelperList reads b as git's http helper's answer to "list
// for-push", as the helper's relay reads it.
func parseHelperList(b []byte) (*refs.Listing, error) {
	c := protocol.NewClient(io.Discard, bufio.NewReader(bytes.NewReader(append(b, '\n'))))
	listed, err := c.ListForPush()
	if err != nil {
		return nil, err
	}
	return refs.FromHelperList(listed)
}

// formats are every format a listing is read from.
var formats = []format{
	{"ls-remote", func(oid, name string) []byte { return []byte(oid + "\t" + name + "\n") }, refs.ParseLsRemote},
	{"for-each-ref", func(oid, name string) []byte { return []byte(oid + " " + name + "\n") }, refs.ParseForEachRef},
	{"packed-refs", func(oid, name string) []byte {
		return []byte("# pack-refs with: peeled fully-peeled sorted \n" + oid + " " + name + "\n")
	}, func(b []byte) (*refs.Listing, error) { return refs.ParsePackedRefs(bytes.NewReader(b)) }},
	{"loose ref", func(oid, name string) []byte { return []byte(name + "\x00" + oid + "\n") }, func(b []byte) (*refs.Listing, error) {
		name, content, _ := bytes.Cut(b, []byte{0})
		oid, target, err := refs.ParseLooseRef(string(name), content)
		if err != nil {
			return nil, err
		}
		if target != "" {
			return &refs.Listing{Symrefs: map[string]string{string(name): target}}, nil
		}
		return &refs.Listing{Refs: []refs.Ref{{Name: string(name), OID: oid}}}, nil
	}},
	{"remote helper's list", func(oid, name string) []byte { return []byte(oid + " " + name + "\n") }, parseHelperList},
	{"receive-pack advertisement", func(oid, name string) []byte { return advertisement(sendpack.ReceivePack, oid, name) },
		parseAdvertisement(sendpack.ReceivePack)},
	{"upload-pack advertisement", func(oid, name string) []byte { return advertisement(sendpack.UploadPack, oid, name) },
		parseAdvertisement(sendpack.UploadPack)},
}

// Every format takes the same refs and refuses the same malformed ones:
// a caller never keeps an entry another caller would have refused.
func TestEveryParserRefusesTheSameEntries(t *testing.T) {
	for _, f := range formats {
		for _, name := range []string{"refs/heads/main", "refs/tags/v1.0", "refs/heads/a/b", "refs/heads/ü"} {
			l, err := f.parse(f.write(oid1, name))
			if err != nil || l.OID(name) != oid1 {
				t.Errorf("%s: %s taken as %+v, %v", f.name, name, l, err)
			}
		}
	}
	malformed := []struct{ why, oid, name string }{
		{"short object name", "abc", "refs/heads/main"},
		{"object name of 41 digits", oid1 + "1", "refs/heads/main"},
		{"upper-case object name", strings.ToUpper("abcdefabcdefabcdefabcdefabcdefabcdefabcd"), "refs/heads/main"},
		{"not hex", strings.Repeat("g", 40), "refs/heads/main"},
		{"no name", oid1, ""},
		{"not under refs/", oid1, "heads/main"},
		{"two dots", oid1, "refs/heads/a..b"},
		{"trailing slash", oid1, "refs/heads/a/"},
		{"colon", oid1, "refs/heads/a:b"},
		{"space", oid1, "refs/heads/a b"},
		{"control character", oid1, "refs/heads/a\x01b"},
		{"DEL", oid1, "refs/heads/a\x7fb"},
		{"option-like", oid1, "--upload-pack=x"},
	}
	for _, m := range malformed {
		for _, f := range formats {
			if l, err := f.parse(f.write(m.oid, m.name)); err == nil {
				t.Errorf("%s, %s: %q %q taken as %+v", f.name, m.why, m.oid, m.name, l.Refs)
			} else if !strings.Contains(f.name, "advertisement") && !strings.Contains(f.name, "helper") && !errors.Is(err, refs.ErrMalformed) {
				t.Errorf("%s, %s: error %v is not ErrMalformed", f.name, m.why, err)
			}
		}
	}
}

// Lines that are not in their format are refused, quoted in the error.
func TestParsersRefuseMalformedLines(t *testing.T) {
	cases := []struct {
		parse func([]byte) (*refs.Listing, error)
		in    string
	}{
		{refs.ParseLsRemote, "garbage\n"},
		{refs.ParseLsRemote, "ref: refs/heads/main\n"},
		{refs.ParseLsRemote, "ref: refs/heads/a..b\tHEAD\n"},
		{refs.ParseLsRemote, oid1 + " refs/heads/main\n"},
		{refs.ParseLsRemote, oid1 + "\t^{}\n"},
		{refs.ParseLsRemote, oid1 + "\trefs/heads/main\ngarbage\n"},
		{refs.ParseForEachRef, oid1 + "\trefs/heads/main\n"},
		{refs.ParseForEachRef, "garbage\n"},
		{formats[2].parse, "^" + oid1 + "\n" + oid1 + " refs/tags/v1\n"},
		{formats[2].parse, oid1 + " refs/tags/v1\n^abc\n"},
		{refs.ParseLsRemote, oid1 + "\trefs/heads/" + strings.Repeat("x", 2<<20) + "\n"},
	}
	for _, c := range cases {
		if l, err := c.parse([]byte(c.in)); !errors.Is(err, refs.ErrMalformed) {
			t.Errorf("%.60q: %+v, %v", c.in, l, err)
		} else if len(c.in) < 200 && !strings.Contains(err.Error(), "line") {
			t.Errorf("%.60q: error %v does not quote the line", c.in, err)
		}
	}
}

// ls-remote --symref output: the symref, refs in order, peeled values apart.
func TestParseLsRemote(t *testing.T) {
	l, err := refs.ParseLsRemote([]byte("ref: refs/heads/main\tHEAD\n" + oid1 + "\tHEAD\n" + oid1 + "\trefs/heads/main\n" +
		oid2 + "\trefs/tags/v1\n" + oid1 + "\trefs/tags/v1^{}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []refs.Ref{{"HEAD", oid1}, {"refs/heads/main", oid1}, {"refs/tags/v1", oid2}}
	if fmt.Sprint(l.Refs) != fmt.Sprint(want) || l.Symrefs["HEAD"] != "refs/heads/main" || l.Peeled["refs/tags/v1"] != oid1 {
		t.Fatalf("parsed %+v", l)
	}
	if l.ObjectFormat() != "sha1" || l.OID("refs/tags/v1") != oid2 || l.OID("refs/heads/x") != "" {
		t.Errorf("lookups of %+v", l)
	}
	sha256 := strings.Repeat("a", 64)
	if l, err := refs.ParseLsRemote([]byte(sha256 + "\trefs/heads/main\n")); err != nil || l.ObjectFormat() != "sha256" {
		t.Errorf("sha256: %+v %v", l, err)
	}
}

// Sync compares listings after keeping the refs it covers: order,
// symrefs and peeled values do not make two listings differ.
func TestEqualAfterFilter(t *testing.T) {
	a, _ := refs.ParseLsRemote([]byte(oid1 + "\tHEAD\n" + oid1 + "\trefs/heads/main\n" + oid2 + "\trefs/tags/v1\n" + oid1 + "\trefs/tags/v1^{}\n"))
	b, _ := refs.ParseForEachRef([]byte(oid2 + " refs/tags/v1\n" + oid1 + " refs/heads/main\n" + oid2 + " refs/federate/x\n"))
	underRefs := func(r string) bool { return strings.HasPrefix(r, "refs/") && !strings.HasPrefix(r, "refs/federate/") }
	if a.Equal(b) || !a.Filter(underRefs).Equal(b.Filter(underRefs)) {
		t.Errorf("equal before filtering, or not after: %+v %+v", a, b)
	}
	c, _ := refs.ParseForEachRef([]byte(oid1 + " refs/heads/main\n" + oid1 + " refs/tags/v1\n"))
	if c.Equal(b.Filter(underRefs)) {
		t.Error("a moved tag compares equal")
	}
	d := &refs.Listing{Refs: []refs.Ref{{Name: "HEAD"}, {"refs/heads/main", oid1}, {"refs/tags/v1", oid1}}}
	if !c.Equal(d) || !d.Equal(c) || d.Equal(b) {
		t.Errorf("in order: %+v %+v", c, d)
	}
	var none *refs.Listing
	if !none.Equal(&refs.Listing{}) || none.Equal(c) || none.OID("HEAD") != "" || none.Filter(underRefs).Len() != 0 {
		t.Error("a nil listing is not an empty one")
	}
}

// fuzzParser checks what parse accepts: every ref is a valid name with
// an object name, and written back in its format it parses the same.
func fuzzParser(f *testing.F, fm format, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := fm.parse(b)
		if err != nil {
			return
		}
		for _, r := range l.Refs {
			if _, symref := l.Symrefs[r.Name]; symref && r.OID == "" {
				continue // a remote helper's symref: no value
			}
			if !refs.ValidName(r.Name) || !protocol.IsOID(r.OID) {
				t.Fatalf("%s took %q %q", fm.name, r.OID, r.Name)
			}
			again, err := fm.parse(fm.write(r.OID, r.Name))
			if err != nil || again.OID(r.Name) != r.OID {
				t.Fatalf("%s: %q %q does not parse again: %v", fm.name, r.OID, r.Name, err)
			}
		}
		for name, target := range l.Symrefs {
			if !refs.ValidName(name) || !refs.ValidName(target) {
				t.Fatalf("%s took symref %q -> %q", fm.name, name, target)
			}
		}
	})
}

func FuzzParseLsRemote(f *testing.F) {
	fuzzParser(f, formats[0], "ref: refs/heads/main\tHEAD\n"+oid1+"\tHEAD\n"+oid2+"\trefs/tags/v1\n"+oid1+"\trefs/tags/v1^{}\n", "garbage\n")
}

func FuzzParseForEachRef(f *testing.F) {
	fuzzParser(f, formats[1], oid1+" refs/heads/main\n"+oid2+" refs/tags/v1\n", oid1+"\trefs/heads/main\n")
}

func FuzzParsePackedRefs(f *testing.F) {
	fuzzParser(f, formats[2], "# pack-refs with: peeled fully-peeled sorted \n"+oid2+" refs/tags/v1\n^"+oid1+"\n", "^"+oid1+"\n")
}

func FuzzFromHelperList(f *testing.F) {
	fuzzParser(f, formats[4], ":object-format sha1\n@refs/heads/main HEAD\n"+oid1+" refs/heads/main\n? refs/heads/x\n", oid1+" refs/heads/a..b\n")
}

func FuzzParseLooseRef(f *testing.F) {
	fuzzParser(f, formats[3], "refs/heads/main\x00"+oid1+"\n", "refs/heads/alias\x00ref: refs/heads/main\n", "refs/heads/a..b\x00"+oid1)
}

// Filter keeps the accepted refs in order whether or not they are one
// run of the listing, and what it shares with the listing cannot be
// changed through it: an append to the filtered refs leaves the
// listing as it was.
func TestFilterKeepsOrderAndSharesReadOnly(t *testing.T) {
	l, err := refs.ParseLsRemote([]byte(oid1 + "\tHEAD\n" + oid1 + "\trefs/heads/main\n" + oid2 + "\trefs/heads/x\n" +
		oid2 + "\trefs/pull/1/head\n" + oid1 + "\trefs/tags/v1\n" + oid2 + "\trefs/tags/v1^{}\n"))
	if err != nil {
		t.Fatal(err)
	}
	names := func(l *refs.Listing) (out []string) {
		for _, r := range l.Refs {
			out = append(out, r.Name)
		}
		return out
	}
	branches := func(r string) bool { return strings.HasPrefix(r, "refs/heads/") }
	run := l.Filter(branches)
	if got := names(run); !slices.Equal(got, []string{"refs/heads/main", "refs/heads/x"}) {
		t.Errorf("a run of refs: %q", got)
	}
	if len(run.Symrefs) != 0 || len(run.Peeled) != 0 {
		t.Errorf("HEAD's symref and v1's peeled value kept by a filter of branches: %+v", run)
	}
	branchesAndTags := func(r string) bool { return branches(r) || strings.HasPrefix(r, "refs/tags/") }
	gap := l.Filter(branchesAndTags)
	if got := names(gap); !slices.Equal(got, []string{"refs/heads/main", "refs/heads/x", "refs/tags/v1"}) {
		t.Errorf("refs with one left out between them: %q", got)
	}
	if gap.Peeled["refs/tags/v1"] != oid2 {
		t.Errorf("peeled value of v1 lost: %+v", gap.Peeled)
	}
	before := names(l)
	run.Refs = append(run.Refs, refs.Ref{Name: "refs/heads/new", OID: oid1})
	if got := names(l); !slices.Equal(got, before) {
		t.Errorf("appending to a filtered listing changed the listing: %q, was %q", got, before)
	}
	if all := l.Filter(func(string) bool { return true }); !slices.Equal(names(all), before) || all.Symrefs["HEAD"] != l.Symrefs["HEAD"] {
		t.Errorf("a filter keeping all: %+v", all)
	}
}

// Sorted gives what Values gives, in name order: the listing's own
// refs when git listed them so, else a sorted copy with a name listed
// twice once, at its last value, and no ref without a value.
func TestSortedIsValuesInOrder(t *testing.T) {
	a, b, c := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)
	for _, tc := range []struct {
		name   string
		listed []refs.Ref
		want   []refs.Ref
	}{
		{"in order", []refs.Ref{{"refs/heads/main", a}, {"refs/tags/v1", b}}, []refs.Ref{{"refs/heads/main", a}, {"refs/tags/v1", b}}},
		{"symref without a value", []refs.Ref{{"HEAD", ""}, {"refs/heads/main", a}}, []refs.Ref{{"refs/heads/main", a}}},
		{"out of order", []refs.Ref{{"refs/tags/v1", b}, {"refs/heads/main", a}}, []refs.Ref{{"refs/heads/main", a}, {"refs/tags/v1", b}}},
		{"listed twice", []refs.Ref{{"refs/heads/main", a}, {"refs/heads/x", b}, {"refs/heads/main", c}}, []refs.Ref{{"refs/heads/main", c}, {"refs/heads/x", b}}},
		{"none", nil, nil},
	} {
		l := &refs.Listing{Refs: tc.listed}
		got := l.Sorted()
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Sorted() = %v, want %v", tc.name, got, tc.want)
		}
		if !maps.Equal(l.Values(), (&refs.Listing{Refs: got}).Values()) {
			t.Errorf("%s: Sorted() and Values() disagree", tc.name)
		}
	}
	if (*refs.Listing)(nil).Sorted() != nil {
		t.Error("a nil Listing lists refs")
	}
	in := []refs.Ref{{"refs/heads/main", a}, {"refs/tags/v1", b}}
	if got := (&refs.Listing{Refs: in}).Sorted(); &got[0] != &in[0] {
		t.Error("a listing in git's order was copied")
	}
}
