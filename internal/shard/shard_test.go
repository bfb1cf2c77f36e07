package shard

import (
	"errors"
	"fmt"
	"testing"
)

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("apache/repo-%04d", i)
	}
	return out
}

func TestEveryNameInExactlyOneShard(t *testing.T) {
	all := names(1000)
	for _, n := range []int{1, 2, 3, 4, 7, 16} {
		seen := map[string]int{}
		sizes := make([]int, n)
		for k := 0; k < n; k++ {
			for _, name := range Filter(Shard{K: k, N: n}, all, func(s string) string { return s }) {
				seen[name]++
				sizes[k]++
			}
		}
		for _, name := range all {
			if seen[name] != 1 {
				t.Fatalf("N=%d: %s taken %d times", n, name, seen[name])
			}
		}
		// Balance: no shard holds twice its fair share.
		for k, size := range sizes {
			if size > 2*len(all)/n+10 {
				t.Errorf("N=%d: shard %d holds %d of %d", n, k, size, len(all))
			}
		}
	}
}

func TestResizeMovesAboutOneNth(t *testing.T) {
	all := names(2000)
	for _, n := range []int{2, 4, 8} {
		moved := 0
		for _, name := range all {
			if Of(name, n) != Of(name, n+1) {
				moved++
			}
		}
		// Ideal is len/(n+1); index % N would move most names.
		ideal := len(all) / (n + 1)
		if moved > ideal*3/2 {
			t.Errorf("N %d→%d moved %d of %d names (ideal about %d)", n, n+1, moved, len(all), ideal)
		}
		if moved == 0 {
			t.Errorf("N %d→%d moved nothing: the new shard would be idle", n, n+1)
		}
	}
}

func TestParse(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvIndex {
				return v
			}
			return ""
		}
	}
	good := []struct {
		in, env string
		want    Shard
	}{
		{"0/4", "", Shard{0, 4}},
		{"3/4", "", Shard{3, 4}},
		{"/4", "2", Shard{2, 4}},
		{"1/4", "3", Shard{1, 4}}, // an explicit K wins
	}
	for _, c := range good {
		got, err := Parse(c.in, env(c.env))
		if err != nil || got != c.want {
			t.Errorf("Parse(%q, %s=%q) = %v, %v; want %v", c.in, EnvIndex, c.env, got, err, c.want)
		}
	}
	for _, in := range []string{"", "4", "4/4", "-1/4", "0/0", "a/b", "/4", "1/-2"} {
		if _, err := Parse(in, env("")); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", in, err)
		}
	}
	if _, err := Parse("/4", env("9")); !errors.Is(err, ErrSyntax) {
		t.Errorf("an index outside N must be refused, got %v", err)
	}
}
