package fit

import (
	"errors"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/noisecurv/noisecurv/internal/testkit"
)

// plantedPowerLaw returns n points y = c x^gamma 10^(sigma ε), x log-uniform over 4 decades,
// sorted by x descending like H_ii.
func plantedPowerLaw(n int, c, gamma, sigma float64, seed uint64) (x, y []float64) {
	rng := testkit.NewRand(seed)
	x = make([]float64, n)
	y = make([]float64, n)
	for i := range x {
		lx := 4 * (1 - float64(i)/float64(n-1)) // descending from 1e4 to 1
		x[i] = math.Pow(10, lx-6)
		y[i] = c * math.Pow(x[i], gamma) * math.Pow(10, sigma*rng.NormFloat64())
	}
	return x, y
}

func TestLogLogPlanted(t *testing.T) {
	const gamma = 1.4
	x, y := plantedPowerLaw(500, 3, gamma, 0.05, 1)
	r, err := LogLog(x, y, Options{Bootstrap: 400, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	// The OLS standard error is about 0.05/(1.15 sqrt(500)) ≈ 0.002; allow 10 of them.
	if !testkit.Near(r.Slope, gamma, 0.02) {
		t.Errorf("slope = %v, want %v ± 0.02", r.Slope, gamma)
	}
	if !testkit.Near(r.SlopeSE, 0.05/(math.Sqrt(500)*4/math.Sqrt(12)), 0.001) {
		t.Errorf("SlopeSE = %v, want about 0.0019", r.SlopeSE)
	}
	if !testkit.Near(r.Intercept, math.Log10(3), 0.1) {
		t.Errorf("intercept = %v, want log10 3 = %v", r.Intercept, math.Log10(3))
	}
	if r.R2 < 0.99 || r.Spearman < 0.99 {
		t.Errorf("R2 = %v, Spearman = %v, want > 0.99", r.R2, r.Spearman)
	}
	if r.CI == nil || !(r.CI.Lo < gamma && gamma < r.CI.Hi) {
		t.Fatalf("bootstrap CI %+v does not cover %v", r.CI, gamma)
	}
	if w := r.CI.Hi - r.CI.Lo; w < 0.002 || w > 0.03 {
		t.Errorf("CI width %v, want about 4 standard errors (≈0.008)", w)
	}
	if r.N != 500 || r.Window != 500 || r.Dropped != 0 || len(r.Used) != 500 {
		t.Errorf("N=%d Window=%d Dropped=%d len(Used)=%d", r.N, r.Window, r.Dropped, len(r.Used))
	}
	// Same seed, same interval.
	r2, _ := LogLog(x, y, Options{Bootstrap: 400, Seed: 7})
	if *r2.CI != *r.CI {
		t.Errorf("bootstrap not deterministic: %+v vs %+v", r2.CI, r.CI)
	}
}

func TestLogLogExact(t *testing.T) {
	x := []float64{1000, 100, 10, 1, 0.1}
	y := make([]float64, len(x))
	for i := range x {
		y[i] = 0.5 * math.Pow(x[i], 1.7)
	}
	for _, rule := range []Rule{RuleV1, RuleV2} {
		r, err := LogLog(x, y, Options{Rule: rule})
		if err != nil {
			t.Fatal(rule, err)
		}
		if !testkit.Near(r.Slope, 1.7, 1e-12) || !testkit.Near(r.R2, 1, 1e-12) || !testkit.Near(r.Intercept, math.Log10(0.5), 1e-12) || r.Spearman != 1 {
			t.Errorf("%s: %+v, want slope 1.7, R2 1, Spearman 1", rule, r)
		}
	}
}

func TestLogLogV1Window(t *testing.T) {
	// Sorted by H descending; non-positive values inside the window are dropped and counted,
	// points beyond TopN are ignored even when positive.
	x := []float64{1e3, 1e2, -1, 1e1, 0, 1, 1e-1, 1e-2}
	y := []float64{1e6, 1e4, 5, 1e2, 1, -3, 1e-2, 99}
	r, err := LogLog(x, y, Options{TopN: 7})
	if err != nil {
		t.Fatal(err)
	}
	if r.Window != 7 || r.Dropped != 3 || r.N != 4 {
		t.Fatalf("Window=%d Dropped=%d N=%d, want 7, 3, 4", r.Window, r.Dropped, r.N)
	}
	if want := []int{0, 1, 3, 6}; !equalInts(r.Used, want) {
		t.Errorf("Used = %v, want %v", r.Used, want)
	}
	if !testkit.Near(r.Slope, 2, 1e-12) {
		t.Errorf("slope %v, want 2", r.Slope)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLogLogV2HandComputed(t *testing.T) {
	// log10 x = 1..10 (scrambled), log10 y = 2 log10 x except: lx=5 has ly=0 (below the 5th
	// percentile of ly) and lx=2,3 lie off the line (they must fall in the dropped 20%).
	// Plus one non-positive point.
	lx := []float64{3, 10, 1, 5, 8, 2, 9, 4, 7, 6}
	ly := []float64{7, 20, 2, 0, 16, 5, 18, 8, 14, 12}
	var x, y []float64
	for i := range lx {
		x = append(x, math.Pow(10, lx[i]))
		y = append(y, math.Pow(10, ly[i]))
	}
	x = append(x, 0)
	y = append(y, 1)
	// By hand: positive points n=10. P5(lx) = 1 + 0.45·(2−1) = 1.45 drops lx=1.
	// sorted ly = {0,2,5,7,8,12,14,16,18,20}: P5(ly) = 0 + 0.45·(2−0) = 0.9
	// drops ly=0 (lx=5). Remaining 8 points, sorted by x: 10,9,8,7,6,4,3,2; floor(0.8·8) = 6
	// kept: lx 10,9,8,7,6,4 -> exactly on ly = 2 lx.
	if p := Percentile(lx, 5); !testkit.Near(p, 1.45, 1e-15) {
		t.Fatalf("P5(lx) = %v, want 1.45", p)
	}
	if p := Percentile(ly, 5); !testkit.Near(p, 0.9, 1e-15) {
		t.Fatalf("P5(ly) = %v, want 0.9", p)
	}
	r, err := LogLog(x, y, Options{Rule: RuleV2})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 6, 4, 8, 9, 7}; !equalInts(r.Used, want) {
		t.Errorf("Used = %v, want %v", r.Used, want)
	}
	if r.Dropped != 1 || r.N != 6 || r.Window != 11 {
		t.Errorf("Dropped=%d N=%d Window=%d, want 1, 6, 11", r.Dropped, r.N, r.Window)
	}
	if !testkit.Near(r.Slope, 2, 1e-12) || !testkit.Near(r.Intercept, 0, 1e-10) || !testkit.Near(r.R2, 1, 1e-12) {
		t.Errorf("slope %v intercept %v R2 %v, want 2, 0, 1", r.Slope, r.Intercept, r.R2)
	}
}

func TestPercentile(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		q    float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, 5, 1.15},
		{[]float64{3, 1, 2}, 50, 2},
		{[]float64{0, 10}, 75, 7.5},
		{[]float64{5}, 30, 5},
		{[]float64{4, 1, 3, 2}, 100, 4},
		{[]float64{4, 1, 3, 2}, 0, 1},
		{[]float64{1, 2, 3, 4, 5}, 62.5, 3.5},
	} {
		if got := Percentile(c.v, c.q); !testkit.Near(got, c.want, 1e-14) {
			t.Errorf("Percentile(%v, %v) = %v, want %v", c.v, c.q, got, c.want)
		}
	}
}

func TestLogLogErrors(t *testing.T) {
	cases := []struct {
		name string
		x, y []float64
		opt  Options
		want string
	}{
		{"mismatch", []float64{1, 2, 3}, []float64{1, 2}, Options{}, "length mismatch"},
		{"nan", []float64{1, math.NaN(), 3}, []float64{1, 2, 3}, Options{}, "x[1] is NaN"},
		{"inf", []float64{1, 2, 3}, []float64{1, math.Inf(1), 3}, Options{}, "y[1] is +Inf"},
		{"too few", []float64{1, 2, -3}, []float64{1, 2, 3}, Options{}, "2 usable points"},
		{"constant x", []float64{2, 2, 2}, []float64{1, 2, 3}, Options{}, "all 3 used x values are equal"},
		{"rule", []float64{1, 2, 3}, []float64{1, 2, 3}, Options{Rule: "v3"}, "unknown Rule"},
		{"keep", []float64{1, 2, 3}, []float64{1, 2, 3}, Options{Rule: RuleV2, KeepFrac: 2}, "KeepFrac"},
		{"level", []float64{1, 2, 3}, []float64{1, 2, 3}, Options{Bootstrap: 5, Level: 1.5}, "Level"},
	}
	for _, c := range cases {
		_, err := LogLog(c.x, c.y, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	_, err := LogLog([]float64{1, 2}, []float64{1, 2}, Options{})
	if !errors.Is(err, ErrTooFew) {
		t.Errorf("error %v does not wrap ErrTooFew", err)
	}
}

func TestSpearmanPearson(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	mono := []float64{1, 8, 27, 64, 125}
	rev := []float64{9, 7, 5, 3, -1}
	if r, _ := Spearman(x, mono); r != 1 {
		t.Errorf("Spearman monotone = %v, want 1", r)
	}
	if r, _ := Spearman(x, rev); r != -1 {
		t.Errorf("Spearman reversed = %v, want -1", r)
	}
	// Ties, by hand: ranks x = [1, 2.5, 2.5, 4], ranks y = [1, 3, 2, 4];
	// Σdx dy = 4.5, Σdx² = 4.5, Σdy² = 5, ρ = 4.5/sqrt(22.5) = 3/sqrt(10).
	if r, _ := Spearman([]float64{1, 2, 2, 3}, []float64{1, 3, 2, 4}); !testkit.Near(r, 3/math.Sqrt(10), 1e-15) {
		t.Errorf("Spearman with ties = %v, want %v", r, 3/math.Sqrt(10))
	}
	if got := Ranks([]float64{10, 20, 20, 30, 20, 5}); !slices.Equal(got, []float64{2, 4, 4, 6, 4, 1}) {
		t.Errorf("Ranks = %v", got)
	}
	if r, _ := Pearson(x, []float64{3, 5, 7, 9, 11}); !testkit.Near(r, 1, 1e-15) {
		t.Errorf("Pearson linear = %v, want 1", r)
	}
	// By hand: x=[1,2,3], y=[1,3,2]: Σdxdy = 1, Σdx²=2, Σdy²=2 -> 0.5.
	if r, _ := Pearson([]float64{1, 2, 3}, []float64{1, 3, 2}); !testkit.Near(r, 0.5, 1e-15) {
		t.Errorf("Pearson = %v, want 0.5", r)
	}
	if r, err := Spearman(x, []float64{2, 2, 2, 2, 2}); err != nil || !math.IsNaN(r) {
		t.Errorf("Spearman of a constant = %v, %v; want NaN, nil", r, err)
	}
	if _, err := Spearman(x, x[:4]); err == nil {
		t.Error("Spearman length mismatch: no error")
	}
	if _, err := Pearson([]float64{1}, []float64{1}); !errors.Is(err, ErrTooFew) {
		t.Errorf("Pearson of one point: %v, want ErrTooFew", err)
	}
}

func TestAggregate(t *testing.T) {
	s := Aggregate([]float64{1, 2, 3, 4, math.NaN()})
	if s.N != 4 || s.Mean != 2.5 || !testkit.Near(s.Std, math.Sqrt(5.0/3), 1e-15) {
		t.Errorf("Aggregate = %+v, want mean 2.5, std sqrt(5/3), n 4", s)
	}
	if s := Aggregate([]float64{7}); s.N != 1 || s.Mean != 7 || !math.IsNaN(s.Std) {
		t.Errorf("Aggregate of one = %+v", s)
	}
	if s := Aggregate(nil); s.N != 0 || !math.IsNaN(s.Mean) {
		t.Errorf("Aggregate(nil) = %+v", s)
	}
	rs := []Result{{Rule: RuleV1, Slope: 1.2, R2: 0.9, N: 10}, {Rule: RuleV1, Slope: 1.4, R2: 0.8, N: 20}}
	sum, err := AggregateResults(rs)
	if err != nil {
		t.Fatal(err)
	}
	if !testkit.Near(sum.Slope.Mean, 1.3, 1e-15) || !testkit.Near(sum.Slope.Std, math.Sqrt(0.02), 1e-15) || sum.N.Mean != 15 || sum.Rule != RuleV1 {
		t.Errorf("AggregateResults = %+v", sum)
	}
	if _, err := AggregateResults(append(rs, Result{Rule: RuleV2})); err == nil {
		t.Error("mixed rules: no error")
	}
}

func TestCheckBounds(t *testing.T) {
	h := []float64{1, 2, 3, -0.1}
	eh2 := []float64{1, 5, 8, 0.02}
	r, err := CheckBounds(h, eh2, 3, 1e-12, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Lower H²<=Eh2: 1<=1 (equality), 4<=5, 9<=8 fails (rel 1/9), 0.01<=0.02.
	if r.Lower.Count != 1 || !equalInts(r.Lower.Indices, []int{2}) || r.Lower.ArgMax != 2 || !testkit.Near(r.Lower.Max, 1.0/9, 1e-15) {
		t.Errorf("Lower = %+v", r.Lower)
	}
	// Upper Eh2<=3H: 1<=3, 5<=6, 8<=9, 0.02<=-0.3 fails (negative H, MSE-like).
	if r.Upper.Count != 1 || !equalInts(r.Upper.Indices, []int{3}) || r.Upper.ArgMax != 3 {
		t.Errorf("Upper = %+v", r.Upper)
	}
	if !slices.Equal(r.KappaEff[:3], []float64{1, 2.5, 8.0 / 3}) {
		t.Errorf("KappaEff = %v", r.KappaEff)
	}
	// The tolerance absorbs a relative excess of 1/9.
	if r, _ := CheckBounds(h[:3], eh2[:3], 3, 0.2, 0); r.Lower.Count != 0 {
		t.Errorf("tol 0.2: Lower.Count = %d, want 0", r.Lower.Count)
	}
	if _, err := CheckBounds(h, eh2[:2], 3, 0, 0); err == nil {
		t.Error("length mismatch: no error")
	}
	if _, err := CheckBounds([]float64{math.NaN()}, []float64{1}, 3, 0, 0); err == nil {
		t.Error("NaN: no error")
	}
}

func TestPermutationNull(t *testing.T) {
	// y = x exactly: the real pairing gives ρ = 1, while shuffled pairings stay near 0
	// (sd 1/sqrt(n−1) ≈ 0.03 for n = 1000).
	x := make([]float64, 1000)
	for i := range x {
		x[i] = float64((i * 7919) % 1000)
	}
	rho := func(a, b []float64) float64 { r, _ := Spearman(a, b); return r }
	null := PermutationNull(x, x, rho, 200, 1)
	if len(null) != 200 || !sort.Float64sAreSorted(null) {
		t.Fatalf("null: %d values, sorted %v", len(null), sort.Float64sAreSorted(null))
	}
	if q := Percentile(null, 99); !(q > 0.03 && q < 0.15) {
		t.Errorf("99th percentile of the null ρ = %v, want about 2.3/sqrt(n) = 0.07", q)
	}
	if r := rho(x, x); r <= Percentile(null, 99) {
		t.Errorf("real pairing ρ %v is not above the null", r)
	}
	if again := PermutationNull(x, x, rho, 200, 1); !slices.Equal(again, null) {
		t.Error("the same seed gave another null")
	}
}

func TestCheckBoundsNullDirections(t *testing.T) {
	// Directions 0-2 are ordinary and satisfy both bounds; 3 and 4 are exact nulls computed
	// with rounding noise of either sign (both raw tests fail there); 5 breaks the upper
	// bound for real (as indefinite h_p can); 6 breaks the lower bound for real.
	kmax := 10.0
	h := []float64{2, 1, 0.1, 3e-21, -2e-21, 0.01, 0.5}
	eh2 := []float64{5, 2, 0.2, -1e-21, 4e-21, 0.5, 0.2}
	b, err := CheckBounds(h, eh2, kmax, 1e-9, 1e-10)
	if err != nil {
		t.Fatal(err)
	}
	if b.NullDirs != 2 || b.NullTol != 1e-10 {
		t.Errorf("NullDirs = %d, NullTol %g, want 2 and 1e-10", b.NullDirs, b.NullTol)
	}
	// Lower: raw failures at 3 (H² > negative Eh2) and 6; 3 is null.
	if b.Lower.Count != 2 || b.Lower.Null != 1 || b.Lower.Real != 1 || b.Lower.RealIdx[0] != 6 {
		t.Errorf("lower = %+v, want raw 2, null 1, real [6]", b.Lower)
	}
	// Upper: 3 holds (−1e-21 <= 3e-20), 4 fails (4e-21 > −2e-20, null) and 5 fails for real.
	if b.Upper.Count != 2 || b.Upper.Null != 1 || b.Upper.Real != 1 || b.Upper.RealIdx[0] != 5 {
		t.Errorf("upper = %+v, want raw 2, null 1, real [5]", b.Upper)
	}
	if want := (0.5 - 0.1) / 0.5; math.Abs(b.Upper.WorstReal-want) > 1e-12 {
		t.Errorf("upper worst excess = %v, want %v", b.Upper.WorstReal, want)
	}
	if math.Abs(b.Upper.RealMaxH-0.01/2) > 1e-15 || math.Abs(b.Upper.NullMaxH-1e-21) > 1e-30 {
		t.Errorf("upper RealMaxH = %v, NullMaxH = %v, want 0.005 and 1e-21", b.Upper.RealMaxH, b.Upper.NullMaxH)
	}
	if !math.IsNaN(b.KappaEff[3]) || !math.IsNaN(b.KappaEff[4]) || b.KappaEff[0] != 2.5 {
		t.Errorf("KappaEff = %v, want NaN at the nulls and 2.5 at 0", b.KappaEff)
	}
	// Without the null rule the same failures are all real.
	if r, _ := CheckBounds(h, eh2, kmax, 1e-9, 0); r.NullDirs != 0 || r.Lower.Real != 2 || r.Upper.Real != 2 || !math.IsNaN(r.Lower.WorstReal) && r.Lower.WorstReal <= 0 {
		t.Errorf("null = 0: %+v", r)
	}
	if _, err := CheckBounds(h, eh2, kmax, 1e-9, -1); err == nil {
		t.Error("negative null accepted")
	}
}

func TestLogLogOrNaN(t *testing.T) {
	x := []float64{1, 10, 100, 1000}
	r, err := LogLogOrNaN(x, []float64{2, 20, 200, 2000}, Options{})
	if err != nil || math.Abs(r.Slope-1) > 1e-12 || r.N != 4 {
		t.Errorf("exact line: %+v, %v", r, err)
	}
	r, err = LogLogOrNaN(x[:2], []float64{1, 2}, Options{}) // too few points
	if err == nil || !math.IsNaN(r.Slope) || !math.IsNaN(r.R2) {
		t.Errorf("failed fit: %+v, %v; want NaN slope and R² with the error", r, err)
	}
}
