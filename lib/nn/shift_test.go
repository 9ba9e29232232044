package nn

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestShiftPlanesMatchesPerPlane checks the whole-batch shifts against shiftCopy and
// shiftAdd applied plane by plane (the oracle): the same bits, for every 3×3 tap and for
// larger shifts, on square and non-square planes.
func TestShiftPlanesMatchesPerPlane(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3^0x9E3779B97F4A7C15))
	for _, sh := range [][3]int{{1, 1, 1}, {3, 7, 7}, {4, 5, 3}, {2, 2, 6}, {5, 14, 14}} {
		n, H, W := sh[0], sh[1], sh[2]
		hw := H * W
		for du := -min(2, H-1); du <= min(2, H-1); du++ {
			for dv := -min(2, W-1); dv <= min(2, W-1); dv++ {
				src := make([]float32, n*hw)
				for i := range src {
					src[i] = float32(r.NormFloat64())
				}
				want := make([]float32, n*hw)
				for s := 0; s < n; s++ {
					shiftCopy(want[s*hw:(s+1)*hw], src[s*hw:(s+1)*hw], H, W, du, dv)
				}
				got := make([]float32, n*hw)
				for i := range got {
					got[i] = 99 // every entry must be written
				}
				shiftPlanes(got, src, n, H, W, du, dv)
				if !slices.Equal(got, want) {
					t.Fatalf("shiftPlanes n=%d %dx%d shift (%d,%d): got %v, want %v", n, H, W, du, dv, got, want)
				}

				base := make([]float32, n*hw)
				for i := range base {
					base[i] = float32(r.NormFloat64())
				}
				wantAdd := slices.Clone(base)
				for s := 0; s < n; s++ {
					shiftAdd(wantAdd[s*hw:(s+1)*hw], src[s*hw:(s+1)*hw], H, W, du, dv)
				}
				gotAdd := slices.Clone(base)
				shiftAddPlanes(gotAdd, slices.Clone(src), n, H, W, du, dv)
				if !slices.Equal(gotAdd, wantAdd) {
					t.Fatalf("shiftAddPlanes n=%d %dx%d shift (%d,%d): got %v, want %v", n, H, W, du, dv, gotAdd, wantAdd)
				}
			}
		}
	}
}

// TestSum32 checks the eight-way float32 sum against a float64 sum, for lengths around the
// unrolling (float32 rounding: relative error below 1e-6 for these positive terms).
func TestSum32(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5^0x9E3779B97F4A7C15))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 1000, 1568} {
		x := make([]float32, n)
		var want float64
		for i := range x {
			x[i] = float32(r.Float64())
			want += float64(x[i])
		}
		got := float64(sum32(x))
		if d := got - want; d > 1e-6*want || -d > 1e-6*want {
			t.Errorf("n=%d: sum32 %v, float64 sum %v", n, got, want)
		}
	}
}
