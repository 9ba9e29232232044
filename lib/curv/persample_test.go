package curv

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/nn"
)

func TestPerSampleAgainstExplicit(t *testing.T) {
	for _, loss := range []string{"ce", "mse"} {
		p := tinyMLP(t, "relu", loss, 12, 3)
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
		hs := allHessians(t, p)
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
		p := tinyMLP(t, c.act, "ce", 20, 5)
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
	p := tinyMLP(t, "relu", "ce", 20, 7)
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

func TestLeadingWeightRayleighNegatives(t *testing.T) {
	for _, loss := range []string{"ce", "mse"} {
		p, f, sp, vals, vecs := tinySpectra(t, loss, 15, 11)
		H, err := Hessian(p)
		if err != nil {
			t.Fatal(err)
		}
		k1 := sp.Leading()
		all, err := sp.LeadingWeight(vecs, 0)
		if err != nil {
			t.Fatal(err)
		}
		sp1, err := f.Spectra(1)
		if err != nil {
			t.Fatal(err)
		}
		ray, err := sp1.LeadingRayleigh(vals, vecs, 0)
		if err != nil {
			t.Fatal(err)
		}
		hs := allHessians(t, p)
		explicitNeg := 0
		kmax := sp.KappaMax()
		for i := 0; i < p.N(); i++ {
			if sp.Rank[i] == 0 {
				continue
			}
			// A unit vector's weights on a full orthonormal basis sum to 1.
			if math.Abs(all[i]-1) > 1e-9 {
				t.Errorf("%s sample %d: leading weight on all directions %g, want 1", loss, i, all[i])
			}
			u := mat.NewVecDense(len(vals), sp.Vector(i, 0))
			var hu mat.VecDense
			hu.MulVec(H, u)
			if want := mat.Dot(u, &hu) / vals[0]; math.Abs(ray[i]-want) > 1e-9 {
				t.Errorf("%s sample %d: Rayleigh %g, explicit %g", loss, i, ray[i], want)
			}
			var eig mat.EigenSym
			if !eig.Factorize(hs[i], false) {
				t.Fatal("eigendecomposition failed")
			}
			// κ_p1 is an eigenvalue of h_p, at least as large as every non-null one (a stored
			// mode can be a numerical zero, and softmax+MSE can have only negative ones).
			ev := eig.Values(nil)
			tol := 1e-9 * kmax
			found := false
			for _, v := range ev {
				found = found || math.Abs(v-k1[i]) <= tol
				if math.Abs(v) > tol && v > k1[i]+tol {
					t.Errorf("%s sample %d: κ_p1 %g below the eigenvalue %g of h_p", loss, i, k1[i], v)
				}
			}
			if !found {
				t.Errorf("%s sample %d: κ_p1 %g is no eigenvalue of h_p", loss, i, k1[i])
			}
			for _, v := range ev {
				if v < -1e-8*kmax {
					explicitNeg++
				}
			}
		}
		if neg := sp.Negatives(1e-8); neg.Modes != explicitNeg || (loss == "ce" && neg.Modes != 0) || (loss == "mse" && neg.Modes == 0) {
			t.Errorf("%s: %d negative modes, explicit %d (want none for CE, some for MSE)", loss, neg.Modes, explicitNeg)
		}
	}
}

// tinyMLP is the problem of these tests: a random MLP 8-6-5-4 with activation act and loss,
// n samples, the dense layer fc2 (D = 30) as target.
func tinyMLP(t testing.TB, act, loss string, n int, seed uint64) *Problem {
	return makeProblem(t, netCase{spec: mlpSpec(8, []int{6, 5}, 4, act, false), loss: loss, block: block(false, "fc2"), n: n}, seed)
}

// tinySpectra is tinyMLP (ReLU) with its factors, all per-sample spectra and the dense
// eigenbasis of H.
func tinySpectra(t testing.TB, loss string, n int, seed uint64) (*Problem, *Factors, *Spectra, []float64, *mat.Dense) {
	t.Helper()
	p := tinyMLP(t, "relu", loss, n, seed)
	f, err := p.Factors()
	if err != nil {
		t.Fatal(err)
	}
	sp, err := f.Spectra(0)
	if err != nil {
		t.Fatal(err)
	}
	vals, vecs, err := EigenBasis(p, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return p, f, sp, vals, vecs
}

// allHessians returns the dense per-sample Hessian of every sample of p.
func allHessians(t testing.TB, p *Problem) []*mat.SymDense {
	t.Helper()
	idx := make([]int, p.N())
	for i := range idx {
		idx[i] = i
	}
	hs, err := PerSampleHessians(p, idx)
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

func TestSpectraDiagonals(t *testing.T) {
	for _, loss := range []string{"ce", "mse"} {
		p, _, sp, _, V := tinySpectra(t, loss, 20, 5)
		h, eh2, err := sp.Diagonals(V)
		if err != nil {
			t.Fatal(err)
		}
		// Oracle: vᵢᵀ h_p vᵢ and |h_p vᵢ|² averaged over explicit per-sample Hessians.
		hs := allHessians(t, p)
		d, k := V.Dims()
		hv := mat.NewVecDense(d, nil)
		for i := 0; i < k; i++ {
			vi := V.ColView(i)
			var wh, we float64
			for _, hp := range hs {
				hv.MulVec(hp, vi)
				wh += mat.Dot(vi, hv)
				we += mat.Dot(hv, hv)
			}
			wh, we = wh/float64(len(hs)), we/float64(len(hs))
			if math.Abs(h[i]-wh) > 1e-10*math.Abs(h[0]) || math.Abs(eh2[i]-we) > 1e-10*math.Abs(eh2[0]) {
				t.Errorf("%s direction %d: H_ii %g vs %g, [E h²]_ii %g vs %g", loss, i, h[i], wh, eh2[i], we)
			}
		}
	}
}

func TestFitScalingSynthetic(t *testing.T) {
	// |g|² = 1.5 ε², tr h = 1.8 ε exactly, plus far-from-converged samples outside the window.
	var d PerSample
	for i := 0; i < 200; i++ {
		e := math.Pow(10, -8+7*float64(i)/199)
		d.Eps = append(d.Eps, e)
		d.G2 = append(d.G2, 1.5*e*e)
		d.TrH = append(d.TrH, 1.8*e)
		d.LogitG2 = append(d.LogitG2, 1.5*e*e)
		d.TrQ = append(d.TrQ, 1.8*e)
	}
	d.Eps = append(d.Eps, 0.5, 0) // outside the window / ε = 0 (masked)
	d.G2 = append(d.G2, 7, 0)
	d.TrH = append(d.TrH, 7, 0)
	d.LogitG2 = append(d.LogitG2, 7, 0)
	d.TrQ = append(d.TrQ, 7, 0)
	s := d.FitScaling(0.1, 100)
	if s.EpsWindow != 0.1 {
		t.Fatalf("window %g, want 0.1", s.EpsWindow)
	}
	for _, f := range []struct {
		name  string
		slope float64
		want  float64
	}{{"|g|² vs ε", s.FitG2Eps.Slope, 2}, {"tr h vs ε", s.FitTrEps.Slope, 1}, {"|g|² vs tr h", s.FitG2Tr.Slope, 2}} {
		if math.Abs(f.slope-f.want) > 1e-9 {
			t.Errorf("%s: slope %g, want %g", f.name, f.slope, f.want)
		}
	}
	if s.NearConv != 200 || len(s.FitErrs) != 0 {
		t.Errorf("NearConv = %d (want 200), errors %v", s.NearConv, s.FitErrs)
	}
	if math.Abs(s.G2EpsRange[0]-1.5) > 1e-9 || math.Abs(s.TrQEpsRange[1]-1.8) > 1e-9 {
		t.Errorf("ranges %v %v", s.G2EpsRange, s.TrQEpsRange)
	}
	// Far from convergence the window is the lower quartile of ε (here one sample): every fit
	// fails with a NaN slope and says why.
	far := PerSample{Eps: []float64{0.5, 0.6}, G2: []float64{1, 1}, TrH: []float64{1, 1}, LogitG2: []float64{1, 1}, TrQ: []float64{1, 1}}
	if s := far.FitScaling(0.1, 100); s.EpsWindow != 0.5 || s.NearConv != 1 || !math.IsNaN(s.FitG2Eps.Slope) || len(s.FitErrs) != 3 {
		t.Errorf("empty window: %+v", s)
	}
}

func TestConvergenceWindow(t *testing.T) {
	var near PerSample
	for i := 0; i < 100; i++ {
		near.Eps = append(near.Eps, 0.01)
	}
	if w := near.ConvergenceWindow(0.1, 100); w != 0.1 {
		t.Errorf("window %g with 100 near-converged samples, want 0.1", w)
	}
	far := PerSample{Eps: []float64{0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}}
	if w := far.ConvergenceWindow(0.1, 100); w != 0.3 {
		t.Errorf("far window %g, want the lower quartile 0.3", w)
	}
	eps, g2, tr := PerSample{Eps: []float64{0.05, 0.05, 0.2, 0}, G2: []float64{1, 0, 1, 1}, TrH: []float64{2, 1, 1, 1}}.Window(0.1)
	if len(eps) != 1 || g2[0] != 1 || tr[0] != 2 {
		t.Errorf("Window = %v %v %v, want the one sample with ε ≤ 0.1 and positive |g|², tr h", eps, g2, tr)
	}
}
