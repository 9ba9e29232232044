package fit

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPermutationQuantile checks the permutation null of Spearman's ρ against its known
// large-sample law under independence, ρ ~ N(0, 1/(n−1)): the 0.95 quantile is
// 1.6449/sqrt(n−1) and the 0.5 quantile 0.
func TestPermutationQuantile(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 300
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i], y[i] = r.NormFloat64(), r.NormFloat64()
	}
	q95 := PermutationQuantile(x, y, SpearmanStat, 1500, 0.95, 3)
	want := 1.6448536 / math.Sqrt(float64(n-1))
	if math.Abs(q95-want) > 0.1*want {
		t.Errorf("0.95 quantile %.4f, want %.4f (normal approximation) within 10%%", q95, want)
	}
	if m := PermutationQuantile(x, y, SpearmanStat, 1500, 0.5, 3); math.Abs(m) > 0.01 {
		t.Errorf("median of the null %.4f, want ≈ 0", m)
	}
	// Deterministic in the seed, and the inputs are not modified.
	y0 := append([]float64(nil), y...)
	if q := PermutationQuantile(x, y, SpearmanStat, 1500, 0.95, 3); q != q95 {
		t.Errorf("not deterministic: %v vs %v", q, q95)
	}
	for i := range y {
		if y[i] != y0[i] {
			t.Fatal("y was modified")
		}
	}
	// A real association is far above the null; its p-value is the smallest possible.
	z := make([]float64, n)
	for i := range z {
		z[i] = x[i] + 0.3*r.NormFloat64()
	}
	if p := PermutationP(x, z, SpearmanStat, 199, 4); p != 1.0/200 {
		t.Errorf("p-value of a strong association %v, want 1/200", p)
	}
	if p := PermutationP(x, y, SpearmanStat, 299, 4); p < 0.05 {
		t.Errorf("p-value of independent data %v: implausibly small", p)
	}
	if !math.IsNaN(PermutationQuantile(x, y[:3], SpearmanStat, 10, 0.9, 1)) || !math.IsNaN(PermutationQuantile(x, y, SpearmanStat, 10, 1.5, 1)) {
		t.Error("bad input did not give NaN")
	}
	if !math.IsNaN(PermutationP(x, y, SpearmanStat, 0, 1)) {
		t.Error("draws = 0 accepted")
	}
}
