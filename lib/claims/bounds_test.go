package claims

import (
	"math"
	"testing"
)

func TestC6BinnedMeansAndStiffRatio(t *testing.T) {
	x := []float64{5, 1, 4, 2, 3, 6}
	y := []float64{50, 10, 40, 20, 30, 60}
	mx, my := c6BinnedMeans(x, y, 3)
	wantX, wantY := []float64{1.5, 3.5, 5.5}, []float64{15, 35, 55}
	for i := range wantX {
		if math.Abs(mx[i]-wantX[i]) > 1e-12 || math.Abs(my[i]-wantY[i]) > 1e-12 {
			t.Fatalf("bins = %v %v, want %v %v", mx, my, wantX, wantY)
		}
	}
	// Top third by x = {6, 5}: mean y 55; rest mean 25.
	if r := c6StiffRatio(x, y, 1.0/3); math.Abs(r-55.0/25) > 1e-12 {
		t.Errorf("stiff ratio = %v, want %v", r, 55.0/25)
	}
	if m := c6TopMean(x, y, 1.0/3); m != 55 {
		t.Errorf("top mean = %v, want 55", m)
	}
	if r := c6StiffRatio(x, y, 0); !math.IsNaN(r) {
		t.Errorf("stiff ratio with an empty group = %v, want NaN", r)
	}
	if got := c6Thin(10, 4); len(got) != 4 || got[1] != 3 {
		t.Errorf("c6Thin(10, 4) = %v, want [0 3 6 9]", got)
	}
}
