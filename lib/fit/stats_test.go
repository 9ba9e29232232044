package fit

import (
	"math"
	"testing"
)

func TestSmallStats(t *testing.T) {
	if m := Median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("Median odd = %v", m)
	}
	if m := Median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("Median even = %v", m)
	}
	if !math.IsNaN(Median(nil)) || !math.IsNaN(Mean(nil)) {
		t.Error("empty Median/Mean not NaN")
	}
	if m := Mean([]float64{1, 2, 6}); m != 3 {
		t.Errorf("Mean = %v", m)
	}
	if d := Dot([]float64{1, 2, 3}, []float64{4, 5, 6}); d != 32 {
		t.Errorf("Dot = %v", d)
	}
	if s := Spread([]float64{math.NaN(), 1, 1.5, math.Inf(1)}); s != 0.5 {
		t.Errorf("Spread = %v", s)
	}
	if !math.IsNaN(Spread([]float64{math.NaN()})) {
		t.Error("Spread of no finite value not NaN")
	}
	if r := MedianRatio([]float64{2, 6, 100, 1}, []float64{1, 2, 0, 1}, 3); r != 2.5 {
		t.Errorf("MedianRatio = %v, want median of 2 and 3", r)
	}
}

func TestMinMaxZBelow(t *testing.T) {
	if Max([]float64{1, 3, 2}) != 3 || Min([]float64{1, 3, 2}) != 1 {
		t.Error("Max/Min of {1, 3, 2}")
	}
	if !math.IsInf(Max(nil), -1) || !math.IsInf(Min(nil), 1) {
		t.Error("empty: want −Inf and +Inf")
	}
	if !math.IsNaN(Max([]float64{1, math.NaN()})) || !math.IsNaN(Min([]float64{math.NaN(), 1})) {
		t.Error("a NaN value: want NaN")
	}
	// Draws 1, 2, 3: mean 2, sd 1; v = −1 lies 3 sd below.
	if z := ZBelow(-1, []float64{1, 2, 3}); math.Abs(z-3) > 1e-12 {
		t.Errorf("ZBelow = %g, want 3", z)
	}
	if z := ZBelow(2.5, []float64{1, 2, 3}); math.Abs(z+0.5) > 1e-12 {
		t.Errorf("ZBelow above the mean = %g, want −0.5", z)
	}
	if !math.IsNaN(ZBelow(0, []float64{1, 2})) {
		t.Error("two draws: want NaN")
	}
}

func TestSummaryFormat(t *testing.T) {
	for _, tc := range []struct {
		s    Summary
		want string
	}{
		{Aggregate([]float64{1.2, 1.4}), "1.300 ± 0.141"},
		{Aggregate([]float64{1.2}), "1.200"},
		{Aggregate(nil), "–"},
	} {
		if got := tc.s.Format(3, "–"); got != tc.want {
			t.Errorf("Format(%+v) = %q, want %q", tc.s, got, tc.want)
		}
	}
	if got := Aggregate([]float64{2, 4}).Format(1, "n/a"); got != "3.0 ± 1.4" {
		t.Errorf("one decimal: %q", got)
	}
}
