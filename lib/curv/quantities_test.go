package curv

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/linalg"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// aggCases: the single-layer cases (factorized where possible) and a joint block.
func aggCases() []netCase {
	return []netCase{
		{"relu/ce", mlpSpec(4, []int{5, 4}, 3, nn.KindReLU, false), "ce", block(false, "fc2"), 23},
		{"relu/mse/bias", mlpSpec(4, []int{5, 4}, 3, nn.KindReLU, true), "mse", block(true, "fc2"), 23},
		{"relu/logit-mse", mlpSpec(4, []int{5, 4}, 3, nn.KindReLU, false), "logit-mse", block(false, "fc2"), 23},
		{"tanh/ce/bias", mlpSpec(4, []int{5, 4}, 3, nn.KindTanh, true), "ce", block(true, "fc2"), 23},
		{"cnn/ce", smallCNN(), "ce", block(false, "fc1"), 17},
		{"joint/relu/ce", mlpSpec(3, []int{4, 3}, 3, nn.KindReLU, false), "ce", block(false, "fc1", "fc2"), 13},
	}
}

func withMethod(p *Problem, m Method) *Problem {
	return &Problem{Model: p.Model, Loss: p.Loss, X: p.X, Labels: p.Labels, Block: p.Block, Method: m}
}

// explicit oracles built one sample at a time from nn's per-sample gradients and HVPs.
type oracle struct {
	H, H2, EF, C, Covar, F *mat.SymDense
}

func explicitOracle(t *testing.T, p *Problem, batch int, seed uint64) oracle {
	n := p.N()
	m := p.Model.Clone()
	G, err := m.PerSampleGrads(p.X, p.Labels, p.Loss, p.Block)
	if err != nil {
		t.Fatal(err)
	}
	_, d := G.Dims()
	g := make([]float64, d)
	for q := 0; q < n; q++ {
		for i := range g {
			g[i] += G.At(q, i) / float64(n)
		}
	}
	var o oracle
	o.EF = mat.NewSymDense(d, nil)
	o.C = mat.NewSymDense(d, nil)
	for q := 0; q < n; q++ {
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				o.EF.SetSym(i, j, o.EF.At(i, j)+G.At(q, i)*G.At(q, j)/float64(n))
			}
		}
	}
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			o.C.SetSym(i, j, (o.EF.At(i, j)-g[i]*g[j])/float64(batch))
		}
	}
	// Covar: explicit loop over the shuffled minibatches (last partial batch kept).
	perm := shuffle(n, seed)
	o.Covar = mat.NewSymDense(d, nil)
	nb := 0
	for s := 0; s < n; s += batch {
		e := min(n, s+batch)
		gb := make([]float64, d)
		for _, q := range perm[s:e] {
			for i := range gb {
				gb[i] += G.At(q, i) / float64(e-s)
			}
		}
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				o.Covar.SetSym(i, j, o.Covar.At(i, j)+gb[i]*gb[j])
			}
		}
		nb++
	}
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			o.Covar.SetSym(i, j, o.Covar.At(i, j)/float64(nb)-g[i]*g[j])
		}
	}
	// H and E h^2 from explicit per-sample Hessians (HVP route).
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	hs, err := PerSampleHessians(withMethod(p, HVP), idx)
	if err != nil {
		t.Fatal(err)
	}
	o.H = mat.NewSymDense(d, nil)
	o.H2 = mat.NewSymDense(d, nil)
	for _, h := range hs {
		o.H.AddSym(o.H, scaled(h, 1/float64(n)))
		var sq mat.Dense
		sq.Mul(h, h)
		o.H2.AddSym(o.H2, scaled(symFromDense(&sq), 1/float64(n)))
	}
	// True Fisher: sum over all labels c with weight p_c of explicit outer products.
	logits := m.Forward(p.X)
	o.F = mat.NewSymDense(d, nil)
	C := p.Model.Classes()
	for c := 0; c < C; c++ {
		lab := make([]int, n)
		for i := range lab {
			lab[i] = c
		}
		Gc, err := m.PerSampleGrads(p.X, lab, p.Loss, p.Block)
		if err != nil {
			t.Fatal(err)
		}
		for q := 0; q < n; q++ {
			pc := nn.Softmax(nil, logits.RawRowView(q))[c]
			o.F.SymRankOne(o.F, pc/float64(n), mat.NewVecDense(d, Gc.RawRowView(q)))
		}
	}
	return o
}

func TestAggregatesVsExplicit(t *testing.T) {
	const batch, seed = 5, 11
	for _, c := range aggCases() {
		t.Run(c.name, func(t *testing.T) {
			p := makeProblem(t, c, 5)
			o := explicitOracle(t, p, batch, seed)
			for _, meth := range []Method{Auto, HVP} {
				q := withMethod(p, meth)
				check := func(name string, got *mat.SymDense, err error, want *mat.SymDense, tol float64) {
					t.Helper()
					if err != nil {
						t.Fatalf("%s (%v): %v", name, meth, err)
					}
					e := relErr(got, want)
					if e > tol {
						t.Errorf("%s (%v): rel err %.3g > %.0e", name, meth, e, tol)
					}
					recordErr(name+"/"+meth.String(), e)
				}
				H, err := Hessian(q)
				check("H", H, err, o.H, 1e-10)
				H2, err := HessianSquare(q)
				check("Eh2", H2, err, o.H2, 1e-10)
				EF, err := EmpiricalFisher(q)
				check("EF", EF, err, o.EF, 1e-12)
				C, err := NoiseCov(q, batch)
				check("C", C, err, o.C, 1e-10)
				Cv, err := MinibatchCov(q, batch, seed)
				check("Covar", Cv, err, o.Covar, 1e-10)
				F, err := TrueFisher(q)
				check("F", F, err, o.F, 1e-10)
			}
		})
	}
}

var maxErrs = map[string]float64{}

func recordErr(k string, e float64) { maxErrs[k] = math.Max(maxErrs[k], e) }

func TestFisherEqualsGGNForCE(t *testing.T) {
	for _, c := range aggCases() {
		if c.loss != "ce" {
			continue
		}
		p := makeProblem(t, c, 9)
		F, err := TrueFisher(p)
		if err != nil {
			t.Fatal(err)
		}
		G, err := GaussNewton(p)
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(F, G); e > 1e-12 {
			t.Errorf("%s: true Fisher vs GGN rel err %.3g > 1e-12", c.name, e)
		}
		// the general route agrees too
		G2, err := GaussNewton(withMethod(p, HVP))
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(G2, G); e > 1e-12 {
			t.Errorf("%s: GGN general vs factorized rel err %.3g", c.name, e)
		}
	}
	// and it is NOT equal for softmax+MSE
	p := makeProblem(t, aggCases()[1], 9)
	F, _ := TrueFisher(p)
	G, _ := GaussNewton(p)
	if e := relErr(F, G); e < 1e-3 {
		t.Errorf("softmax+MSE: true Fisher unexpectedly equals GGN (rel diff %.3g)", e)
	}
}

func TestResidual(t *testing.T) {
	relu := makeProblem(t, netCase{"", mlpSpec(4, []int{5, 4}, 3, nn.KindReLU, true), "ce", block(true, "fc2"), 20}, 2)
	r, err := Residual(relu)
	if err != nil {
		t.Fatal(err)
	}
	H, _ := Hessian(relu)
	if nr := mat.Norm(r, 2) / mat.Norm(H, 2); nr > 1e-12 {
		t.Errorf("ReLU single layer: |H - GGN|/|H| = %.3g, want <= 1e-12", nr)
	} else {
		recordErr("residual/relu", nr)
	}
	tanh := makeProblem(t, netCase{"", mlpSpec(4, []int{5, 4}, 3, nn.KindTanh, false), "ce", block(false, "fc2"), 20}, 2)
	r, err = Residual(tanh)
	if err != nil {
		t.Fatal(err)
	}
	Ht, _ := Hessian(tanh)
	if nr := mat.Norm(r, 2) / mat.Norm(Ht, 2); nr < 1e-3 {
		t.Errorf("tanh: |H - GGN|/|H| = %.3g, want clearly non-zero", nr)
	}
	// joint ReLU block: cross-layer second derivatives make the residual non-zero
	joint := makeProblem(t, aggCases()[5], 2)
	r, err = Residual(joint)
	if err != nil {
		t.Fatal(err)
	}
	if mat.Norm(r, 2) < 1e-6 {
		t.Errorf("joint ReLU block: residual unexpectedly zero")
	}
}

func TestBoundsInEigenbasis(t *testing.T) {
	for _, c := range aggCases() {
		p := makeProblem(t, c, 4)
		a, err := Analyze(p, AnalysisOptions{Batch: 5, Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		psd := c.loss == "ce"
		for i := range a.H {
			if a.H[i]*a.H[i] > a.Eh2[i]*(1+1e-9)+1e-15 {
				t.Errorf("%s: H_ii^2 = %.6g > [Eh2]_ii = %.6g at i=%d", c.name, a.H[i]*a.H[i], a.Eh2[i], i)
			}
			if psd && !math.IsNaN(a.KappaMax) && a.Eh2[i] > a.KappaMax*a.H[i]*(1+1e-9)+1e-15 {
				t.Errorf("%s: [Eh2]_ii = %.6g > kappa_max H_ii = %.6g at i=%d", c.name, a.Eh2[i], a.KappaMax*a.H[i], i)
			}
			if math.Abs(a.H[i]-a.Eigenvalues[i]) > 1e-10*math.Abs(a.Eigenvalues[0]) {
				t.Errorf("%s: H_ii != lambda_i", c.name)
			}
		}
	}
}

func TestOperatorsVsDense(t *testing.T) {
	for _, c := range aggCases() {
		p := makeProblem(t, c, 6)
		const B = 4
		type pair struct {
			name string
			op   func() (Operator, error)
			mat  func() (*mat.SymDense, error)
		}
		pairs := []pair{
			{"H", func() (Operator, error) { return HessianOperator(p) }, func() (*mat.SymDense, error) { return Hessian(p) }},
			{"GGN", func() (Operator, error) { return GaussNewtonOperator(p) }, func() (*mat.SymDense, error) { return GaussNewton(p) }},
			{"F", func() (Operator, error) { return TrueFisherOperator(p) }, func() (*mat.SymDense, error) { return TrueFisher(p) }},
			{"EF", func() (Operator, error) { return EmpiricalFisherOperator(p) }, func() (*mat.SymDense, error) { return EmpiricalFisher(p) }},
			{"C", func() (Operator, error) { return NoiseCovOperator(p, B) }, func() (*mat.SymDense, error) { return NoiseCov(p, B) }},
			{"Eh2", func() (Operator, error) { return HessianSquareOperator(p) }, func() (*mat.SymDense, error) { return HessianSquare(p) }},
		}
		for _, pr := range pairs {
			op, err := pr.op()
			if err != nil {
				t.Fatalf("%s %s: %v", c.name, pr.name, err)
			}
			want, err := pr.mat()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Materialize(op, 0)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(got, want); e > 1e-12 {
				t.Errorf("%s %s: operator vs dense rel err %.3g", c.name, pr.name, e)
			} else {
				recordErr("operator/"+pr.name, e)
			}
		}
	}
}

func TestLanczosVsDense(t *testing.T) {
	p := makeProblem(t, netCase{"", mlpSpec(6, []int{8, 7}, 4, nn.KindReLU, false), "ce", block(false, "fc2"), 40}, 8)
	H, err := Hessian(p)
	if err != nil {
		t.Fatal(err)
	}
	vals, vecs, err := Eigen(H)
	if err != nil {
		t.Fatal(err)
	}
	op, _ := HessianOperator(p)
	const k = 5
	lv, lvec, err := TopEigen(op, k, LanczosOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < k; i++ {
		if e := math.Abs(lv[i]-vals[i]) / vals[0]; e > 1e-10 {
			t.Errorf("eigenvalue %d: Lanczos %.12g vs dense %.12g", i, lv[i], vals[i])
		}
		recordErr("lanczos/value", math.Abs(lv[i]-vals[i])/vals[0])
		// compare directions where the eigenvalue is well separated
		if gap := math.Min(vals[i]-vals[i+1], func() float64 {
			if i == 0 {
				return math.Inf(1)
			}
			return vals[i-1] - vals[i]
		}()); gap > 1e-3*vals[0] {
			d := math.Abs(mat.Dot(lvec.ColView(i), vecs.ColView(i)))
			if 1-d > 1e-8 {
				t.Errorf("eigenvector %d: |<v_lanczos, v_dense>| = %.12g", i, d)
			}
		}
	}
	// determinism
	lv2, _, _ := TopEigen(op, k, LanczosOptions{Seed: 3})
	for i := range lv {
		if lv[i] != lv2[i] {
			t.Fatal("Lanczos with the same seed is not deterministic")
		}
	}
	// Lanczos on a dense operator with a degenerate spectrum (rank-deficient H): exhausts
	// the space gracefully.
	full, _, err := TopEigen(DenseOperator{H}, H.SymmetricDim(), LanczosOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range full {
		if math.Abs(full[i]-vals[i]) > 1e-9*vals[0] {
			t.Errorf("full Lanczos eigenvalue %d: %.12g vs %.12g", i, full[i], vals[i])
		}
	}
}

func TestRotateDiag(t *testing.T) {
	p := makeProblem(t, aggCases()[0], 1)
	H, _ := Hessian(p)
	C, _ := NoiseCov(p, 4)
	_, V, _ := Eigen(H)
	R := Rotate(C, V)
	d := Diag(C, V)
	if e := relErrVec(d, linalg.DiagOfVtAV(V, C)); e > 1e-13 {
		t.Errorf("Diag vs linalg.DiagOfVtAV rel err %.3g", e)
	}
	for i := range d {
		if math.Abs(R.At(i, i)-d[i]) > 1e-14*math.Abs(R.At(0, 0))+1e-18 {
			t.Errorf("Diag[%d] = %g, Rotate = %g", i, d[i], R.At(i, i))
		}
	}
}

func TestDiagonalsIn(t *testing.T) {
	for _, c := range aggCases() {
		p := makeProblem(t, c, 12)
		const B, seed = 4, 5
		H, _ := Hessian(p)
		_, V, _ := Eigen(H)
		V = V.Slice(0, V.RawMatrix().Rows, 0, 7).(*mat.Dense)
		want := map[string]*mat.SymDense{}
		want["H"], _ = Hessian(p)
		want["Eh2"], _ = HessianSquare(p)
		want["C"], _ = NoiseCov(p, B)
		want["Covar"], _ = MinibatchCov(p, B, seed)
		want["EF"], _ = EmpiricalFisher(p)
		want["F"], _ = TrueFisher(p)
		want["GGN"], _ = GaussNewton(p)
		for _, basis := range []*mat.Dense{V, nil} {
			dg, err := DiagonalsIn(p, basis, B, seed)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]float64{"H": dg.H, "Eh2": dg.HessianSquare, "C": dg.NoiseCov, "Covar": dg.MinibatchCov,
				"EF": dg.EmpiricalFisher, "F": dg.TrueFisher, "GGN": dg.GaussNewton}
			for k, w := range want {
				if e := relErrVec(got[k], diagOf(w, basis)); e > 1e-11 {
					t.Errorf("%s %s (basis=%v): diag-only vs dense rel err %.3g", c.name, k, basis != nil, e)
				} else {
					recordErr("diag/"+k, e)
				}
			}
		}
	}
}

func TestSpectra(t *testing.T) {
	for _, c := range []netCase{aggCases()[0], aggCases()[1], aggCases()[4]} {
		p := makeProblem(t, c, 21)
		sp, err := PerSampleSpectra(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		idx := []int{0, 5, 9}
		hs, _ := PerSampleHessians(p, idx)
		for r, q := range idx {
			// reconstruct h_p from its modes
			d := hs[r].SymmetricDim()
			rec := mat.NewSymDense(d, nil)
			for m := 0; m < sp.Rank[q]; m++ {
				rec.SymRankOne(rec, sp.Kappa.At(q, m), mat.NewVecDense(d, sp.Vector(q, m)))
			}
			if e := relErr(rec, hs[r]); e > 1e-10 {
				t.Errorf("%s sample %d: sum kappa u u^T vs h_p rel err %.3g", c.name, q, e)
			} else {
				recordErr("spectra/reconstruct", e)
			}
		}
		// Aggregate with kappa gives H_ii, with kappa^2 gives [Eh2]_ii
		H, _ := Hessian(p)
		H2, _ := HessianSquare(p)
		_, V, _ := Eigen(H)
		hd, err := sp.Aggregate(V, sp.Kappa)
		if err != nil {
			t.Fatal(err)
		}
		var k2 mat.Dense
		k2.MulElem(sp.Kappa, sp.Kappa)
		h2d, _ := sp.Aggregate(V, &k2)
		if e := relErrVec(hd, Diag(H, V)); e > 1e-10 {
			t.Errorf("%s: Aggregate(kappa) vs H_ii rel err %.3g", c.name, e)
		}
		if e := relErrVec(h2d, Diag(H2, V)); e > 1e-10 {
			t.Errorf("%s: Aggregate(kappa^2) vs [Eh2]_ii rel err %.3g", c.name, e)
		}
		// Weights vs explicit dots
		w, err := sp.Weights(V, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range idx {
			for m := 0; m < sp.Rank[q]; m++ {
				u := mat.NewVecDense(V.RawMatrix().Rows, sp.Vector(q, m))
				for i := 0; i < 3; i++ {
					dd := mat.Dot(u, V.ColView(i))
					if math.Abs(w.At(q*sp.K+m, i)-dd*dd) > 1e-12 {
						t.Errorf("weight p=%d m=%d i=%d: %g vs %g", q, m, i, w.At(q*sp.K+m, i), dd*dd)
					}
				}
			}
		}
		if c.loss == "ce" && sp.KappaMax() <= 0 {
			t.Errorf("kappa_max = %g", sp.KappaMax())
		}
	}
}

func TestAnalyzeTopKMatchesDense(t *testing.T) {
	p := makeProblem(t, aggCases()[0], 14)
	dense, err := Analyze(p, AnalysisOptions{Batch: 4, Seed: 2, KeepDense: true})
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	top, err := Analyze(p, AnalysisOptions{Batch: 4, Seed: 2, TopK: 4, Lanczos: LanczosOptions{Seed: 1},
		Progress: func(s string, d, tot int) {
			if d == 0 {
				stages = append(stages, s)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) == 0 || len(top.Timings) != len(stages) {
		t.Errorf("progress stages %v, timings %d", stages, len(top.Timings))
	}
	for i := 0; i < 4; i++ {
		for name, pr := range map[string][2]float64{
			"lambda": {top.Eigenvalues[i], dense.Eigenvalues[i]}, "C": {top.C[i], dense.C[i]},
			"Covar": {top.Covar[i], dense.Covar[i]}, "Eh2": {top.Eh2[i], dense.Eh2[i]},
			"F": {top.F[i], dense.F[i]}, "EF": {top.EF[i], dense.EF[i]},
		} {
			if math.Abs(pr[0]-pr[1]) > 1e-8*math.Abs(pr[1])+1e-14 {
				t.Errorf("%s[%d]: top-k %.12g vs dense %.12g", name, i, pr[0], pr[1])
			}
		}
	}
	if dense.Dense == nil || dense.Dense.NoiseCov == nil {
		t.Fatal("KeepDense did not keep the matrices")
	}
	if e := relErrVec(Diag(dense.Dense.NoiseCov, mustVecs(t, dense.Dense.H)), dense.C); e > 1e-10 {
		t.Errorf("C_ii from EF shortcut vs Diag(C): %.3g", e)
	}
}

func mustVecs(t *testing.T, h *mat.SymDense) *mat.Dense {
	_, v, err := Eigen(h)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBadInput(t *testing.T) {
	base := makeProblem(t, aggCases()[0], 1)
	cp := func() *Problem { return withMethod(base, Auto) }

	p := cp()
	p.Block = block(false, "fc9")
	if _, err := Hessian(p); err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "fc9") || !strings.Contains(err.Error(), "fc2") {
		t.Errorf("missing block layer: err = %v", err)
	}

	p = cp()
	p.Model = base.Model.Clone()
	p.Model.Params()[1].Value[3] = math.NaN()
	if _, err := Hessian(p); err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "fc2.weight[3]") {
		t.Errorf("NaN weight: err = %v", err)
	}

	p = cp()
	p.X = &mat.Dense{}
	p.Labels = nil
	if _, err := NoiseCov(p, 4); err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty subset: err = %v", err)
	}

	p = cp()
	p.Labels = append([]int(nil), base.Labels...)
	p.Labels[0] = 7
	if _, err := Hessian(p); err == nil || !errors.Is(err, ErrInput) {
		t.Errorf("label out of range: err = %v", err)
	}

	if _, err := NoiseCov(cp(), 0); err == nil || !errors.Is(err, ErrInput) {
		t.Errorf("batch 0: err = %v", err)
	}

	// the factorized route refuses tanh downstream and joint blocks, naming the HVP route
	tanh := makeProblem(t, aggCases()[3], 1)
	tanh.Method = Factorized
	if _, err := Hessian(tanh); err == nil || !errors.Is(err, ErrNotFactorizable) || !strings.Contains(err.Error(), "tanh") || !strings.Contains(err.Error(), "HVP") {
		t.Errorf("tanh factorized: err = %v", err)
	}
	// but gradient-type quantities of a single dense layer still factorize under tanh
	if _, err := NoiseCov(tanh, 4); err != nil {
		t.Errorf("tanh factorized noise covariance: %v", err)
	}
	joint := makeProblem(t, aggCases()[5], 1)
	joint.Method = Factorized
	if _, err := Hessian(joint); err == nil || !errors.Is(err, ErrNotFactorizable) || !strings.Contains(err.Error(), "HVP") {
		t.Errorf("joint factorized: err = %v", err)
	}
	if _, _, err := TopEigen(DenseOperator{mat.NewSymDense(3, nil)}, 5, LanczosOptions{}); err == nil {
		t.Error("TopEigen k > D accepted")
	}
}

func TestBudgetRefusesBeforeAllocating(t *testing.T) {
	// A paper-sized layer (50 x 50) on 3 samples: the dense H would need ~50 MB; a 1 MiB
	// budget must refuse it up front, naming the estimate and the alternative.
	spec := mlpSpec(50, []int{50}, 10, nn.KindReLU, false)
	p := makeProblem(t, netCase{"", spec, "ce", block(false, "fc1"), 3}, 1)
	p.Budget = 1 << 20
	_, err := Hessian(p)
	if err == nil || !errors.Is(err, ErrBudget) {
		t.Fatalf("err = %v, want ErrBudget", err)
	}
	for _, s := range []string{"GiB", "budget", "diagonal-only", "Lanczos"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("budget error %q does not mention %q", err, s)
		}
	}
	// the cheap paths still work under the same budget
	if _, err := DiagonalsIn(p, nil, 2, 1); err != nil {
		t.Errorf("diagonal-only mode under the budget: %v", err)
	}
	// A hypothetical 100k-parameter block would be refused without allocating 80 GB.
	if err := Budget(0).check("H", 1e5*1e5, ""); err == nil {
		t.Error("80 GB request accepted by the default budget")
	}
}

// TestReportErrors runs after the oracle tests of this file (Go runs tests in source order)
// and checks the worst relative error each recorded against the package's stated accuracy:
// 1e-12 for every exact quantity against its brute-force oracle, and 1e-4 for the central
// finite differences (an O(h²) truncation with h = 1e-4 and rounding of order 1e-16/h).
func TestReportErrors(t *testing.T) {
	if len(maxErrs) == 0 {
		t.Skip("no oracle test ran before this one (run the whole file)")
	}
	for k, v := range maxErrs {
		tol := 1e-12
		if strings.HasSuffix(k, "-fd") {
			tol = 1e-4
		}
		if !(v <= tol) {
			t.Errorf("max rel err %s = %.2e, over the stated %.0e", k, v, tol)
		}
		if testing.Verbose() {
			t.Logf("max rel err %-28s %.2e (tolerance %.0e)", k, v, tol)
		}
	}
}

// TestKronDenseChunking: the fused product over several chunks (including a partial last one,
// so the first chunk's beta = 0 and the accumulation with beta = 1 are both exercised) agrees
// with one chunk for every factor, with and without bias.
func TestKronDenseChunking(t *testing.T) {
	for _, c := range aggCases()[:2] {
		t.Run(c.name, func(t *testing.T) {
			p := makeProblem(t, c, 5)
			f, err := p.Factors()
			if err != nil {
				t.Fatal(err)
			}
			facs := []kfac{f.hessFac(), f.h2Fac(), f.efFac(), f.fisherFac()}
			one, err := f.kronDense(-1, f.N, 1/float64(f.N), facs...)
			if err != nil {
				t.Fatal(err)
			}
			many, err := f.kronDense(-1, 5, 1/float64(f.N), facs...)
			if err != nil {
				t.Fatal(err)
			}
			for q := range facs {
				single, err := f.kronDense(-1, 7, 1/float64(f.N), facs[q])
				if err != nil {
					t.Fatal(err)
				}
				if e := relErr(many[q], one[q]); e > 1e-13 {
					t.Errorf("factor %d: chunk 5 vs one chunk: rel err %.3g", q, e)
				}
				if e := relErr(single[0], one[q]); e > 1e-13 {
					t.Errorf("factor %d alone, chunk 7 vs fused one chunk: rel err %.3g", q, e)
				}
			}
		})
	}
}

// TestAnalyzeHVPRouteWithoutDenseSquare checks that on the HVP route (tanh downstream, a joint
// block) Analyze without KeepDense, which reads [E h^2]_ii from one HVP pass per eigenvector
// instead of forming E_p[h_p^2] (N D^3 flops), gives the same diagonals as the dense matrix, to
// 1e-11 relative (the two sum the same products in a different order).
func TestAnalyzeHVPRouteWithoutDenseSquare(t *testing.T) {
	for _, c := range []netCase{aggCases()[3], aggCases()[5]} {
		p := makeProblem(t, c, 31)
		dense, err := Analyze(p, AnalysisOptions{Batch: 4, Seed: 2, KeepDense: true})
		if err != nil {
			t.Fatal(err)
		}
		lean, err := Analyze(p, AnalysisOptions{Batch: 4, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		if lean.Route != "hvp" && c.name != "tanh/ce/bias" {
			t.Errorf("%s: route %q, want hvp", c.name, lean.Route)
		}
		if lean.Dense != nil {
			t.Errorf("%s: dense matrices kept without KeepDense", c.name)
		}
		if e := relErrVec(lean.Eh2, dense.Eh2); e > 1e-11 {
			t.Errorf("%s: Eh2 by HVP diagonals vs dense rel err %.3g", c.name, e)
		} else {
			recordErr("analyze/hvp-diag Eh2", e)
		}
		// The H diagonal from the same passes is the eigenvalue, a check of the pass itself.
		_, V, _ := Eigen(dense.Dense.H)
		h, _, err := HessianDiagonals(p, V, nil)
		if err != nil {
			t.Fatal(err)
		}
		if e := relErrVec(h, dense.Eigenvalues); e > 1e-10 {
			t.Errorf("%s: v_i^T H v_i by HVPs vs lambda_i rel err %.3g", c.name, e)
		}
	}
	if _, _, err := HessianDiagonals(makeProblem(t, aggCases()[3], 1), mat.NewDense(3, 2, nil), nil); !errors.Is(err, ErrInput) {
		t.Errorf("wrong-shaped directions: err = %v, want ErrInput", err)
	}
}

func TestCompareFisher(t *testing.T) {
	for _, c := range []struct {
		loss string
		zero bool // F = H (canonical link, piecewise-linear network)
	}{{"ce", true}, {"mse", false}} {
		p := tinyMLP(t, "relu", c.loss, 20, 3)
		fc, err := CompareFisher(p)
		if err != nil {
			t.Fatal(err)
		}
		if c.zero && fc.RelFH > 1e-12 || !c.zero && fc.RelFH < 1e-3 {
			t.Errorf("%s: |F − H|/|H| = %.3g", c.loss, fc.RelFH)
		}
		// Oracle: EF and g from the per-sample gradients, F from the dense route.
		G, err := PerSampleGrads(p)
		if err != nil {
			t.Fatal(err)
		}
		n, d := G.Dims()
		var EF mat.Dense
		EF.Mul(G.T(), G)
		EF.Scale(1/float64(n), &EF)
		var gg float64
		for j := 0; j < d; j++ {
			m := mat.Sum(G.ColView(j)) / float64(n)
			gg += m * m
		}
		F, err := TrueFisher(p)
		if err != nil {
			t.Fatal(err)
		}
		var diff mat.Dense
		diff.Sub(&EF, F)
		want := FisherChain{RelEFF: mat.Norm(&diff, 2) / mat.Norm(F, 2), TrEFF: mat.Trace(&EF) / mat.Trace(F), MeanGrad: gg / mat.Norm(&EF, 2)}
		for _, q := range []struct {
			name      string
			got, want float64
		}{{"RelEFF", fc.RelEFF, want.RelEFF}, {"TrEFF", fc.TrEFF, want.TrEFF}, {"MeanGrad", fc.MeanGrad, want.MeanGrad}} {
			if math.Abs(q.got-q.want) > 1e-9*math.Abs(q.want) || !(q.want > 0) {
				t.Errorf("%s: %s = %.12g, oracle %.12g", c.loss, q.name, q.got, q.want)
			}
		}
	}
}

func TestCompareGaussNewton(t *testing.T) {
	for _, act := range []string{"relu", "tanh"} {
		p := tinyMLP(t, act, "ce", 20, 4)
		g, err := CompareGaussNewton(p)
		if err != nil {
			t.Fatal(err)
		}
		// Oracle: Residual forms H − GGN with H always by exact HVPs.
		R, err := Residual(withMethod(p, HVP))
		if err != nil {
			t.Fatal(err)
		}
		H, err := Hessian(withMethod(p, HVP))
		if err != nil {
			t.Fatal(err)
		}
		rel, tr := mat.Norm(R, 2)/mat.Norm(H, 2), mat.Trace(R)/mat.Trace(H)
		if g.D != 30 || math.Abs(g.Rel-rel) > 1e-9*rel+1e-13 || math.Abs(g.Tr-tr) > 1e-9*math.Abs(tr)+1e-13 {
			t.Errorf("%s: D %d, rel %.6g (oracle %.6g), tr %.6g (oracle %.6g)", act, g.D, g.Rel, rel, g.Tr, tr)
		}
		if act == "relu" && g.Rel > 1e-12 || act == "tanh" && g.Rel < 1e-4 {
			t.Errorf("%s: |H − GGN|/|H| = %.3g", act, g.Rel)
		}
	}
}

func TestMeanGradShare(t *testing.T) {
	// EF_ii = 2, (g·v_i)² = 0.5 → B C_ii = 1.5; the share is 0.25 in every direction with
	// EF_ii > 0 (the last is skipped).
	ef := []float64{2, 2, 2, -1}
	c := []float64{1.5 / 10, 1.5 / 10, 1.5 / 10, 0}
	if r := MeanGradShare(ef, c, 10, 0); math.Abs(r-0.25) > 1e-12 {
		t.Errorf("mean-gradient share %g, want 0.25", r)
	}
	// The first n directions only: 0.5 of direction 1, not the 0.25 of the others.
	c[0] = 1.0 / 10
	if r := MeanGradShare(ef, c, 10, 1); math.Abs(r-0.5) > 1e-12 {
		t.Errorf("n = 1: %g, want 0.5", r)
	}
	if r := MeanGradShare([]float64{-1}, []float64{0}, 10, 0); !math.IsNaN(r) {
		t.Errorf("no direction with EF_ii > 0: %g, want NaN", r)
	}
}

// TestMethodString pins the method names, and the form of values with no name.
func TestMethodString(t *testing.T) {
	if got, want := fmt.Sprintf("%v|%v|%v|%v|%v", Method(-2), Auto, Factorized, HVP, Method(3)), "Method(-2)|auto|factorized|hvp|Method(3)"; got != want {
		t.Errorf("names %q, want %q", got, want)
	}
}
