// Package shard splits a set of federations among N machines so that each
// takes a deterministic share: every name belongs to exactly one shard, and
// when N changes only about 1/N of the names move.
//
// It uses rendezvous (highest random weight) hashing: a name goes to the
// shard whose hash of (shard, name) is highest. Unlike index % N over a
// sorted list, adding a repository or a machine moves only what it must,
// so caches on the other machines stay warm through a resize.
package shard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// EnvIndex is the variable a Kubernetes Indexed Job sets to the pod's
// completion index; it fills K when --shard gives only "/N".
const EnvIndex = "JOB_COMPLETION_INDEX"

// ErrSyntax reports a --shard value that is not K/N.
var ErrSyntax = errors.New("want K/N with 0 <= K < N, for example 0/4 (K may be left out under a Kubernetes Indexed Job: /4)")

// Shard is this machine's share: index K of N shards.
type Shard struct {
	K, N int
}

// All is the whole set: one shard.
var All = Shard{K: 0, N: 1}

// Parse reads "K/N". An empty K ("/N") is taken from getenv(EnvIndex), so a
// Kubernetes Indexed Job can pass the same argument to every pod.
func Parse(s string, getenv func(string) string) (Shard, error) {
	ks, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("--shard %q: %w", s, ErrSyntax)
	}
	if ks == "" && getenv != nil {
		ks = getenv(EnvIndex)
		if ks == "" {
			return Shard{}, fmt.Errorf("--shard %q: no K given and %s is not set: %w", s, EnvIndex, ErrSyntax)
		}
	}
	k, kerr := strconv.Atoi(ks)
	n, nerr := strconv.Atoi(ns)
	if kerr != nil || nerr != nil || n < 1 || k < 0 || k >= n {
		return Shard{}, fmt.Errorf("--shard %q: %w", s, ErrSyntax)
	}
	return Shard{K: k, N: n}, nil
}

// String is the K/N form.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }

// Of returns the shard that owns name among n shards.
func Of(name string, n int) int {
	best, bestScore := 0, uint64(0)
	for k := 0; k < n; k++ {
		if score := weight(k, name); k == 0 || score > bestScore {
			best, bestScore = k, score
		}
	}
	return best
}

// Owns reports whether this shard takes name.
func (s Shard) Owns(name string) bool {
	if s.N <= 1 {
		return true
	}
	return Of(name, s.N) == s.K
}

// Filter keeps the items whose key this shard owns, in their order.
func Filter[T any](s Shard, items []T, key func(T) string) []T {
	if s.N <= 1 {
		return items
	}
	var kept []T
	for _, it := range items {
		if s.Owns(key(it)) {
			kept = append(kept, it)
		}
	}
	return kept
}

// weight is the rendezvous score of shard k for name: FNV-1a over the
// shard number and the name, finished with a 64-bit mixer so that
// neighbouring k give unrelated scores.
func weight(k int, name string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(k))
	h.Write(b[:])
	h.Write([]byte(name))
	return mix(h.Sum64())
}

// mix is SplitMix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
