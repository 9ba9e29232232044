package curv

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/nntest"
	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// TestFitSpectraMatchesDense builds a tiny ReLU network on random data and checks that the
// fit.Spectra assembled from curv's per-sample spectra reproduces v_iᵀ H v_i and
// v_iᵀ E[h²] v_i of the dense matrices in every eigen-direction of H.
func TestFitSpectraMatchesDense(t *testing.T) {
	m := nntest.Model(t, nn.MLP(6, []int{5, 4}, 3, "relu"), 3, 1)
	x, labels := testkit.RandomClassification(testkit.NewRand(7), 40, 6, 3)
	for _, lossName := range []string{"ce", "mse"} {
		p := &Problem{Model: m, Loss: nntest.Loss(t, lossName), X: x, Labels: labels, Block: nn.Block{Layers: []string{"fc2"}}}
		f, err := p.Factors()
		if err != nil {
			t.Fatal(err)
		}
		sp, err := f.Spectra(0)
		if err != nil {
			t.Fatal(err)
		}
		H, H2, err := HessianAndSquare(p)
		if err != nil {
			t.Fatal(err)
		}
		vals, vecs, err := Eigen(H)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := sp.FitSpectra(nil, vecs)
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.Validate(); err != nil {
			t.Fatalf("%s: %v", lossName, err)
		}
		h, e, err := fs.Diagonals(nil)
		if err != nil {
			t.Fatal(err)
		}
		e2 := Diag(H2, vecs)
		scaleH, scaleE := math.Abs(vals[0]), 0.0
		for _, v := range e2 {
			scaleE = math.Max(scaleE, math.Abs(v))
		}
		for i := range h {
			if math.Abs(h[i]-vals[i]) > 1e-10*scaleH || math.Abs(e[i]-e2[i]) > 1e-10*scaleE {
				t.Fatalf("%s direction %d: spectra give H %g, E h² %g; dense %g, %g", lossName, i, h[i], e[i], vals[i], e2[i])
			}
		}
	}
}

func TestFlatKappaPadding(t *testing.T) {
	s := &Spectra{N: 3, K: 3, Rank: []int{2, 2, 0}, Kappa: mat.NewDense(3, 3, []float64{
		3, 1, 0, // rank 2, positive: pad 0
		2, -1, 0, // rank 2 with a negative mode: pad must not exceed −1
		0, 0, 0, // rank 0
	})}
	got := s.FlatKappa()
	want := []float64{3, 1, 0, 2, -1, -1, 0, 0, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("FlatKappa = %v, want %v", got, want)
		}
	}
	if _, err := s.FitSpectra(make([]float64, 2), nil); err == nil {
		t.Error("kappa of the wrong length accepted")
	}
}
