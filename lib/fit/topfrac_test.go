package fit

import (
	"math"
	"slices"
	"testing"
)

func TestTopMeanAndRatio(t *testing.T) {
	x := []float64{5, 1, 4, 2, 3, 6}
	y := []float64{50, 10, 40, 20, 30, 60}
	// Top third by x = {6, 5}: mean y 55; rest mean 25.
	if r := TopRatio(x, y, 1.0/3); math.Abs(r-55.0/25) > 1e-12 {
		t.Errorf("TopRatio = %v, want %v", r, 55.0/25)
	}
	if m := TopMean(x, y, 1.0/3); m != 55 {
		t.Errorf("TopMean = %v, want 55", m)
	}
	if m := TopMean(x, y, 0); m != 60 {
		t.Errorf("TopMean of no fraction = %v, want the single largest point's 60", m)
	}
	if r := TopRatio(x, y, 0); !math.IsNaN(r) {
		t.Errorf("TopRatio with an empty group = %v, want NaN", r)
	}
	if m := TopMean(nil, nil, 0.1); !math.IsNaN(m) {
		t.Errorf("TopMean of nothing = %v, want NaN", m)
	}
}

func TestSpreadByRank(t *testing.T) {
	x := []float64{0.1, 5, 3, 0.5, 9}
	if got, want := SpreadByRank(x, 3), []int{4, 2, 0}; !slices.Equal(got, want) { // largest, middle, smallest
		t.Errorf("SpreadByRank = %v, want %v", got, want)
	}
	if got := SpreadByRank(x, 1); !slices.Equal(got, []int{4}) {
		t.Errorf("one point: %v, want the largest [4]", got)
	}
	if got := SpreadByRank(x, 10); len(got) != 5 {
		t.Errorf("more points than x: %v", got)
	}
}
