package awd

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/nntest"
	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// randData returns n samples of dimension d ~ N(0,1) and labels cycling through classes
// (shuffled).
func randData(rng *rand.Rand, n, d, classes int) (*mat.Dense, []int) {
	x := mat.NewDense(n, d, nil)
	raw := x.RawMatrix().Data
	for i := range raw {
		raw[i] = rng.NormFloat64()
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % classes
	}
	rng.Shuffle(n, func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	return x, labels
}

// smallProblem is a random 7-5-4-3 ReLU MLP (target fc2, Dout 4 x Din 5, D = 20) on n
// samples of 3 classes.
func smallProblem(t testing.TB, n int, loss string, seed uint64) *curv.Problem {
	t.Helper()
	// Larger weights give confident, curved outputs.
	m := nntest.Model(t, nn.MLP(7, []int{5, 4}, 3, "relu"), seed, 2.5)
	x, labels := randData(testkit.NewRand(seed+100), n, 7, 3)
	return &curv.Problem{Model: m, Loss: nntest.Loss(t, loss), X: x, Labels: labels, Block: nn.Block{Layers: []string{"fc2"}}}
}

// relFrob returns |a - b|_F / max(|b|_F, tiny).
func relFrob(a, b mat.Matrix) float64 {
	var d mat.Dense
	d.Sub(a, b)
	return mat.Norm(&d, 2) / math.Max(mat.Norm(b, 2), 1e-300)
}

func relVec(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num) / math.Max(math.Sqrt(den), 1e-300)
}

// perSampleHessians builds every dense h_p by exact Hessian-vector products (nn's
// forward-over-reverse R-op) against the basis vectors: an oracle independent of the
// Kronecker factorization.
func perSampleHessians(t testing.TB, p *curv.Problem) []*mat.Dense {
	t.Helper()
	d, err := p.Model.BlockSize(p.Block)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := p.X.Dims()
	hs := make([]*mat.Dense, n)
	for i := range hs {
		hs[i] = mat.NewDense(d, d, nil)
	}
	e := make([]float64, d)
	for k := 0; k < d; k++ {
		clear(e)
		e[k] = 1
		hv, err := p.Model.PerSampleHVP(p.X, p.Labels, p.Loss, p.Block, e)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			for r := 0; r < d; r++ {
				hs[i].Set(r, k, hv.At(i, r))
			}
		}
	}
	return hs
}
