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
