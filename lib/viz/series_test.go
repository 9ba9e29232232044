package viz

import (
	"math"
	"slices"
	"testing"

	"github.com/noisecurv/noisecurv/lib/fit"
)

func TestFitLine(t *testing.T) {
	x := []float64{5, 4, 3, 2, 1}
	f := fit.Result{Slope: 1.3, Intercept: -2, R2: 0.9, N: 3, Used: []int{1, 2, 3}}
	vf := FitLine(f, x)
	if vf.XMin != 2 || vf.XMax != 4 || vf.N != 3 || vf.Slope != 1.3 || vf.Intercept != -2 {
		t.Errorf("fit line %+v, want slope 1.3 over [2, 4]", vf)
	}
	if vf := FitLine(fit.Result{Used: []int{0}}, x); vf.XMin != 0 || vf.XMax != 0 {
		t.Errorf("one point: range [%v, %v], want none (the whole axis)", vf.XMin, vf.XMax)
	}
}

func TestStackOffsets(t *testing.T) {
	nan := math.NaN()
	// Heights -3, -3, unknown, 1, -10.3: the second moves 2.5 decades below the first (to
	// -5.5), the unknown stays, the fourth goes 2.5 below -5.5 (1 → -8: offset -9), the fifth
	// needs 0.2 more to be 2.5 below -8, rounded down to half a decade.
	off := StackOffsets([]float64{-3, -3, nan, 1, -10.3}, 2.5)
	if want := []float64{0, -2.5, 0, -9, -0.5}; !slices.Equal(off, want) {
		t.Fatalf("offsets %v, want %v", off, want)
	}
	series := []XYSeries{
		{X: []float64{1, 10}, Y: []float64{1, 10}},
		{X: []float64{1, 10}, Y: []float64{1, 10}, Fit: &Fit{Slope: 1}},
	}
	Stack(series, 2)
	// Both lie at log10 y = 0.5 at the mean log10 x 0.5: the second moves 2 decades down.
	if series[0].Offset != 0 || series[1].Offset != -2 {
		t.Errorf("stack offsets %v %v, want 0 -2", series[0].Offset, series[1].Offset)
	}
}

func TestVisibleAndLevel(t *testing.T) {
	x := []float64{1, 0.1, 1e-12, -1e-6, 0.01}
	y := []float64{1, 0.1, 1e-20, 1e-9, -1}
	vx, vy, hidden := Visible(x, y)
	// 1e-12 is below 1e-9 · max: hidden; the non-positive points stay for the plot's mask.
	if hidden != 1 || len(vx) != 4 || vx[2] != -1e-6 || vy[3] != -1 {
		t.Errorf("Visible: %v %v hidden %d", vx, vy, hidden)
	}
	if s := VisibleSeries("a", x, y); s.Name != "a (1 near-null hidden)" || len(s.X) != 4 || !s.Mask {
		t.Errorf("VisibleSeries: %+v", s)
	}
	if s := VisibleSeries("b", x[:2], y[:2]); s.Name != "b" || len(s.Y) != 2 {
		t.Errorf("VisibleSeries with nothing hidden: %+v", s)
	}
	if l := Level(&Fit{Intercept: 1, Slope: 2}, nil, -1); l != -1 {
		t.Errorf("level from fit = %v, want -1", l)
	}
	if l := Level(nil, []float64{10, 1000, -5, 100}, 0); l != 2 {
		t.Errorf("level from median = %v, want 2", l)
	}
	if l := Level(nil, []float64{-1}, 0); !math.IsNaN(l) {
		t.Errorf("level without positive values = %v, want NaN", l)
	}
}

func TestFinite(t *testing.T) {
	x, y := Finite([]float64{1, 2, 3, 4}, []float64{0.5, math.NaN(), -1, math.Inf(1)}, true)
	if !slices.Equal(x, []float64{1}) || !slices.Equal(y, []float64{0.5}) {
		t.Errorf("log: got %v %v", x, y)
	}
	x, _ = Finite([]float64{1, 2, 3, 4}, []float64{0.5, math.NaN(), -1, math.Inf(1)}, false)
	if !slices.Equal(x, []float64{1, 3}) {
		t.Errorf("linear: got %v, want [1 3] (negative values are fine on a linear axis)", x)
	}
}

func TestThinPickBinnedMeans(t *testing.T) {
	if got := Thin(10, 4); !slices.Equal(got, []int{0, 3, 6, 9}) {
		t.Errorf("Thin(10, 4) = %v, want [0 3 6 9]", got)
	}
	if got := Pick([]float64{5, 6, 7}, []int{2, 0}); !slices.Equal(got, []float64{7, 5}) {
		t.Errorf("Pick = %v, want [7 5]", got)
	}
	x := []float64{5, 1, 4, 2, 3, 6}
	y := []float64{50, 10, 40, 20, 30, 60}
	mx, my := BinnedMeans(x, y, 3)
	if !slices.Equal(mx, []float64{1.5, 3.5, 5.5}) || !slices.Equal(my, []float64{15, 35, 55}) {
		t.Errorf("bins = %v %v, want [1.5 3.5 5.5] [15 35 55]", mx, my)
	}
	if mx, _ := BinnedMeans(x, y, 10); len(mx) != 6 {
		t.Errorf("more bins than points: %d bins, want 6", len(mx))
	}
}

func TestLogBinnedRatio(t *testing.T) {
	// x over 1..1e4 (10 points per decade), y = x²: the ratio is x, so each bin's median is
	// about its centre; the point at or below the floor is left out.
	var x, y []float64
	for i := 0; i <= 40; i++ {
		v := math.Pow(10, float64(i)/10)
		x, y = append(x, v), append(y, v*v)
	}
	x, y = append(x, 1e-3), append(y, 1e-6)
	c, m := LogBinnedRatio(x, y, 4, 1e-2)
	if len(c) != 4 {
		t.Fatalf("%d bins, want 4", len(c))
	}
	for i := range c {
		if r := math.Log10(m[i] / c[i]); math.Abs(r) > 0.06 {
			t.Errorf("bin %d: median %v at centre %v", i, m[i], c[i])
		}
	}
	if c, _ := LogBinnedRatio(x[:4], y[:4], 2, 0); len(c) != 0 {
		t.Errorf("bins of fewer than 5 points kept: %v", c)
	}
}

func TestFitOver(t *testing.T) {
	f := FitOver(fit.Result{Slope: 1.5, Intercept: -2, R2: 0.9, N: 30}, 1e-3, 1)
	if f == nil || f.Slope != 1.5 || f.Intercept != -2 || f.R2 != 0.9 || f.N != 30 || f.XMin != 1e-3 || f.XMax != 1 {
		t.Errorf("FitOver = %+v", f)
	}
	if f := FitOver(fit.Result{Slope: math.NaN()}, 0, 1); f != nil {
		t.Errorf("a failed fit drew %+v, want nil", f)
	}
}
