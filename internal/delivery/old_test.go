package delivery

import (
	"errors"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/pending"
)

// The old value of a queued update is the mirror's listed value when
// the writer listed it (and then replaces a queued one), else the
// upstream's before the update, else the entry's own.
func TestOldValue(t *testing.T) {
	const main = "refs/heads/main"
	was := func(e pending.Entry, old string) pending.Entry { e.Old = old; return e }
	for _, tt := range []struct {
		name             string
		e                pending.Entry
		listed, upstream string // "none": not listed; "" the ref missing
		old              string
		replaces         bool
	}{
		{"the mirror listed", ff(main, a), b, c, b, true},
		{"the mirror listed without the ref", ff(main, a), "", c, pending.Absent, true},
		{"only the upstream listed", ff(main, a), "none", c, c, false},
		{"the upstream without the ref", ff(main, a), "none", "", pending.Absent, false},
		{"neither listed: the entry's own", was(ff(main, a), b), "none", "none", b, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			side := func(v string) []string {
				if v == "" {
					return nil
				}
				return []string{main, v}
			}
			l, u := listing(side(tt.listed)...), listing(side(tt.upstream)...)
			if tt.listed == "none" {
				l = nil
			}
			if tt.upstream == "none" {
				u = nil
			}
			if got := OldValue(tt.e, l, u); got.Old != tt.old || got.Listed != tt.replaces {
				t.Fatalf("OldValue = %+v, want old %q, listed %v", got, tt.old, tt.replaces)
			}
		})
	}
}

// What a mirror did not take is queued with its listed value as the old
// value when the pusher listed it, else with the outcome's (or the
// queued entry's) own.
func TestWritebackOldValue(t *testing.T) {
	const main, next = "refs/heads/main", "refs/heads/next"
	queued := force(next, b)
	queued.Old = a
	p := Plan{Mirror: mirror, Todo: []Todo{{Entry: queued}}}
	refused := Result{Plan: p, Refs: []Outcome{{Ref: main, OID: b, Old: a, Reason: "pre-receive hook declined"}}}
	w := Write(refused)
	if len(w.Queue) != 1 || w.Queue[0].Old != a || w.Queue[0].Listed {
		t.Fatalf("not listed: queued %+v, want the outcome's old value", w.Queue)
	}
	refused.Listed = listing(main, c)
	w = Write(refused)
	if len(w.Queue) != 1 || w.Queue[0].Old != c || !w.Queue[0].Listed {
		t.Fatalf("listed: queued %+v, want the listed old value", w.Queue)
	}
	failed := Result{Plan: p, Failed: errors.New("connection refused")}
	if w = Write(failed); len(w.Queue) != 1 || w.Queue[0].Old != a {
		t.Fatalf("failed, not listed: queued %+v, want the entry's old value", w.Queue)
	}
	failed.Listed = listing(main, c)
	if w = Write(failed); len(w.Queue) != 1 || w.Queue[0].Old != pending.Absent {
		t.Fatalf("failed, listed without the ref: queued %+v, want %q", w.Queue, pending.Absent)
	}
}
