package curv

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestHVPDiagonals checks the matrix-free diagonals against the dense matrices of the same
// problem (independent routes: Kronecker factors or dense HVP passes) on every test network,
// joint blocks and smooth activations included.
func TestHVPDiagonals(t *testing.T) {
	for _, c := range aggCases() {
		p := makeProblem(t, c, 31)
		const B, seed = 5, 9
		H, err := Hessian(p)
		if err != nil {
			t.Fatal(err)
		}
		_, V, _ := Eigen(H)
		V = V.Slice(0, V.RawMatrix().Rows, 0, 6).(*mat.Dense)
		want := map[string]func() (*mat.SymDense, error){
			"H": func() (*mat.SymDense, error) { return Hessian(p) }, "Eh2": func() (*mat.SymDense, error) { return HessianSquare(p) },
			"C": func() (*mat.SymDense, error) { return NoiseCov(p, B) }, "Covar": func() (*mat.SymDense, error) { return MinibatchCov(p, B, seed) },
			"EF": func() (*mat.SymDense, error) { return EmpiricalFisher(p) },
		}
		dg, err := HVPDiagonals(p, V, B, seed)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]float64{"H": dg.H, "Eh2": dg.HessianSquare, "C": dg.NoiseCov, "Covar": dg.MinibatchCov, "EF": dg.EmpiricalFisher}
		for k, fn := range want {
			w, err := fn()
			if err != nil {
				t.Fatal(err)
			}
			if e := relErrVec(got[k], Diag(w, V)); !(e < 1e-11) {
				t.Errorf("%s %s: HVPDiagonals vs dense rel err %.3g", c.name, k, e)
			}
		}
		if dg.TrueFisher != nil || dg.GaussNewton != nil {
			t.Errorf("%s: HVPDiagonals filled F or the GGN", c.name)
		}
	}
	p := makeProblem(t, aggCases()[0], 1)
	if _, err := HVPDiagonals(p, mat.NewDense(3, 2, nil), 4, 0); err == nil {
		t.Error("directions of the wrong length accepted")
	}
	if _, err := HVPDiagonals(p, nil, 4, 0); err == nil {
		t.Error("no directions accepted")
	}
	if _, err := HVPDiagonals(p, mat.NewDense(20, 1, nil), 0, 0); err == nil {
		t.Error("batch 0 accepted")
	}
}

// TestAnalyzeTopKNoFisher: the top-k analysis of a joint block without F agrees with the
// dense analysis on the shared directions.
func TestAnalyzeTopKNoFisher(t *testing.T) {
	c := aggCases()[5] // joint block
	p := makeProblem(t, c, 3)
	full, err := Analyze(p, AnalysisOptions{Batch: 4, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	top, err := Analyze(p, AnalysisOptions{Batch: 4, Seed: 2, TopK: 3, NoFisher: true, Lanczos: LanczosOptions{Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if top.F != nil {
		t.Fatal("NoFisher computed F")
	}
	for i := 0; i < 3; i++ {
		for _, q := range []struct {
			name string
			a, b float64
		}{{"λ", top.Eigenvalues[i], full.Eigenvalues[i]}, {"C", top.C[i], full.C[i]}, {"Eh2", top.Eh2[i], full.Eh2[i]}, {"EF", top.EF[i], full.EF[i]}} {
			if math.Abs(q.a-q.b) > 1e-8*math.Abs(q.b) {
				t.Errorf("mode %d %s: top-k %g, dense %g", i, q.name, q.a, q.b)
			}
		}
	}
}

func TestBlockShare(t *testing.T) {
	v := mat.NewDense(3, 3, []float64{
		3, 0, 0,
		4, 1, 0,
		0, 0, 0,
	})
	got := BlockShare(v, 1)
	want := []float64{9.0 / 25, 0, 0}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Errorf("share %d = %v, want %v", i, got[i], want[i])
		}
	}
	if s := BlockShare(v, 2); s[0] != 1 || s[1] != 1 {
		t.Errorf("d0 = 2: %v", s)
	}
}
