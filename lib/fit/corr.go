package fit

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrTooFew is wrapped by errors reporting fewer usable points than a computation needs.
var ErrTooFew = errors.New("too few points")

// checkPair validates two equally long, finite inputs with at least min points.
func checkPair(x, y []float64, min int) error {
	if len(x) != len(y) {
		return fmt.Errorf("fit: length mismatch: x has %d values, y has %d", len(x), len(y))
	}
	if len(x) < min {
		return fmt.Errorf("fit: %w: got %d, need at least %d", ErrTooFew, len(x), min)
	}
	if err := checkFinite("x", x); err != nil {
		return err
	}
	return checkFinite("y", y)
}

// checkFinite reports the first NaN or ±Inf in v.
func checkFinite(name string, v []float64) error {
	for i, a := range v {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return fmt.Errorf("fit: %s[%d] is %v, expected a finite value", name, i, a)
		}
	}
	return nil
}

// Pearson returns the Pearson correlation coefficient of x and y,
// r = Σ(x−x̄)(y−ȳ) / sqrt(Σ(x−x̄)² Σ(y−ȳ)²), computed from centred sums (two passes) for
// accuracy. It returns NaN when either input is constant, and an error for a length
// mismatch, fewer than 2 points or non-finite values.
func Pearson(x, y []float64) (float64, error) {
	if err := checkPair(x, y, 2); err != nil {
		return math.NaN(), err
	}
	return pearson(x, y), nil
}

func pearson(x, y []float64) float64 {
	mx, my := mean(x), mean(y)
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	r := sxy / math.Sqrt(sxx*syy)
	// Rounding can push |r| a hair above 1.
	return math.Max(-1, math.Min(1, r))
}

func mean(v []float64) float64 {
	var s float64
	for _, a := range v {
		s += a
	}
	return s / float64(len(v))
}

// Ranks returns the 1-based ranks of v in ascending order, ties receiving the average of
// the ranks they span (the "average" method of scipy.stats.rankdata): ranks of
// [10, 20, 20, 30] are [1, 2.5, 2.5, 4].
func Ranks(v []float64) []float64 {
	n := len(v)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, n)
	for i := 0; i < n; {
		j := i + 1
		for j < n && v[idx[j]] == v[idx[i]] {
			j++
		}
		// Positions i..j-1 (0-based) share the mean rank ((i+1)+j)/2.
		avg := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			r[idx[k]] = avg
		}
		i = j
	}
	return r
}

// Spearman returns Spearman's rank correlation ρ of x and y: the Pearson correlation of
// their average ranks (see Ranks). It returns NaN when either input is constant, and an
// error for a length mismatch, fewer than 2 points or non-finite values.
func Spearman(x, y []float64) (float64, error) {
	if err := checkPair(x, y, 2); err != nil {
		return math.NaN(), err
	}
	return pearson(Ranks(x), Ranks(y)), nil
}

// Percentile returns the q-th percentile (q in [0, 100]) of v with numpy.percentile's
// default linear interpolation: with a = sorted(v), h = (n−1) q/100, j = floor(h),
// t = h − j, the result is a_j + t (a_{j+1} − a_j), evaluated as numpy's _lerp does
// (b − (b−a)(1−t) when t ≥ 0.5). v is not modified. It panics on an empty v or q outside
// [0, 100], which are programming errors.
func Percentile(v []float64, q float64) float64 {
	a := append([]float64(nil), v...)
	sort.Float64s(a)
	return percentileSorted(a, q)
}

func percentileSorted(a []float64, q float64) float64 {
	if len(a) == 0 {
		panic("fit: Percentile of an empty slice")
	}
	if !(q >= 0 && q <= 100) {
		panic(fmt.Sprintf("fit: Percentile q=%v outside [0, 100]", q))
	}
	h := float64(len(a)-1) * (q / 100)
	j := int(math.Floor(h))
	if j >= len(a)-1 {
		return a[len(a)-1]
	}
	t := h - float64(j)
	lo, hi := a[j], a[j+1]
	d := hi - lo
	if t >= 0.5 {
		return hi - d*(1-t)
	}
	return lo + d*t
}
