package federation

import (
	"fmt"
	"sort"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// Suggest returns the candidates close enough to name to be a typo of it,
// nearest first: within an edit distance of a third of name's length (at
// least 1), the way git picks "did you mean" commands.
func Suggest(name string, candidates []string) []string {
	limit := max(1, len([]rune(name))/3)
	type scored struct {
		s string
		d int
	}
	var near []scored
	for _, c := range candidates {
		if d := editDistance(name, c); d <= limit && c != name {
			near = append(near, scored{c, d})
		}
	}
	sort.SliceStable(near, func(i, j int) bool { return near[i].d < near[j].d })
	out := make([]string, len(near))
	for i, n := range near {
		out[i] = n.s
	}
	return out
}

// DidYouMean is the tail of an "unknown name" message: the near misses
// if there are any, else nothing.
func DidYouMean(name string, candidates []string) string {
	near := Suggest(name, candidates)
	if len(near) == 0 {
		return ""
	}
	return "; did you mean " + quoteList(near, " or ") + "?"
}

// unknownName explains that name is no federation: a near miss is pointed
// at, and the defined federations are listed, so that a typo does not
// lead to defining a duplicate.
func (c *Config) unknownName(name string) error {
	names := c.DefinedNames()
	if near := Suggest(name, names); len(near) > 0 {
		return i18n.Errorf("%w %q; did you mean %s?", ErrNoFederation, name, quoteList(near, " or "))
	}
	if len(names) == 0 {
		return i18n.Errorf("%w %q: none is defined; define it with `git federate add %s --origin URL --mirror URL`", ErrNoFederation, name, name)
	}
	return i18n.Errorf("%w %q (defined: %s); define it with `git federate add %s --origin URL --mirror URL`",
		ErrNoFederation, name, strings.Join(names, ", "), name)
}

// DefinedNames lists the federations and federationsets, sorted: every
// name a command takes.
func (c *Config) DefinedNames() []string {
	names := c.Names()
	for n := range c.Sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func quoteList(items []string, last string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + last + q[len(q)-1]
}

// editDistance is the optimal-string-alignment distance between a and b,
// in runes: insertions, deletions, substitutions and swaps of two
// neighbours each cost 1, since "snyc" is as plain a typo as "synk".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
