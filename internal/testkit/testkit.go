// Package testkit holds what the tests of several packages share: the project's seeded random
// stream, an absolute-tolerance comparison and random classification problems. It imports
// nothing from this module, so the tests of any package (in-package or _test) can use it.
package testkit

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
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

// RandomClassification returns n samples of dim standard-normal features (the rows of x) and
// labels drawn uniformly from 0..classes-1. Samples are drawn in order from rng, each as its
// dim features then its label, so a seed fixes the problem. n, dim and classes must be > 0.
func RandomClassification(rng *rand.Rand, n, dim, classes int) (x *mat.Dense, labels []int) {
	x = mat.NewDense(n, dim, nil)
	labels = make([]int, n)
	for i := range n {
		row := x.RawRowView(i)
		for j := range row {
			row[j] = rng.NormFloat64()
		}
		labels[i] = rng.IntN(classes)
	}
	return x, labels
}

// UniformClassification returns n samples of dim features uniform on [0, 1) (the rows of x)
// and labels drawn uniformly from 0..classes-1, the synthetic MNIST-like input of the
// benchmarks. All features are drawn first, row by row, then all labels. n, dim and classes
// must be > 0.
func UniformClassification(rng *rand.Rand, n, dim, classes int) (x *mat.Dense, labels []int) {
	x = mat.NewDense(n, dim, nil)
	for i := range n {
		row := x.RawRowView(i)
		for j := range row {
			row[j] = rng.Float64()
		}
	}
	labels = make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(classes)
	}
	return x, labels
}
