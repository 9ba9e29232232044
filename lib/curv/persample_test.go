package curv

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/nn"
)

func TestPerSampleAgainstExplicit(t *testing.T) {
	for _, loss := range []string{"ce", "mse"} {
		p := makeProblem(t, netCase{spec: mlpSpec(8, []int{6, 5}, 4, "relu", false), loss: loss, block: block(false, "fc2"), n: 12}, 3)
		f, err := p.Factors()
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.PerSample(p.Labels)
		if err != nil {
			t.Fatal(err)
		}
		G, err := p.Model.Clone().PerSampleGrads(p.X, p.Labels, p.Loss, p.Block)
		if err != nil {
			t.Fatal(err)
		}
		idx := make([]int, p.N())
		for i := range idx {
			idx[i] = i
		}
		hs, err := PerSampleHessians(p, idx)
		if err != nil {
			t.Fatal(err)
		}
		logits := p.Model.Clone().Forward(p.X)
		for i := 0; i < p.N(); i++ {
			g := G.RawRowView(i)
			if want := dot(g, g); math.Abs(d.G2[i]-want) > 1e-10*math.Max(want, 1e-300)+1e-300 {
				t.Errorf("%s sample %d: |g|² = %g, explicit %g", loss, i, d.G2[i], want)
			}
			if want := mat.Trace(hs[i]); math.Abs(d.TrH[i]-want) > 1e-9*math.Max(math.Abs(want), 1e-12) {
				t.Errorf("%s sample %d: tr h = %g, explicit %g", loss, i, d.TrH[i], want)
			}
			pr := nn.Softmax(nil, logits.RawRowView(i))
			if want := 1 - pr[p.Labels[i]]; math.Abs(d.Eps[i]-want) > 1e-12 {
				t.Errorf("%s sample %d: ε = %g, 1 − p_y = %g", loss, i, d.Eps[i], want)
			}
			if r := d.QMinRatio[i]; loss == "ce" && math.Abs(r) > 1e-9 {
				t.Errorf("sample %d: λ_min/λ_max of the CE logit Hessian = %g, want 0 (PSD with null direction 1)", i, r)
			}
			if loss == "ce" {
				// The logit-level identities of the derivation: |G|²/ε² ∈ [1, 2], tr Q/ε ∈ [1 − ε, 2].
				e := d.Eps[i]
				if r := d.LogitG2[i] / (e * e); r < 1-1e-9 || r > 2+1e-9 {
					t.Errorf("sample %d: |G|²/ε² = %g outside [1, 2]", i, r)
				}
				if r := d.TrQ[i] / e; r < 1-e-1e-9 || r > 2+1e-9 {
					t.Errorf("sample %d: tr Q/ε = %g outside [1 − ε, 2]", i, r)
				}
			}
		}
		if loss == "ce" && d.QIndefinite != 0 {
			t.Errorf("%d indefinite CE logit Hessians, want 0", d.QIndefinite)
		}
		if loss == "mse" && d.QIndefinite == 0 {
			t.Errorf("no indefinite softmax+MSE logit Hessian among %d samples", p.N())
		}
	}
}

func TestResidualProbes(t *testing.T) {
	for _, c := range []struct {
		act  string
		zero bool
	}{{"relu", true}, {"tanh", false}} {
		p := makeProblem(t, netCase{spec: mlpSpec(8, []int{6, 5}, 4, c.act, false), loss: "ce", block: block(false, "fc2"), n: 20}, 5)
		r, err := ResidualProbes(p, 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range r {
			if c.zero && v > 1e-12 {
				t.Errorf("%s probe %d: residual ratio %g, want rounding-level", c.act, i, v)
			}
			if !c.zero && v < 1e-4 {
				t.Errorf("%s probe %d: residual ratio %g, want clearly non-zero", c.act, i, v)
			}
		}
	}
}

func TestEigenBasis(t *testing.T) {
	p := makeProblem(t, netCase{spec: mlpSpec(8, []int{6, 5}, 4, "relu", false), loss: "ce", block: block(false, "fc2"), n: 20}, 7)
	full, fv, err := EigenBasis(p, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d, k := fv.Dims(); d != 30 || k != 30 || len(full) != 30 {
		t.Fatalf("full basis %d×%d, %d values, want 30×30", d, k, len(full))
	}
	top, tv, err := EigenBasis(p, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, k := tv.Dims(); k != 4 || len(top) != 4 {
		t.Fatalf("top basis has %d columns, want 4", k)
	}
	for i, v := range top {
		if math.Abs(v-full[i]) > 1e-8*math.Abs(full[0]) {
			t.Errorf("λ_%d: Lanczos %g, dense %g", i, v, full[i])
		}
	}
}
