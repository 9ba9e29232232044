package claims

import (
	"math"
	"testing"

	"github.com/noisecurv/noisecurv/lib/viz"
)

func TestC6StiffRatio(t *testing.T) {
	x := []float64{5, 1, 4, 2, 3, 6}
	y := []float64{50, 10, 40, 20, 30, 60}
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
	if got := viz.Thin(10, 4); len(got) != 4 || got[1] != 3 {
		t.Errorf("viz.Thin(10, 4) = %v, want [0 3 6 9]", got)
	}
}
