package transport

import (
	"strings"
	"testing"
)

// "option cas" is read once: the expected value, the zero name as "must
// not exist", a ref alone as a lease the transport completes, and an
// entry git's send-pack would not take refused with its words.
func TestParseLease(t *testing.T) {
	oid := strings.Repeat("ab", 20)
	tests := []struct {
		in      string
		want    Lease
		wantErr string
	}{
		{"refs/heads/main:" + oid, Lease{Ref: "refs/heads/main", Expect: oid, HasValue: true}, ""},
		{"refs/heads/new:" + strings.Repeat("0", 40), Lease{Ref: "refs/heads/new", HasValue: true}, ""},
		{"refs/heads/new:", Lease{Ref: "refs/heads/new", HasValue: true}, ""},
		{"refs/heads/main", Lease{Ref: "refs/heads/main"}, ""},
		{"refs/heads/main:nothex", Lease{}, "cannot parse expected object name 'nothex'"},
		{"refs/heads/main:" + oid[:39], Lease{}, "cannot parse expected object name"},
		{":" + oid, Lease{}, "no ref"},
	}
	for _, tt := range tests {
		got, err := ParseLease(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseLease(%q) = %+v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		tt.want.Text = tt.in
		if err != nil || got != tt.want {
			t.Errorf("ParseLease(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	ls := Leases{{Ref: "a", Expect: "1", HasValue: true}, {Ref: "a", Expect: "2", HasValue: true}}
	if l, ok := ls.For("a"); !ok || l.Expect != "2" || ls.WithoutValue() {
		t.Errorf("For(a) = %+v, %v; WithoutValue %v", l, ok, ls.WithoutValue())
	}
	if _, ok := ls.For("b"); ok {
		t.Error("a lease on a ref git did not lease")
	}
}
