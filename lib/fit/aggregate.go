package fit

import (
	"fmt"
	"math"
)

// Summary is the mean and sample standard deviation of a quantity over seeds.
type Summary struct {
	Mean float64
	Std  float64 // sample standard deviation (divisor n−1); NaN when N < 2
	N    int     // number of finite values summarised
}

// String formats the summary as "mean ± std (n=N)".
func (s Summary) String() string {
	return fmt.Sprintf("%.4g ± %.2g (n=%d)", s.Mean, s.Std, s.N)
}

// Format writes the summary with the given number of decimals as "1.234 ± 0.012", "1.234"
// for a single value, and none when there is no value.
func (s Summary) Format(decimals int, none string) string {
	switch {
	case s.N == 0:
		return none
	case s.N == 1 || math.IsNaN(s.Std):
		return fmt.Sprintf("%.*f", decimals, s.Mean)
	}
	return fmt.Sprintf("%.*f ± %.*f", decimals, s.Mean, decimals, s.Std)
}

// Aggregate returns the mean and sample standard deviation of the finite values of v
// (NaN and ±Inf entries, e.g. from a failed seed, are skipped and not counted). An empty or
// all-non-finite v gives Mean = Std = NaN and N = 0.
func Aggregate(v []float64) Summary {
	var n int
	var m float64
	for _, a := range v {
		if isFinite(a) {
			n++
			m += a
		}
	}
	if n == 0 {
		return Summary{Mean: math.NaN(), Std: math.NaN()}
	}
	m /= float64(n)
	s := Summary{Mean: m, Std: math.NaN(), N: n}
	if n > 1 {
		var ss float64
		for _, a := range v {
			if isFinite(a) {
				ss += (a - m) * (a - m)
			}
		}
		s.Std = math.Sqrt(ss / float64(n-1))
	}
	return s
}

func isFinite(a float64) bool { return !math.IsNaN(a) && !math.IsInf(a, 0) }

// ResultSummary aggregates fits of the same kind over seeds.
type ResultSummary struct {
	Rule      Rule
	Slope     Summary
	Intercept Summary
	R2        Summary
	Spearman  Summary
	N         Summary // points used per fit
}

// AggregateResults summarises fits over seeds. All results must use the same rule; an empty
// slice or mixed rules is an error.
func AggregateResults(rs []Result) (ResultSummary, error) {
	if len(rs) == 0 {
		return ResultSummary{}, fmt.Errorf("fit: AggregateResults: no results")
	}
	out := ResultSummary{Rule: rs[0].Rule}
	var slope, icpt, r2, sp, n []float64
	for k, r := range rs {
		if r.Rule != out.Rule {
			return ResultSummary{}, fmt.Errorf("fit: AggregateResults: result %d uses rule %q, result 0 uses %q", k, r.Rule, out.Rule)
		}
		slope = append(slope, r.Slope)
		icpt = append(icpt, r.Intercept)
		r2 = append(r2, r.R2)
		sp = append(sp, r.Spearman)
		n = append(n, float64(r.N))
	}
	out.Slope, out.Intercept, out.R2, out.Spearman, out.N = Aggregate(slope), Aggregate(icpt), Aggregate(r2), Aggregate(sp), Aggregate(n)
	return out, nil
}
