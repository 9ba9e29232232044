package testkit

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestNewRandIsTheProjectStream: NewRand(seed) draws the same numbers as the PCG the library
// code seeds inline, and different seeds give different streams.
func TestNewRandIsTheProjectStream(t *testing.T) {
	for _, seed := range []uint64{0, 1, 7, 1 << 40} {
		got, want := NewRand(seed), rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
		for i := range 100 {
			if g, w := got.Uint64(), want.Uint64(); g != w {
				t.Fatalf("seed %d draw %d: %#x, want %#x", seed, i, g, w)
			}
		}
	}
	if a, b := NewRand(1).Uint64(), NewRand(2).Uint64(); a == b {
		t.Errorf("seeds 1 and 2 start with the same draw %#x", a)
	}
}

func TestNear(t *testing.T) {
	for _, c := range []struct {
		a, b, tol float64
		want      bool
	}{
		{1, 1, 0, true},
		{1, 1.5, 0.5, true},
		{1.5, 1, 0.5, true},
		{1, 1.5, 0.49, false},
		{-1, 1, 1.99, false},
		{math.NaN(), 1, math.Inf(1), false},
		{1, math.NaN(), 1, false},
		{math.Inf(1), 0, 1e300, false},
	} {
		if got := Near(c.a, c.b, c.tol); got != c.want {
			t.Errorf("Near(%v, %v, %v) = %v, want %v", c.a, c.b, c.tol, got, c.want)
		}
	}
}

// TestRandomClassification: x is n×dim and the draw order is the one the tests were written
// with (a sample's features, then its label; sample after sample), so switching a test to it
// keeps that test's data bit for bit.
func TestRandomClassification(t *testing.T) {
	const n, dim, classes = 40, 6, 3
	x, labels := RandomClassification(NewRand(5), n, dim, classes)
	if r, c := x.Dims(); r != n || c != dim || len(labels) != n {
		t.Fatalf("x %dx%d, %d labels; want %dx%d, %d", r, c, len(labels), n, dim, n)
	}
	ref := NewRand(5)
	for i := range n {
		for j := range dim {
			if v := ref.NormFloat64(); x.At(i, j) != v {
				t.Fatalf("x[%d,%d] = %v, want %v", i, j, x.At(i, j), v)
			}
		}
		if l := ref.IntN(classes); labels[i] != l {
			t.Fatalf("label %d = %d, want %d", i, labels[i], l)
		}
	}
}

// TestUniformClassification: x is n×dim, all features are drawn (row by row) before the
// labels, as in the benchmarks it replaced.
func TestUniformClassification(t *testing.T) {
	const n, dim, classes = 30, 7, 10
	x, labels := UniformClassification(NewRand(1), n, dim, classes)
	if r, c := x.Dims(); r != n || c != dim || len(labels) != n {
		t.Fatalf("x %dx%d, %d labels; want %dx%d, %d", r, c, len(labels), n, dim, n)
	}
	ref := NewRand(1)
	for i := range n {
		for j := range dim {
			if v := ref.Float64(); x.At(i, j) != v {
				t.Fatalf("x[%d,%d] = %v, want %v", i, j, x.At(i, j), v)
			}
		}
	}
	for i := range n {
		if l := ref.IntN(classes); labels[i] != l {
			t.Fatalf("label %d = %d, want %d", i, labels[i], l)
		}
	}
}
