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
