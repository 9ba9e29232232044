package fit_test

import (
	"fmt"
	"math"

	"github.com/noisecurv/noisecurv/lib/fit"
)

// Fit C_ii ≈ c H_ii^γ over the top directions (rule V1), with a bootstrap interval.
func ExampleLogLog() {
	h := []float64{1e2, 3e1, 1e1, 3, 1, 0.3, 0.1, -1e-4} // sorted by H_ii descending; one negative
	c := make([]float64, len(h))
	for i, x := range h {
		c[i] = 0.01 * math.Pow(math.Abs(x), 1.5) * (1 + 0.02*math.Sin(float64(i)))
	}
	r, err := fit.LogLog(h, c, fit.Options{Rule: fit.RuleV1, TopN: 8, Bootstrap: 200, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("gamma=%.3f R2=%.4f spearman=%.0f n=%d dropped=%d\n", r.Slope, r.R2, r.Spearman, r.N, r.Dropped)
	fmt.Printf("95%% bootstrap CI of gamma: [%.3f, %.3f]\n", r.CI.Lo, r.CI.Hi)
	// Output:
	// gamma=1.504 R2=1.0000 spearman=1 n=7 dropped=1
	// 95% bootstrap CI of gamma: [1.501, 1.510]
}

func ExampleSpearman() {
	rho, _ := fit.Spearman([]float64{1, 2, 2, 3}, []float64{1, 3, 2, 4})
	fmt.Printf("%.6f\n", rho) // 3/sqrt(10): ties get average ranks
	// Output: 0.948683
}

// Claim C6: H_ii² <= [E h²]_ii <= κ_max H_ii.
func ExampleCheckBounds() {
	h := []float64{1, 2, 3}
	eh2 := []float64{1.5, 5, 8}
	r, _ := fit.CheckBounds(h, eh2, 3, 1e-12, 0)
	fmt.Println("lower violations:", r.Lower.Indices, "upper violations:", r.Upper.Count)
	fmt.Printf("kappa_eff: %.3g\n", r.KappaEff)
	// Output:
	// lower violations: [2] upper violations: 0
	// kappa_eff: [1.5 2.5 2.67]
}

// The suppression experiment on two samples with one mode each.
func ExampleSuppression() {
	// Sample 0 is stiff (κ=4) and aligned with direction 0; sample 1 is soft (κ=1) and spread.
	s, _ := fit.NewSpectra(2, 1, 3)
	copy(s.Kappa, []float64{4, 1})
	copy(s.Row(0, 0), []float64{0.8, 0.15, 0.05})
	copy(s.Row(1, 0), []float64{0.2, 0.3, 0.5})
	rows, err := fit.Suppression(s, fit.SuppressionOptions{Edits: []fit.Edit{fit.EditOriginal, fit.EditStiffCollapse}})
	if err != nil {
		panic(err)
	}
	for _, r := range rows {
		fmt.Printf("%-28s gamma=%.3f H=%.3f C=%.3f\n", r.Name, r.Fit.Slope, r.H, r.Eh2)
	}
	// Output:
	// original                     gamma=1.366 H=[1.700 0.450 0.350] C=[6.500 1.350 0.650]
	// cut@k=1+stiff-mean-collapse  gamma=1.000 H=[1.250 0.562 0.688] C=[3.125 1.406 1.719]
}
