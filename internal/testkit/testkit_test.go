package testkit

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
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
	ref := NewRand(5)
	var wantX []float64
	var wantLabels []int
	for range n {
		for range dim {
			wantX = append(wantX, ref.NormFloat64())
		}
		wantLabels = append(wantLabels, ref.IntN(classes))
	}
	x, labels := RandomClassification(NewRand(5), n, dim, classes)
	sameProblem(t, x, labels, n, dim, wantX, wantLabels)
}

// TestUniformClassification: all features are drawn (row by row) before the labels, as in
// the benchmarks it replaced.
func TestUniformClassification(t *testing.T) {
	const n, dim, classes = 30, 7, 10
	ref := NewRand(1)
	wantX := make([]float64, n*dim)
	for i := range wantX {
		wantX[i] = ref.Float64()
	}
	wantLabels := make([]int, n)
	for i := range wantLabels {
		wantLabels[i] = ref.IntN(classes)
	}
	x, labels := UniformClassification(NewRand(1), n, dim, classes)
	sameProblem(t, x, labels, n, dim, wantX, wantLabels)
}

// sameProblem fails t unless x is n×dim with the row-major entries wantX and labels equals
// wantLabels.
func sameProblem(t *testing.T, x *mat.Dense, labels []int, n, dim int, wantX []float64, wantLabels []int) {
	t.Helper()
	if r, c := x.Dims(); r != n || c != dim {
		t.Fatalf("x is %dx%d, want %dx%d", r, c, n, dim)
	}
	for i := range n {
		for j := range dim {
			if got, want := x.At(i, j), wantX[i*dim+j]; got != want {
				t.Fatalf("x[%d,%d] = %v, want %v", i, j, got, want)
			}
		}
	}
	if !slices.Equal(labels, wantLabels) {
		t.Fatalf("labels %v, want %v", labels, wantLabels)
	}
}
