package fit

import "math"

// PermutationQuantile returns the q-quantile (q in [0, 1]) of the permutation null of
// stat(x, y) (PermutationNull; non-finite draws are skipped; NaN when none is finite or on
// bad input): a threshold that stat exceeds with probability about 1 − q when x and y are
// unrelated, e.g. q = 0.95 for a one-sided 5% test of a correlation.
func PermutationQuantile(x, y []float64, stat func(x, y []float64) float64, draws int, q float64, seed uint64) float64 {
	if len(x) != len(y) || draws <= 0 || !(q >= 0 && q <= 1) {
		return math.NaN()
	}
	fin := finiteOf(PermutationNull(x, y, stat, draws, seed))
	if len(fin) == 0 {
		return math.NaN()
	}
	return Percentile(fin, 100*q)
}

// PermutationP returns the one-sided permutation p-value of stat(x, y) being as large as
// observed: (1 + #{null draws >= stat(x, y)}) / (1 + finite draws). NaN when stat(x, y) or
// every draw is not finite, or on bad input.
func PermutationP(x, y []float64, stat func(x, y []float64) float64, draws int, seed uint64) float64 {
	if len(x) != len(y) || draws <= 0 {
		return math.NaN()
	}
	obs := stat(x, y)
	if !isFinite(obs) {
		return math.NaN()
	}
	fin := finiteOf(PermutationNull(x, y, stat, draws, seed))
	if len(fin) == 0 {
		return math.NaN()
	}
	ge := 0
	for _, v := range fin {
		if v >= obs {
			ge++
		}
	}
	return float64(1+ge) / float64(1+len(fin))
}

func finiteOf(v []float64) []float64 {
	var out []float64
	for _, x := range v {
		if isFinite(x) {
			out = append(out, x)
		}
	}
	return out
}

// SpearmanStat is Spearman's ρ as a statistic for the permutation helpers (NaN on error).
func SpearmanStat(x, y []float64) float64 {
	r, _ := Spearman(x, y)
	return r
}
