package viz

import (
	"fmt"
	"math"
	"sort"

	"github.com/noisecurv/noisecurv/lib/fit"
)

// Helpers that prepare measured series for the log-log panels: the fit line over the
// points a fit used, hiding numerically null directions, stacking several series a few
// decades apart so that they do not overlap, thinning and binning long series.

// NullFrac is the display floor of log-log panels of eigen-directions: directions with x
// below NullFrac·max(x) are numerically null (dead units, round-off at 1e-16·λ_max) and
// would stretch the axis over tens of decades. Visible hides them from plots; fits and
// tables keep them.
const NullFrac = 1e-9

// FitLine converts a fit of log10 y on log10 x into the line a log-log panel draws, over
// the x range of the points the fit used (f.Used indexes x).
func FitLine(f fit.Result, x []float64) *Fit {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, i := range f.Used {
		lo, hi = math.Min(lo, x[i]), math.Max(hi, x[i])
	}
	vf := &Fit{Slope: f.Slope, Intercept: f.Intercept, R2: f.R2, N: f.N}
	if lo < hi {
		vf.XMin, vf.XMax = lo, hi
	}
	return vf
}

// FitOver converts a fit of log10 y on log10 x into the line a log-log panel draws over
// [xMin, xMax] (zero ends: the series' x range); nil when the fit failed (NaN slope).
func FitOver(f fit.Result, xMin, xMax float64) *Fit {
	if math.IsNaN(f.Slope) {
		return nil
	}
	return &Fit{Slope: f.Slope, Intercept: f.Intercept, R2: f.R2, N: f.N, XMin: xMin, XMax: xMax}
}

// Visible returns the points (x_i, y_i) except those whose x is positive but below
// NullFrac·max(x), and the number hidden that way. Non-positive and infinite points are
// kept, so that a log-log panel's Mask counts them.
func Visible(x, y []float64) (vx, vy []float64, hidden int) {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, v)
	}
	floor := NullFrac * mx
	for i := range x {
		switch {
		case !(x[i] > 0) || !(y[i] > 0) || math.IsInf(x[i], 0) || math.IsInf(y[i], 0):
			vx, vy = append(vx, x[i]), append(vy, y[i])
		case x[i] < floor:
			hidden++
		default:
			vx, vy = append(vx, x[i]), append(vy, y[i])
		}
	}
	return vx, vy, hidden
}

// VisibleSeries is the series of the points Visible keeps, with the number hidden added to
// its name and Mask set (a log-log panel of eigen-directions).
func VisibleSeries(name string, x, y []float64) XYSeries {
	vx, vy, hidden := Visible(x, y)
	if hidden > 0 {
		name += fmt.Sprintf(" (%d near-null hidden)", hidden)
	}
	return XYSeries{Name: name, X: vx, Y: vy, Mask: true}
}

// Level is the height (log10 y) of a series at log10 x = lx: its fit line when it has one,
// else the median log10 of its positive finite y values (NaN when there is none).
func Level(f *Fit, y []float64, lx float64) float64 {
	if f != nil {
		return f.Intercept + f.Slope*lx
	}
	var ly []float64
	for _, v := range y {
		if v > 0 && !math.IsInf(v, 0) {
			ly = append(ly, math.Log10(v))
		}
	}
	if len(ly) == 0 {
		return math.NaN()
	}
	return fit.Percentile(ly, 50)
}

// StackOffsets returns vertical offsets in decades that stack series top to bottom: given
// each series' height (log10 y at a common x, NaN when unknown), series i is moved down so
// that it sits at least gap decades below series i−1 (after that one's offset), in
// half-decade steps; the first series and series of unknown height stay put.
func StackOffsets(levels []float64, gap float64) []float64 {
	off := make([]float64, len(levels))
	prev := math.NaN()
	for i, l := range levels {
		if math.IsNaN(l) {
			continue
		}
		if !math.IsNaN(prev) {
			if d := (prev - gap) - l; d < 0 {
				off[i] = math.Floor(d*2) / 2
			}
		}
		prev = l + off[i]
	}
	return off
}

// Stack sets the series' Offset for display: each series' height is taken (Level) at the
// mean log10 x of all positive points, and the series are stacked gap decades apart
// (StackOffsets). Series with no positive point leave the offsets unchanged.
func Stack(series []XYSeries, gap float64) {
	var sum float64
	var n int
	for _, s := range series {
		for i, x := range s.X {
			if x > 0 && s.Y[i] > 0 {
				sum += math.Log10(x)
				n++
			}
		}
	}
	if n == 0 {
		return
	}
	lx := sum / float64(n)
	levels := make([]float64, len(series))
	for i, s := range series {
		levels[i] = Level(s.Fit, s.Y, lx)
	}
	for i, o := range StackOffsets(levels, gap) {
		series[i].Offset = o
	}
}

// LegendRoom moves a chart's plot area down by top pixels, below a legend whose long
// entries would otherwise wrap over the data (nothing for a nil figure: see Figures.Add).
func LegendRoom(f *Figure, top int) {
	if f == nil {
		return
	}
	if g, ok := f.Option["grid"].(map[string]any); ok {
		g["top"] = top
	}
}

// Finite returns the points whose y is finite (and positive when logY).
func Finite(x, y []float64, logY bool) (fx, fy []float64) {
	for i := range x {
		if math.IsNaN(y[i]) || math.IsInf(y[i], 0) || (logY && y[i] <= 0) {
			continue
		}
		fx, fy = append(fx, x[i]), append(fy, y[i])
	}
	return fx, fy
}

// Thin returns the indices 0, k, 2k, ... below n, with k chosen so that at most maxN remain.
func Thin(n, maxN int) []int {
	step := max(1, (n+maxN-1)/max(maxN, 1))
	var out []int
	for i := 0; i < n; i += step {
		out = append(out, i)
	}
	return out
}

// Pick returns v at the indices idx.
func Pick(v []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for j, i := range idx {
		out[j] = v[i]
	}
	return out
}

// BinnedMeans sorts the points by x and cuts them into bins groups of (nearly) equal size
// (at most one group per point); it returns each group's median x and mean y.
func BinnedMeans(x, y []float64, bins int) (mx, my []float64) {
	n := len(x)
	if n == 0 || bins <= 0 {
		return nil, nil
	}
	bins = min(bins, n)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	for b := 0; b < bins; b++ {
		lo, hi := b*n/bins, (b+1)*n/bins
		var s float64
		xs := make([]float64, 0, hi-lo)
		for _, i := range idx[lo:hi] {
			s += y[i]
			xs = append(xs, x[i])
		}
		mx = append(mx, fit.Percentile(xs, 50))
		my = append(my, s/float64(hi-lo))
	}
	return mx, my
}

// LogBinnedRatio returns the median of y_i/x_i in bins equally wide in log10 x, over the
// pairs with x_i > floor and y_i > 0, at the bins' geometric centres; bins with fewer than
// 5 pairs are left out. It shows where along a spectrum a ratio such as the noise per unit
// curvature C_ii/H_ii rises, over all directions rather than a fit window.
func LogBinnedRatio(x, y []float64, bins int, floor float64) (centre, median []float64) {
	var lx, r []float64
	for i := range x {
		if x[i] > floor && y[i] > 0 && !math.IsInf(x[i], 0) && !math.IsInf(y[i], 0) {
			lx = append(lx, math.Log10(x[i]))
			r = append(r, y[i]/x[i])
		}
	}
	if len(lx) == 0 || bins <= 0 {
		return nil, nil
	}
	lo, hi := lx[0], lx[0]
	for _, v := range lx {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	w := (hi - lo) / float64(bins)
	for b := 0; b < bins; b++ {
		var in []float64
		for i, v := range lx {
			if (v >= lo+float64(b)*w && v < lo+float64(b+1)*w) || (b == bins-1 && v == hi) {
				in = append(in, r[i])
			}
		}
		if len(in) < 5 {
			continue
		}
		centre = append(centre, math.Pow(10, lo+(float64(b)+0.5)*w))
		median = append(median, fit.Percentile(in, 50))
	}
	return centre, median
}
