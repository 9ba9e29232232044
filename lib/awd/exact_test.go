package awd

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/nn"
)

func TestCheckExactness(t *testing.T) {
	p := smallProblem(t, 60, "ce", 4)
	near, err := CheckExactness(p, MatchOptions{Seed: 2}, 40)
	if err != nil {
		t.Fatal(err)
	}
	if near.Pairs != 40 || near.MaxRelLogit > 1e-12 || near.MaxRelLoss > 1e-10 || near.MedianRelLogit > near.MaxRelLogit {
		t.Errorf("nearest partners: %+v, want 40 pairs exact to rounding", near)
	}
	// The duality holds for any partner; random same-class partners are farther apart.
	rnd, err := CheckExactness(p, MatchOptions{Seed: 2, Random: true}, 40)
	if err != nil {
		t.Fatal(err)
	}
	if rnd.MaxRelLogit > 1e-12 {
		t.Errorf("random partners: max rel. logit error %.2g", rnd.MaxRelLogit)
	}
	if !(rnd.MeanRelDist > near.MeanRelDist) || !(near.MeanRelDist > 0) {
		t.Errorf("mean |Δa|/|a|: random %.3g, nearest %.3g; want random farther", rnd.MeanRelDist, near.MeanRelDist)
	}
	bad := *p
	bad.Block = nn.Block{Layers: []string{"fc1", "fc2"}}
	if _, err := CheckExactness(&bad, MatchOptions{}, 5); err == nil {
		t.Error("a two-layer block was accepted")
	}
}

func TestMatchRandom(t *testing.T) {
	acts, labels := randData(testkit.NewRand(3), 200, 4, 3)
	m, err := Match(acts, labels, MatchOptions{Seed: 5, Random: true})
	if err != nil {
		t.Fatal(err)
	}
	near, _ := Match(acts, labels, MatchOptions{Seed: 5})
	var dr, dn float64
	differ := 0
	for p, q := range m.Partner {
		if q < 0 || q == p || labels[q] != labels[p] {
			t.Fatalf("sample %d: partner %d", p, q)
		}
		dr += m.Dist[p]
		dn += near.Dist[p]
		if q != near.Partner[p] {
			differ++
		}
	}
	if !(dr > 1.2*dn) || differ < 100 {
		t.Errorf("random partners: mean distance %.3g vs nearest %.3g, %d of 200 partners differ", dr/200, dn/200, differ)
	}
}

// TestFirstOrderConverges: with the partner's activity a' = a + t Δa, the first-order AWD
// vector h_p Δw_p + (∂Δw_p/∂W)ᵀ g_p approximates the exact gradient difference g(a') − g_p
// with an error O(t²): halving t divides the error by 4. The target is the first layer, so
// a partner input x + t Δx has exactly the activity a + t Δa; the exact gradient comes from
// nn's per-sample backpropagation, independent of lib/awd.
func TestFirstOrderConverges(t *testing.T) {
	base := smallProblem(t, 1, "ce", 11)
	base.Block = nn.Block{Layers: []string{"fc1"}}
	x := base.X.RawRowView(0)
	rng := testkit.NewRand(12)
	dx := make([]float64, len(x))
	for j := range dx {
		dx[j] = rng.NormFloat64()
	}
	var errs []float64
	for _, tt := range []float64{0.08, 0.04, 0.02, 0.01} {
		X := mat.NewDense(2, len(x), nil)
		copy(X.RawRowView(0), x)
		for j := range x {
			X.Set(1, j, x[j]+tt*dx[j])
		}
		y := base.Labels[0]
		p := &curv.Problem{Model: base.Model, Loss: base.Loss, X: X, Labels: []int{y, y}, Block: base.Block}
		m := &Matching{Partner: []int{1, -1}, Dist: []float64{0, math.NaN()}, Batches: [][]int{{0, 1}}, Anchors: [][]int{{1}}, Classes: []int{y}, N: 2, Unmatched: 1}
		v, err := PerSampleVectors(p, m, []int{0})
		if err != nil {
			t.Fatal(err)
		}
		G, err := base.Model.Clone().PerSampleGrads(X, []int{y, y}, base.Loss, base.Block)
		if err != nil {
			t.Fatal(err)
		}
		var num, den float64
		for i := 0; i < v.TermI.RawMatrix().Cols; i++ {
			exact := G.At(1, i) - G.At(0, i)
			approx := v.TermI.At(0, i) + v.TermII.At(0, i)
			num += (approx - exact) * (approx - exact)
			den += exact * exact
			if d := v.Exact.At(0, i) - exact; math.Abs(d) > 1e-12*math.Max(1, math.Abs(exact)) {
				t.Fatalf("t = %g: awd's exact difference differs from backpropagation at %d by %g", tt, i, d)
			}
		}
		if den == 0 {
			t.Fatalf("t = %g: zero gradient difference", tt)
		}
		errs = append(errs, math.Sqrt(num))
		t.Logf("t = %g: |first order − exact| = %.3g, |exact| = %.3g", tt, math.Sqrt(num), math.Sqrt(den))
	}
	for i := 1; i < len(errs); i++ {
		if r := errs[i-1] / errs[i]; r < 3.6 || r > 4.4 {
			t.Errorf("error ratio err(t)/err(t/2) = %.3f at step %d (errors %v), want ≈ 4 (second order)", r, i, errs)
		}
	}
}

func TestIsotropicFit(t *testing.T) {
	var eh2, c []float64
	for i := 0; i < 50; i++ {
		v := math.Pow(10, -float64(i)/10)
		eh2 = append(eh2, v)
		c = append(c, 0.003*v)
	}
	r, s2 := IsotropicFit(eh2, c, 30, 50)
	if math.Abs(r.Slope-1) > 1e-12 || r.N != 30 {
		t.Errorf("fit %+v, want slope 1 over 30 points", r)
	}
	if math.Abs(s2-2*50*0.003) > 1e-12 {
		t.Errorf("σ² = %g, want %g", s2, 2*50*0.003)
	}
	if r, s := IsotropicFit([]float64{1, 2}, []float64{-1, -2}, 0, 1); !math.IsNaN(r.Slope) || !math.IsNaN(s) {
		t.Errorf("no positive pair: slope %g, σ² %g, want NaN", r.Slope, s)
	}
}
