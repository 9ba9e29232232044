package claims

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/nntest"
	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/awd"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/linalg"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// c1TinyProblem is a small random MLP problem (8-6-5-4, target fc2) with its weights scaled up
// so that the probabilities are far from uniform.
func c1TinyProblem(t testing.TB, act, loss string, n int, seed uint64) *curv.Problem {
	t.Helper()
	m := nntest.Model(t, nn.MLP(8, []int{6, 5}, 4, act), seed, 3)
	// Two classes, so that same-class partners exist.
	x, labels := testkit.RandomClassification(rand.New(rand.NewPCG(seed+1, 7)), n, 8, 2)
	return &curv.Problem{Model: m, Loss: nntest.Loss(t, loss), X: x, Labels: labels, Block: nn.Block{Layers: []string{"fc2"}}}
}

func TestC1FitScalingSynthetic(t *testing.T) {
	// |g|² = 1.5 ε², tr h = 1.8 ε exactly, plus far-from-converged samples outside the window.
	out := &FisherLoss{}
	for i := 0; i < 200; i++ {
		e := math.Pow(10, -8+7*float64(i)/199)
		out.Eps = append(out.Eps, e)
		out.G2 = append(out.G2, 1.5*e*e)
		out.TrH = append(out.TrH, 1.8*e)
		out.LogitG2 = append(out.LogitG2, 1.5*e*e)
		out.TrQ = append(out.TrQ, 1.8*e)
	}
	out.Eps = append(out.Eps, 0.5, 0) // outside the window / ε = 0 (masked)
	out.G2 = append(out.G2, 7, 0)
	out.TrH = append(out.TrH, 7, 0)
	out.LogitG2 = append(out.LogitG2, 7, 0)
	out.TrQ = append(out.TrQ, 7, 0)
	c1FitScaling(out)
	if out.EpsWindow != c1EpsMax {
		t.Fatalf("window %g, want %g", out.EpsWindow, c1EpsMax)
	}
	for _, f := range []struct {
		name string
		r    fit.Result
		want float64
	}{{"|g|² vs ε", out.FitG2Eps, 2}, {"tr h vs ε", out.FitTrEps, 1}, {"|g|² vs tr h", out.FitG2Tr, 2}} {
		if math.Abs(f.r.Slope-f.want) > 1e-9 {
			t.Errorf("%s: slope %g, want %g", f.name, f.r.Slope, f.want)
		}
	}
	if out.NearConv != 200 {
		t.Errorf("NearConv = %d, want 200", out.NearConv)
	}
	if math.Abs(out.G2EpsRange[0]-1.5) > 1e-9 || math.Abs(out.TrQEpsRange[1]-1.8) > 1e-9 {
		t.Errorf("ranges %v %v", out.G2EpsRange, out.TrQEpsRange)
	}
}

func TestC1EpsWindow(t *testing.T) {
	var near []float64
	for i := 0; i < c1MinNear; i++ {
		near = append(near, 0.01)
	}
	if w := c1EpsWindow(near); w != c1EpsMax {
		t.Errorf("window %g with %d near-converged samples, want %g", w, c1MinNear, c1EpsMax)
	}
	far := []float64{0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}
	if w := c1EpsWindow(far); w != 0.3 {
		t.Errorf("far window %g, want the lower quartile 0.3", w)
	}
}

func TestC1Helpers(t *testing.T) {
	if m := fit.Median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median %g", m)
	}
	if m := fit.Median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("median %g", m)
	}
	if !math.IsNaN(fit.Median(nil)) {
		t.Error("median of nothing should be NaN")
	}
	a := mat.NewSymDense(2, []float64{1, 2, 2, 3})
	b := mat.NewSymDense(2, []float64{1, 2, 2, 4})
	if r, want := linalg.RelFrobenius(a, b), 1/math.Sqrt(1+8+16); math.Abs(r-want) > 1e-15 {
		t.Errorf("relFrob %g, want %g", r, want)
	}
	// EF_ii = 2, (g·v_i)² = 0.5 → B C_ii = 1.5; the ratio is 0.25 in every direction.
	ef := []float64{2, 2, 2, -1}
	c := []float64{1.5 / 10, 1.5 / 10, 1.5 / 10, 0}
	if r := c1MeanGradDir(ef, c, 10, 0); math.Abs(r-0.25) > 1e-12 {
		t.Errorf("mean-gradient share %g, want 0.25", r)
	}
}

func TestC2DualExactness(t *testing.T) {
	p := c1TinyProblem(t, "relu", "ce", 40, 9)
	ex, err := awd.CheckExactness(p, awd.MatchOptions{Seed: 2}, 25)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Pairs == 0 || ex.MaxRelLogit > 1e-12 || ex.MaxRelLoss > 1e-10 {
		t.Errorf("duality: %+v, want exact to rounding", ex)
	}
	if ex.MeanRelDist <= 0 || ex.MeanRelStep <= 0 {
		t.Errorf("partners should differ: %+v", ex)
	}
}

func TestC2Proportionality(t *testing.T) {
	var eh2, c []float64
	for i := 0; i < 50; i++ {
		v := math.Pow(10, -float64(i)/10)
		eh2 = append(eh2, v)
		c = append(c, 0.003*v)
	}
	r, s2 := awd.IsotropicFit(eh2, c, 30, 50)
	if math.Abs(r.Slope-1) > 1e-12 || r.N != 30 {
		t.Errorf("fit %+v, want slope 1 over 30 points", r)
	}
	if math.Abs(s2-2*50*0.003) > 1e-12 {
		t.Errorf("σ² = %g, want %g", s2, 2*50*0.003)
	}
	if m := fit.MedianRatio(c, eh2, 10); math.Abs(m-0.003) > 1e-15 {
		t.Errorf("median ratio %g", m)
	}
	if r := c2Fit([]float64{1, 2}, []float64{1, 2}, 0); !math.IsNaN(r.Slope) {
		t.Errorf("a failed fit should give NaN, got %g", r.Slope)
	}
}
