package curv

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/nntest"
	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// netCase is a small random problem used by the oracle tests.
type netCase struct {
	name  string
	spec  nn.Spec
	loss  string
	block nn.Block
	n     int
}

func mlpSpec(in int, hidden []int, classes int, act string, bias bool) nn.Spec {
	s := nn.MLP(in, hidden, classes, act)
	if bias {
		for i := range s.Layers {
			if s.Layers[i].Kind == nn.KindDense {
				s.Layers[i].Bias = true
			}
		}
	}
	return s
}

// smallCNN: conv(2) relu maxpool conv(3) relu avgpool dense(5, target) relu dense(4).
func smallCNN() nn.Spec {
	return nn.Spec{In: nn.Shape{C: 1, H: 4, W: 4}, Layers: []nn.LayerSpec{
		{Kind: nn.KindConv2D, Out: 2, Bias: true}, {Kind: nn.KindReLU}, {Kind: nn.KindMaxPool},
		{Kind: nn.KindConv2D, Out: 3, Bias: true}, {Kind: nn.KindReLU}, {Kind: nn.KindAvgPool},
		{Kind: nn.KindDense, Out: 5}, {Kind: nn.KindReLU}, {Kind: nn.KindDense, Out: 4},
	}}
}

// makeProblem builds the model (seeded), scales its weights up a little so that the
// probabilities are not all uniform, and draws random inputs and labels.
func makeProblem(t testing.TB, c netCase, seed uint64) *Problem {
	t.Helper()
	m := nntest.Model(t, c.spec, seed, 2)
	x, labels := testkit.RandomClassification(rand.New(rand.NewPCG(seed+1, 7)), c.n, c.spec.In.Size(), m.Classes())
	return &Problem{Model: m, Loss: nntest.Loss(t, c.loss), X: x, Labels: labels, Block: c.block}
}

func block(bias bool, layers ...string) nn.Block { return nn.Block{Layers: layers, Bias: bias} }

// relErr returns |a - b|_F / max(|b|_F, tiny).
func relErr(a, b mat.Matrix) float64 {
	var d mat.Dense
	d.Sub(a, b)
	nb := mat.Norm(b, 2)
	if nb < 1e-300 {
		nb = 1e-300
	}
	return mat.Norm(&d, 2) / nb
}

func relErrVec(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num / math.Max(den, 1e-300))
}

// explicit oracles from per-sample gradients / Hessians formed one sample at a time.
func outerSum(G *mat.Dense) *mat.SymDense {
	n, d := G.Dims()
	s := mat.NewSymDense(d, nil)
	for p := 0; p < n; p++ {
		s.SymRankOne(s, 1/float64(n), mat.NewVecDense(d, G.RawRowView(p)))
	}
	return s
}
