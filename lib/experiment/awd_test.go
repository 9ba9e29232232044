package experiment

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/awd"
	"github.com/noisecurv/noisecurv/lib/curv"
)

func TestAWDAtFullBasisKeepsTraces(t *testing.T) {
	h, _, p := tinyFinal(t)
	c := h.Config
	lam, V, err := curv.EigenBasis(p, 0, c.Seed)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := AWDAt(p, c, 3, lam, V, awd.MatchOptions{Seed: c.Seed})
	if err != nil {
		t.Fatal(err)
	}
	C, err := curv.NoiseCov(p, c.Batch)
	if err != nil {
		t.Fatal(err)
	}
	// In a full orthonormal basis the diagonal keeps the trace.
	var sum float64
	for _, v := range ep.C {
		sum += v
	}
	if tr := mat.Trace(C); !ep.Full || ep.Epoch != 3 || len(ep.H) != len(lam) || math.Abs(sum-tr) > 1e-10*math.Abs(tr) {
		t.Errorf("full %v, epoch %d, %d of %d values; Σ C_ii %g, tr C %g", ep.Full, ep.Epoch, len(ep.H), len(lam), sum, tr)
	}
	if len(ep.Total) != len(lam) || len(ep.Eh2) != len(lam) || ep.N == 0 {
		t.Errorf("AWD diagonals %d, %d for D %d; N %d", len(ep.Total), len(ep.Eh2), len(lam), ep.N)
	}
}
