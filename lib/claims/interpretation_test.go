package claims

import (
	"math"
	"testing"
)

func TestC8CumShare(t *testing.T) {
	got := c8CumShare([]float64{4, 3, -1, 2, 1})
	want := []float64{0.4, 0.7, 0.7, 0.9, 1}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("c8CumShare = %v, want %v (negative entries count as zero)", got, want)
		}
	}
	if s := c8CumShare([]float64{-1, 0}); !math.IsNaN(s[0]) {
		t.Errorf("all non-positive: %v, want NaN", s)
	}
}

func TestC8Ratio(t *testing.T) {
	x, y := c8Ratio([]float64{2, 1, -1, 0.5}, []float64{4, 0, 1, 1})
	if len(x) != 2 || x[0] != 2 || y[0] != 2 || x[1] != 0.5 || y[1] != 2 {
		t.Errorf("c8Ratio = %v %v", x, y)
	}
}

func TestC8Contrasts(t *testing.T) {
	// C ∝ H: every contrast is 1.
	lin := c4PowerLayer(100, 2, 1, 3)
	if r := c8Contrast(lin.H, lin.C, 10, 0); math.Abs(r-1) > 1e-9 {
		t.Errorf("linear: top-10 contrast %v, want 1", r)
	}
	if r := c8TenthContrast(lin.H, lin.C, 0, 0.1); math.Abs(r-1) > 1e-9 {
		t.Errorf("linear: tenth contrast %v, want 1", r)
	}
	// C ∝ H^1.5 over H from 1 down to 10^-3.96: the median of the sharpest tenth (i = 0..9,
	// median at i = 4.5) vs the flattest (i = 90..99, median at 94.5) differs by 90 steps of
	// 0.04 decades in H, so the contrast is 10^(0.5 * 3.6).
	sup := c4PowerLayer(100, 2, 1.5, 0)
	want := math.Pow(10, 0.5*3.6)
	if r := c8TenthContrast(sup.H, sup.C, 0, 0.1); math.Abs(r/want-1) > 1e-9 {
		t.Errorf("γ = 1.5: tenth contrast %v, want %v", r, want)
	}
	if r := c8Contrast(sup.H, sup.C, 10, 50); !(r > 1) {
		t.Errorf("γ = 1.5: top-10 contrast %v, want > 1", r)
	}
	// Window restriction: n = 20 uses directions 1..20 only.
	r20 := c8TenthContrast(sup.H, sup.C, 20, 0.1) // tenths of 20 points: 2 each
	if want := math.Pow(10, 0.5*0.04*18); math.Abs(r20/want-1) > 1e-9 {
		t.Errorf("n = 20: %v, want %v", r20, want)
	}
	if !math.IsNaN(c8Contrast(sup.H, sup.C, 200, 0)) {
		t.Error("empty flat group: want NaN")
	}
	if !math.IsNaN(c8TenthContrast([]float64{1}, []float64{1}, 0, 0.1)) {
		t.Error("one point: want NaN")
	}
}

// TestC8IdentityWithNullDirections: exact zeros and negative values of H (dead units,
// softmax+MSE) are dropped from both fits, so the identity still holds.
func TestC8IdentityWithNullDirections(t *testing.T) {
	var h, c []float64
	for i := 0; i < 200; i++ {
		v := math.Pow(10, -3*float64(i)/200)
		h, c = append(h, v), append(c, math.Pow(v, 1.2))
	}
	h[50], h[60], c[70] = 0, -1e-9, 0
	cs := C8Criteria("x", h, c, h, 150)
	if cs[0].Kind != Identity || !cs[0].Passes() {
		t.Errorf("identity: %+v", cs[0])
	}
}
