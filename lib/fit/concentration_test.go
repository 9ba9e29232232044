package fit

import (
	"math"
	"testing"
)

// powerDiagonals returns h_i = 10^(-4i/n) and c_i = h_i^gamma for i < n, then neg directions
// with a negative h (dropped by every measure).
func powerDiagonals(n int, gamma float64, neg int) (h, c []float64) {
	for i := 0; i < n; i++ {
		v := math.Pow(10, -4*float64(i)/float64(n))
		h, c = append(h, v), append(c, 2*math.Pow(v, gamma))
	}
	for i := 0; i < neg; i++ {
		h, c = append(h, -1e-6), append(c, 1e-9)
	}
	return h, c
}

func TestCumShare(t *testing.T) {
	got := CumShare([]float64{4, 3, -1, 2, 1})
	want := []float64{0.4, 0.7, 0.7, 0.9, 1}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("CumShare = %v, want %v (negative entries count as zero)", got, want)
		}
	}
	if s := CumShare([]float64{-1, 0}); !math.IsNaN(s[0]) {
		t.Errorf("all non-positive: %v, want NaN", s)
	}
}

func TestPositiveRatio(t *testing.T) {
	x, y := PositiveRatio([]float64{2, 1, -1, 0.5}, []float64{4, 0, 1, 1})
	if len(x) != 2 || x[0] != 2 || y[0] != 2 || x[1] != 0.5 || y[1] != 2 {
		t.Errorf("PositiveRatio = %v %v", x, y)
	}
}

func TestContrasts(t *testing.T) {
	// c ∝ h: every contrast is 1.
	lh, lc := powerDiagonals(100, 1, 3)
	if r := PooledContrast(lh, lc, 10, 0); math.Abs(r-1) > 1e-9 {
		t.Errorf("linear: top-10 contrast %v, want 1", r)
	}
	if r := EndContrast(lh, lc, 0, 0.1); math.Abs(r-1) > 1e-9 {
		t.Errorf("linear: tenth contrast %v, want 1", r)
	}
	// c ∝ h^1.5 over h from 1 down to 10^-3.96: the median of the sharpest tenth (i = 0..9,
	// median at i = 4.5) vs the flattest (i = 90..99, median at 94.5) differs by 90 steps of
	// 0.04 decades in h, so the contrast is 10^(0.5 * 3.6).
	sh, sc := powerDiagonals(100, 1.5, 0)
	want := math.Pow(10, 0.5*3.6)
	if r := EndContrast(sh, sc, 0, 0.1); math.Abs(r/want-1) > 1e-9 {
		t.Errorf("γ = 1.5: tenth contrast %v, want %v", r, want)
	}
	// Pooled over the top 10 vs directions 11..50: Σ h^1.5 / Σ h over each group, exactly.
	var ct, ht, cr, hr float64
	for i := 0; i < 50; i++ {
		if i < 10 {
			ct, ht = ct+sc[i], ht+sh[i]
		} else {
			cr, hr = cr+sc[i], hr+sh[i]
		}
	}
	if r, want := PooledContrast(sh, sc, 10, 50), (ct/ht)/(cr/hr); !(r > 1) || math.Abs(r/want-1) > 1e-12 {
		t.Errorf("γ = 1.5: top-10 contrast %v, want %v > 1", r, want)
	}
	// Window restriction: n = 20 uses directions 1..20 only.
	r20 := EndContrast(sh, sc, 20, 0.1) // tenths of 20 points: 2 each
	if want := math.Pow(10, 0.5*0.04*18); math.Abs(r20/want-1) > 1e-9 {
		t.Errorf("n = 20: %v, want %v", r20, want)
	}
	if !math.IsNaN(PooledContrast(sh, sc, 200, 0)) {
		t.Error("empty flat group: want NaN")
	}
	if !math.IsNaN(EndContrast([]float64{1}, []float64{1}, 0, 0.1)) {
		t.Error("one point: want NaN")
	}
}
