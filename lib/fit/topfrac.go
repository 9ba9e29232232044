package fit

import (
	"math"
	"sort"
)

// byDescending returns the indices of x sorted by x descending (ties keep their order).
func byDescending(x []float64) []int {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] > x[idx[b]] })
	return idx
}

// TopMean is the mean of y over the round(frac·n) points with the largest x (at least one),
// e.g. the mean alignment of the stiffest tenth of the samples; NaN when x is empty.
func TopMean(x, y []float64, frac float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	top := min(n, max(1, int(math.Round(frac*float64(n)))))
	var s float64
	for _, i := range byDescending(x)[:top] {
		s += y[i]
	}
	return s / float64(top)
}

// TopRatio is the mean of y over the round(frac·n) points with the largest x divided by the
// mean of y over the rest; NaN when either group is empty or the rest has mean 0.
func TopRatio(x, y []float64, frac float64) float64 {
	n := len(x)
	top := int(math.Round(frac * float64(n)))
	if top <= 0 || top >= n {
		return math.NaN()
	}
	var st, so float64
	for j, i := range byDescending(x) {
		if j < top {
			st += y[i]
		} else {
			so += y[i]
		}
	}
	if so == 0 {
		return math.NaN()
	}
	return (st / float64(top)) / (so / float64(n-top))
}

// SpreadByRank returns the indices of n points evenly spaced in the order of x descending:
// the first has the largest x, the last the smallest (all points when n >= len(x)).
func SpreadByRank(x []float64, n int) []int {
	idx := byDescending(x)
	n = max(0, min(n, len(x)))
	if n <= 1 {
		return idx[:n]
	}
	out := make([]int, n)
	for j := range out {
		out[j] = idx[j*(len(x)-1)/(n-1)]
	}
	return out
}
