package experiment

import (
	"context"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/awd"
	"github.com/noisecurv/noisecurv/lib/curv"
)

func TestAWDSeries(t *testing.T) {
	h, _, p := tinyFinal(t)
	eps, random, err := h.AWDSeries(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	want, err := h.Epochs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != len(want) || random == nil {
		t.Fatalf("%d epochs for %v, random %v", len(eps), want, random != nil)
	}
	D, err := p.Dim()
	if err != nil {
		t.Fatal(err)
	}
	for i, ep := range eps {
		final := i == len(eps)-1
		if ep.Epoch != want[i] || ep.Full != final || (final && len(ep.H) != D) || (!final && len(ep.H) != 5) {
			t.Errorf("epoch %d (want %d): full %v, %d directions (D %d)", ep.Epoch, want[i], ep.Full, len(ep.H), D)
		}
	}
	// The control shares the final basis and C, but not the partners.
	last := eps[len(eps)-1]
	if random.Epoch != last.Epoch || !slices.Equal(random.C, last.C) || slices.Equal(random.Total, last.Total) {
		t.Errorf("random partners: epoch %d vs %d, same C %v, same total %v", random.Epoch, last.Epoch, slices.Equal(random.C, last.C), slices.Equal(random.Total, last.Total))
	}
}

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
