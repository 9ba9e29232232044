package curv

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestHugeBatchIsOneMinibatch guards the minibatch work space: a batch size far beyond N
// (here 2^40) once allocated batch x In floats and crashed. A batch of at least N is one
// minibatch holding every sample, so Covar = g g^T - g g^T = 0, exactly as for batch = N.
func TestHugeBatchIsOneMinibatch(t *testing.T) {
	p := makeProblem(t, netCase{spec: mlpSpec(5, []int{4}, 3, "relu", false), loss: "ce", block: block(false, "fc2"), n: 12}, 3)
	huge, err := MinibatchCov(p, 1<<40, 1)
	if err != nil {
		t.Fatal(err)
	}
	atN, err := MinibatchCov(p, 12, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.EqualApprox(huge, atN, 0) {
		t.Errorf("batch 2^40 and batch N = 12 differ:\n%v\n%v", mat.Formatted(huge), mat.Formatted(atN))
	}
	if mat.Norm(atN, 1) > 1e-12 {
		t.Errorf("one minibatch of all N samples: |Covar|_1 = %g, want 0 to rounding", mat.Norm(atN, 1))
	}
	a, err := Analyze(p, AnalysisOptions{Batch: 1 << 40, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.C) != a.D {
		t.Errorf("Analyze with batch 2^40: %d C diagonals for D = %d", len(a.C), a.D)
	}
}
