package fit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Rule names a window rule for LogLog.
type Rule string

const (
	// RuleV1 fits the first TopN points in the order given (sorted by H_ii descending by the
	// caller) where both values are positive (the paper's Table 1 rule).
	RuleV1 Rule = "v1"
	// RuleV2 is the paper's v2 layer-wise rule: sort by x descending, drop points below the
	// LowPercentile-th percentile of either log variable, fit the top KeepFrac of the rest.
	RuleV2 Rule = "v2"
)

// Options configures LogLog. The zero value is rule V1 over all points, no bootstrap.
type Options struct {
	Rule Rule // "" means RuleV1
	// TopN restricts the fit to the first TopN points in the order given (N' of the paper's
	// grid), before any other selection; <= 0 or > len(x) means all points.
	TopN int
	// LowPercentile (V2) is the percentile below which points are dropped; 0 means 5.
	LowPercentile float64
	// KeepFrac (V2) is the fraction of the remaining points (largest x first) that is fitted;
	// 0 means 0.8.
	KeepFrac float64
	// Bootstrap is the number B of percentile-bootstrap resamples of the slope; 0 disables.
	Bootstrap int
	// Level is the confidence level of the bootstrap interval; 0 means 0.95.
	Level float64
	// Seed seeds the bootstrap generator rand.NewPCG(Seed, Seed^0x9E3779B97F4A7C15).
	Seed uint64
}

// Interval is a bootstrap confidence interval of the slope.
type Interval struct {
	Lo, Hi     float64
	Level      float64
	B          int // resamples requested
	Degenerate int // resamples skipped because all their x values were equal
}

// Result is a fitted power law log10 y = Intercept + Slope log10 x.
type Result struct {
	Rule      Rule
	Slope     float64 // γ
	Intercept float64 // log10 of the prefactor c in y = c x^γ
	R2        float64 // r² of the log-log points
	SlopeSE   float64 // OLS standard error of the slope (NaN for n = 2)
	Spearman  float64 // Spearman ρ of the used points (NaN if x or y constant)
	N         int     // points used in the fit
	Window    int     // points considered (after TopN, before any dropping)
	Dropped   int     // points of the window dropped for x <= 0 or y <= 0
	Used      []int   // indices into the inputs of the used points, in fit order
	CI        *Interval
}

func (o Options) rule() Rule {
	if o.Rule == "" {
		return RuleV1
	}
	return o.Rule
}

// LogLogOrNaN is LogLog reporting a failed fit as a Result with NaN slope and R² (so that
// tables print "n/a" and criteria fail), with the error saying why.
func LogLogOrNaN(x, y []float64, opt Options) (Result, error) {
	r, err := LogLog(x, y, opt)
	if err != nil {
		return Result{Slope: math.NaN(), R2: math.NaN()}, err
	}
	return r, nil
}

// LogLog fits log10 y = b + γ log10 x by OLS over the points selected by opt.Rule (see the
// package documentation for the exact V1 and V2 definitions). It returns an error for a
// length mismatch, a NaN or infinite value anywhere in x or y, an unknown rule, bad V2
// parameters, fewer than 3 usable points, or a window where all used x are equal.
func LogLog(x, y []float64, opt Options) (Result, error) {
	if len(x) != len(y) {
		return Result{}, fmt.Errorf("fit: LogLog: length mismatch: x has %d values, y has %d", len(x), len(y))
	}
	if err := checkFinite("x", x); err != nil {
		return Result{}, fmt.Errorf("LogLog: %w", err)
	}
	if err := checkFinite("y", y); err != nil {
		return Result{}, fmt.Errorf("LogLog: %w", err)
	}
	n := len(x)
	if opt.TopN > 0 && opt.TopN < n {
		n = opt.TopN
	}
	res := Result{Rule: opt.rule(), Window: n}
	var used []int
	switch res.Rule {
	case RuleV1:
		for i := 0; i < n; i++ {
			if x[i] > 0 && y[i] > 0 {
				used = append(used, i)
			} else {
				res.Dropped++
			}
		}
	case RuleV2:
		var err error
		used, res.Dropped, err = selectV2(x[:n], y[:n], opt)
		if err != nil {
			return Result{}, err
		}
	default:
		return Result{}, fmt.Errorf("fit: LogLog: unknown Rule %q, expected %q or %q", opt.Rule, RuleV1, RuleV2)
	}
	if len(used) < 3 {
		return Result{}, fmt.Errorf("fit: LogLog rule %s: %w: %d usable points of %d (%d non-positive), need at least 3",
			res.Rule, ErrTooFew, len(used), n, res.Dropped)
	}
	lx := make([]float64, len(used))
	ly := make([]float64, len(used))
	for k, i := range used {
		lx[k] = math.Log10(x[i])
		ly[k] = math.Log10(y[i])
	}
	o, ok := ols(lx, ly)
	if !ok {
		return Result{}, fmt.Errorf("fit: LogLog rule %s: all %d used x values are equal, slope undefined", res.Rule, len(used))
	}
	res.Slope, res.Intercept, res.R2, res.SlopeSE = o.slope, o.intercept, o.r2, o.se
	res.Spearman = pearson(Ranks(lx), Ranks(ly)) // ranks of logs = ranks of values
	res.N = len(used)
	res.Used = used
	if opt.Bootstrap > 0 {
		ci, err := bootstrap(lx, ly, opt)
		if err != nil {
			return Result{}, err
		}
		res.CI = ci
	}
	return res, nil
}

// selectV2 implements rule V2 on the window x, y and returns the used indices in
// descending-x order and the number of non-positive points dropped.
func selectV2(x, y []float64, opt Options) ([]int, int, error) {
	lowP := opt.LowPercentile
	if lowP == 0 {
		lowP = 5
	}
	keep := opt.KeepFrac
	if keep == 0 {
		keep = 0.8
	}
	if !(lowP >= 0 && lowP <= 100) {
		return nil, 0, fmt.Errorf("fit: LogLog v2: LowPercentile=%v, expected a value in [0, 100]", lowP)
	}
	if !(keep > 0 && keep <= 1) {
		return nil, 0, fmt.Errorf("fit: LogLog v2: KeepFrac=%v, expected a value in (0, 1]", keep)
	}
	var pos []int
	dropped := 0
	for i := range x {
		if x[i] > 0 && y[i] > 0 {
			pos = append(pos, i)
		} else {
			dropped++
		}
	}
	if len(pos) == 0 {
		return nil, dropped, nil
	}
	lx := make([]float64, len(pos))
	ly := make([]float64, len(pos))
	for k, i := range pos {
		lx[k] = math.Log10(x[i])
		ly[k] = math.Log10(y[i])
	}
	px, py := Percentile(lx, lowP), Percentile(ly, lowP)
	var rest []int
	for k, i := range pos {
		if lx[k] >= px && ly[k] >= py {
			rest = append(rest, i)
		}
	}
	sort.SliceStable(rest, func(a, b int) bool { return x[rest[a]] > x[rest[b]] })
	m := int(math.Floor(keep * float64(len(rest))))
	return rest[:m], dropped, nil
}

type olsFit struct{ slope, intercept, r2, se float64 }

// ols fits ly = b + s lx by least squares with centred two-pass sums. ok is false when all
// lx are equal.
func ols(lx, ly []float64) (olsFit, bool) {
	mx, my := mean(lx), mean(ly)
	var sxx, sxy, syy float64
	for i := range lx {
		dx, dy := lx[i]-mx, ly[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	if sxx == 0 {
		return olsFit{}, false
	}
	s := sxy / sxx
	f := olsFit{slope: s, intercept: my - s*mx, se: math.NaN()}
	if syy > 0 {
		f.r2 = math.Min(1, sxy*sxy/(sxx*syy))
	}
	if n := len(lx); n > 2 {
		f.se = math.Sqrt(math.Max(0, (1-f.r2)*syy/sxx/float64(n-2)))
	}
	return f, true
}

// bootstrap returns the percentile-bootstrap interval of the OLS slope of ly on lx.
func bootstrap(lx, ly []float64, opt Options) (*Interval, error) {
	level := opt.Level
	if level == 0 {
		level = 0.95
	}
	if !(level > 0 && level < 1) {
		return nil, fmt.Errorf("fit: LogLog bootstrap: Level=%v, expected a value in (0, 1)", level)
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9E3779B97F4A7C15))
	n := len(lx)
	bx := make([]float64, n)
	by := make([]float64, n)
	slopes := make([]float64, 0, opt.Bootstrap)
	ci := &Interval{Level: level, B: opt.Bootstrap}
	for b := 0; b < opt.Bootstrap; b++ {
		for k := range bx {
			j := rng.IntN(n)
			bx[k], by[k] = lx[j], ly[j]
		}
		o, ok := ols(bx, by)
		if !ok {
			ci.Degenerate++
			continue
		}
		slopes = append(slopes, o.slope)
	}
	if len(slopes) == 0 {
		return nil, fmt.Errorf("fit: LogLog bootstrap: all %d resamples were degenerate (equal x)", opt.Bootstrap)
	}
	sort.Float64s(slopes)
	alpha := 1 - level
	ci.Lo = percentileSorted(slopes, 100*alpha/2)
	ci.Hi = percentileSorted(slopes, 100*(1-alpha/2))
	return ci, nil
}
