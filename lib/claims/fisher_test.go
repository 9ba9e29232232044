package claims

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/noisecurv/noisecurv/internal/nntest"
	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/awd"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/fit"
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
