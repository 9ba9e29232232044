package awd

import (
	"testing"

	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// BenchmarkAnalyzeMNISTShape runs the analysis on the paper's MNIST MLP shape (target fc2,
// D = 2500) with a random network and N = 2000 random inputs of 10 classes. Heavy: run with
// -benchtime=1x. The eigendecomposition of H (about a minute in pure Go) is not timed.
func BenchmarkAnalyzeMNISTShape(b *testing.B) {
	m, err := nn.Build(nn.MNISTMLP(), 1)
	if err != nil {
		b.Fatal(err)
	}
	x, labels := randData(testkit.NewRand(2), 2000, 784, 10)
	l, _ := nn.LossByName("ce")
	p := &curv.Problem{Model: m, Loss: l, X: x, Labels: labels, Block: nn.Block{Layers: []string{nn.MNISTMLPTarget}}}
	// The eigenbasis of H is lib/curv's job (curv.Analysis with KeepVectors); time only AWD.
	H, err := curv.Hessian(p)
	if err != nil {
		b.Fatal(err)
	}
	lambda, V, err := curv.Eigen(H)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := Analyze(p, Options{NoiseBatch: 50, Basis: V, Lambda: lambda})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.SigmaW2, "sigma_w2")
	}
}
