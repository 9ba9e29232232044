// Package testkit holds what the tests of several packages share: the project's seeded random
// stream and an absolute-tolerance comparison. It imports nothing from this module, so the
// tests of any package (in-package or _test) can use it.
package testkit

import (
	"math"
	"math/rand/v2"
)

// pcgStream is XORed into the seed to form PCG's second seed word; it is ⌊2^64/φ⌋, the
// golden-ratio constant.
const pcgStream = 0x9E3779B97F4A7C15

// NewRand returns the project's deterministic stream for seed: math/rand/v2's PCG seeded
// (seed, seed^0x9E3779B97F4A7C15), the generator lib/nn, lib/data and lib/fit draw from.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^pcgStream))
}

// Near reports whether |a − b| <= tol; it is false when a or b is NaN.
func Near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
