package gittest

import (
	"cmp"
	"slices"
)

// Median is the middle of v once sorted (the upper one of the two
// middles of an even count), as a benchmark reports the runs of a noisy
// machine. v is left as it is; it must not be empty.
func Median[T cmp.Ordered](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
