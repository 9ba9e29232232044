package fit

import "math"

// Median returns the median of v (NaN for an empty slice): Percentile(v, 50), the mean of
// the two middle values for an even length. v is not modified.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	return Percentile(v, 50)
}

// Mean returns the arithmetic mean of v (NaN for an empty slice).
func Mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	return mean(v)
}

// Dot returns Σ_i x_i y_i over the first len(x) entries (y must be at least as long).
func Dot(x, y []float64) float64 {
	var s float64
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// Spread returns max − min of the finite values of v (NaN when there are none).
func Spread(v []float64) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		if isFinite(x) {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	if lo > hi {
		return math.NaN()
	}
	return hi - lo
}

// Max returns the largest value of v: −Inf for an empty slice, NaN when any value is NaN
// (math.Max's rule).
func Max(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// Min returns the smallest value of v: +Inf for an empty slice, NaN when any value is NaN.
func Min(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

// ZBelow is (mean(null) − v) / sd(null): how many standard deviations of a null's draws v
// lies below their mean, over the finite draws (NaN with fewer than 3 draws).
func ZBelow(v float64, null []float64) float64 {
	if len(null) < 3 {
		return math.NaN()
	}
	s := Aggregate(null)
	return (s.Mean - v) / s.Std
}

// IsFinite reports whether a is neither NaN nor ±Inf.
func IsFinite(a float64) bool { return isFinite(a) }

// MedianRatio is the median over the first n points of num_i/den_i where den_i > 0 (NaN
// when no point qualifies).
func MedianRatio(num, den []float64, n int) float64 {
	n = min(n, len(num), len(den))
	var r []float64
	for i := 0; i < n; i++ {
		if den[i] > 0 {
			r = append(r, num[i]/den[i])
		}
	}
	return Median(r)
}
