package awd

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/linalg"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// bruteTerms computes every AWD matrix by explicit per-sample loops with dense D x D
// per-sample Hessians (exact HVPs), dense Jacobians d dw/dW written as in the authors' code
// (J[(x,u),(y,v)] = delta_xy a_u da_v / |a|^2), and per-sample gradients from nn.
type bruteResult struct {
	HH, HG, GG, HHSD, HGSD, GGSD, WD, Eh2, Iso, Exact, ExactSD *mat.Dense
	Total, TotalSD                                             *mat.Dense
	sigma2                                                     float64
}

func bruteTerms(t *testing.T, p *curv.Problem, m *Matching, B int) bruteResult {
	t.Helper()
	hs := perSampleHessians(t, p)
	g, err := p.Model.PerSampleGrads(p.X, p.Labels, p.Loss, p.Block)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := p.Model.LayerIndex(p.Block.Layers[0])
	p.Model.Forward(p.X)
	acts := mat.DenseCopyOf(p.Model.Acts[k])
	dl := p.Model.Layers[k].(*nn.Dense)
	w := mat.NewDense(dl.Out, dl.In, append([]float64(nil), dl.W.Value...))
	dout, din := dl.Out, dl.In
	D := dout * din
	N := float64(m.N)
	scale := 1 / (float64(B) * N)
	z := func() *mat.Dense { return mat.NewDense(D, D, nil) }
	r := bruteResult{HH: z(), HG: z(), GG: z(), HHSD: z(), HGSD: z(), GGSD: z(), WD: z(), Eh2: z(), Iso: z(), Exact: z(), ExactSD: z(), Total: z(), TotalSD: z()}
	var sumDW float64
	matched := 0
	for _, batch := range m.Batches {
		s1, s2, s3, st := make([]float64, D), make([]float64, D), make([]float64, D), make([]float64, D)
		for _, q := range batch {
			h := hs[q]
			var h2 mat.Dense
			h2.Mul(h, h)
			r.Eh2.Add(r.Eh2, &h2)
			pt := m.Partner[q]
			if pt < 0 {
				continue
			}
			a, ap := acts.RawRowView(q), acts.RawRowView(pt)
			dw, err := DualVector(w, a, ap)
			if err != nil {
				t.Fatal(err)
			}
			matched++
			sumDW += dot(dw, dw)
			a2 := dot(a, a)
			J := z()
			for x := 0; x < dout; x++ {
				for u := 0; u < din; u++ {
					for v := 0; v < din; v++ {
						J.Set(x*din+u, x*din+v, a[u]*(ap[v]-a[v])/a2)
					}
				}
			}
			var t1, t2 mat.VecDense
			t1.MulVec(h, mat.NewVecDense(D, dw))
			t2.MulVec(J.T(), g.RowView(q))
			ex := make([]float64, D)
			for i := range ex {
				ex[i] = g.At(pt, i) - g.At(q, i)
			}
			tot := make([]float64, D)
			for i := range tot {
				tot[i] = t1.AtVec(i) + t2.AtVec(i)
			}
			addOuter(r.HHSD, scale, t1.RawVector().Data, t1.RawVector().Data)
			addOuter(r.GGSD, scale, t2.RawVector().Data, t2.RawVector().Data)
			addOuter(r.HGSD, scale/2, t1.RawVector().Data, t2.RawVector().Data)
			addOuter(r.HGSD, scale/2, t2.RawVector().Data, t1.RawVector().Data)
			addOuter(r.ExactSD, scale, ex, ex)
			addOuter(r.TotalSD, scale, tot, tot)
			addTo(s1, t1.RawVector().Data)
			addTo(s2, t2.RawVector().Data)
			addTo(s3, ex)
			addTo(st, tot)
			// WD: eigen-decompose h_p, keep the diagonal of dw dw^T in its eigenbasis.
			hsym := mat.NewSymDense(D, nil)
			for i := 0; i < D; i++ {
				for j := i; j < D; j++ {
					hsym.SetSym(i, j, (h.At(i, j)+h.At(j, i))/2)
				}
			}
			kap, U, err := linalg.EigSym(hsym)
			if err != nil {
				t.Fatal(err)
			}
			for mm := 0; mm < D; mm++ {
				um := mat.Col(nil, mm, U)
				c := kap[mm] * dot(um, dw)
				addOuter(r.WD, scale*c*c, um, um)
			}
		}
		addOuter(r.HH, scale, s1, s1)
		addOuter(r.GG, scale, s2, s2)
		addOuter(r.HG, scale/2, s1, s2)
		addOuter(r.HG, scale/2, s2, s1)
		addOuter(r.Exact, scale, s3, s3)
		addOuter(r.Total, scale, st, st)
	}
	r.Eh2.Scale(1/N, r.Eh2)
	r.sigma2 = sumDW / (float64(matched) * float64(D))
	// Isotropic reduction by the explicit loop: (1/(2 B N)) sum_p h_p (sigma^2 I) h_p.
	for _, batch := range m.Batches {
		for _, q := range batch {
			var hmh mat.Dense
			iso := mat.NewDiagDense(D, nil)
			for i := 0; i < D; i++ {
				iso.SetDiag(i, r.sigma2)
			}
			hmh.Mul(hs[q], iso)
			hmh.Mul(&hmh, hs[q])
			hmh.Scale(1/(2*float64(B)*N), &hmh)
			r.Iso.Add(r.Iso, &hmh)
		}
	}
	return r
}

// bruteRawHG is the authors' unsymmetrized full C2 = (1/(BN)) sum_b (sum h dw)(sum J^T g)^T,
// rebuilt from PerSampleVectors' rows (checked separately against dense Hessians).
func bruteRawHG(t *testing.T, p *curv.Problem, m *Matching, B int) *mat.Dense {
	t.Helper()
	v, err := PerSampleVectors(p, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, D := v.TermI.Dims()
	out := mat.NewDense(D, D, nil)
	for _, batch := range m.Batches {
		s1, s2 := make([]float64, D), make([]float64, D)
		for _, q := range batch {
			addTo(s1, v.TermI.RawRowView(q))
			addTo(s2, v.TermII.RawRowView(q))
		}
		addOuter(out, 1/(float64(B)*float64(m.N)), s1, s2)
	}
	return out
}

func addOuter(dst *mat.Dense, s float64, x, y []float64) {
	for i, xi := range x {
		if xi == 0 {
			continue
		}
		row := dst.RawRowView(i)
		for j, yj := range y {
			row[j] += s * xi * yj
		}
	}
}

// TestAnalyzeAgainstBruteForce checks every dense AWD matrix (and hence the decomposition
// identity C^hh + 2 sym C^hg + C^gg = covariance of the first-order AWD gradient difference,
// same-sample and full), the WD variant, E_p[h_p^2] and the isotropic reduction against
// explicit loops with dense per-sample Hessians, and the diagonals against V^T A V.
func TestAnalyzeAgainstBruteForce(t *testing.T) {
	// Batch 8 gives 6 matching batches (full terms by the low-rank route), batch 2 gives
	// 22 > D = 20 batches (dense route).
	for _, c := range []struct {
		loss      string
		batch, nb int
	}{{"ce", 8, 6}, {"mse", 8, 6}, {"ce", 2, 22}} {
		t.Run(fmt.Sprintf("%s/batch%d", c.loss, c.batch), func(t *testing.T) {
			p := smallProblem(t, 43, c.loss, 7)
			opts := Options{Match: MatchOptions{Batch: c.batch, Anchors: 3, Seed: 9}, NoiseBatch: 5,
				Exact: true, KeepDense: true, Chunk: 10}
			res, err := Analyze(p, opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.N != 43 || res.D != 20 || res.Unmatched != 0 || len(res.Matching.Batches) != c.nb {
				t.Fatalf("N %d D %d unmatched %d batches %d", res.N, res.D, res.Unmatched, len(res.Matching.Batches))
			}
			br := bruteTerms(t, p, res.Matching, 5)
			d := res.Dense
			check := func(name string, got *mat.SymDense, want *mat.Dense, tol float64) {
				t.Helper()
				if got == nil {
					t.Fatalf("%s: not kept", name)
				}
				if e := relFrob(got, want); e > tol || math.IsNaN(e) {
					t.Errorf("%s: relative Frobenius error %.3g (|want| = %.3g)", name, e, mat.Norm(want, 2))
				}
			}
			check("HH", d.HH, br.HH, 1e-11)
			check("HG", d.HG, br.HG, 1e-11)
			check("GG", d.GG, br.GG, 1e-11)
			check("HHSD", d.HHSD, br.HHSD, 1e-11)
			check("HGSD", d.HGSD, br.HGSD, 1e-11)
			check("GGSD", d.GGSD, br.GGSD, 1e-11)
			check("HHSDWD", d.HHSDWD, br.WD, 1e-9)
			check("Eh2", d.Eh2, br.Eh2, 1e-11)
			check("Iso", d.Iso, br.Iso, 1e-11)
			check("Exact", d.Exact, br.Exact, 1e-11)
			check("ExactSD", d.ExactSD, br.ExactSD, 1e-11)

			// Norms against the brute-force matrices.
			var code mat.Dense
			code.Add(br.HH, br.GG)
			rawHG := bruteRawHG(t, p, res.Matching, 5)
			code.Add(&code, rawHG)
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"HH", res.Norms.HH, mat.Norm(br.HH, 2)}, {"HG", res.Norms.HG, mat.Norm(br.HG, 2)},
				{"GG", res.Norms.GG, mat.Norm(br.GG, 2)}, {"HGRaw", res.Norms.HGRaw, mat.Norm(rawHG, 2)},
				{"CodeTotal", res.Norms.CodeTotal, mat.Norm(&code, 2)}, {"Exact", res.Norms.Exact, mat.Norm(br.Exact, 2)},
				{"HHSD", res.Norms.HHSD, mat.Norm(br.HHSD, 2)}, {"HGSD", res.Norms.HGSD, mat.Norm(br.HGSD, 2)},
				{"GGSD", res.Norms.GGSD, mat.Norm(br.GGSD, 2)}, {"ExactSD", res.Norms.ExactSD, mat.Norm(br.ExactSD, 2)},
				{"HHSDWD", res.Norms.HHSDWD, mat.Norm(br.WD, 2)}, {"Eh2", res.Norms.Eh2, mat.Norm(br.Eh2, 2)},
				{"Iso", res.Norms.Iso, mat.Norm(br.Iso, 2)}} {
				if e := math.Abs(c.got-c.want) / c.want; e > 1e-10 || math.IsNaN(e) {
					t.Errorf("norm %s = %.15g, brute %.15g (relative %.3g)", c.name, c.got, c.want, e)
				}
			}

			// Decomposition identity: C^hh + 2 sym C^hg + C^gg = (1/(BN)) sum (t1+t2)(t1+t2)^T.
			for _, c := range []struct {
				name       string
				hh, hg, gg *mat.SymDense
				want       *mat.Dense
				norm       float64
			}{{"full", d.HH, d.HG, d.GG, br.Total, res.Norms.Total}, {"SD", d.HHSD, d.HGSD, d.GGSD, br.TotalSD, res.Norms.TotalSD}} {
				var sum mat.Dense
				sum.Scale(2, c.hg)
				sum.Add(&sum, c.hh)
				sum.Add(&sum, c.gg)
				if e := relFrob(&sum, c.want); e > 1e-11 {
					t.Errorf("%s decomposition identity: relative error %.3g", c.name, e)
				}
				if e := math.Abs(c.norm-mat.Norm(c.want, 2)) / mat.Norm(c.want, 2); e > 1e-11 {
					t.Errorf("%s total norm %g, want %g", c.name, c.norm, mat.Norm(c.want, 2))
				}
			}

			// Diagonals in H's eigenbasis.
			V := d.Basis
			H, err := curv.Hessian(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name string
				got  []float64
				a    *mat.Dense
			}{{"HH", res.Diag.HH, br.HH}, {"HG", res.Diag.HG, br.HG}, {"GGSD", res.Diag.GGSD, br.GGSD},
				{"HHSDWD", res.Diag.HHSDWD, br.WD}, {"Eh2", res.Diag.Eh2, br.Eh2}, {"Iso", res.Diag.Iso, br.Iso},
				{"Total", res.Diag.Total, br.Total}, {"TotalSD", res.Diag.TotalSD, br.TotalSD}} {
				var r mat.Dense
				r.Mul(V.T(), c.a)
				r.Mul(&r, V)
				want := make([]float64, res.D)
				for i := range want {
					want[i] = r.At(i, i)
				}
				if e := relVec(c.got, want); e > 1e-9 {
					t.Errorf("diag %s: relative error %.3g", c.name, e)
				}
			}
			hd := linalg.DiagOfVtAV(V, H)
			if e := relVec(res.Diag.H, hd); e > 1e-10 {
				t.Errorf("H_ii vs lambda: relative error %.3g", e)
			}
			for i := 1; i < len(res.Diag.H); i++ {
				if res.Diag.H[i] > res.Diag.H[i-1] {
					t.Fatalf("H_ii not descending at %d", i)
				}
			}
			// Code total keeps C2 once: diag = HH + HG + GG.
			for i := range res.Diag.CodeTotal {
				if w := res.Diag.HH[i] + res.Diag.HG[i] + res.Diag.GG[i]; math.Abs(res.Diag.CodeTotal[i]-w) > 1e-12*math.Abs(w)+1e-300 {
					t.Fatalf("CodeTotal[%d] = %g, want %g", i, res.Diag.CodeTotal[i], w)
				}
			}

			// sigma_w^2 and its effective value.
			if e := math.Abs(res.SigmaW2-br.sigma2) / br.sigma2; e > 1e-12 {
				t.Errorf("SigmaW2 %g, brute %g", res.SigmaW2, br.sigma2)
			}
			eff := mat.Trace(br.HHSD) / (mat.Trace(br.Eh2) / 5)
			if e := math.Abs(res.SigmaW2Eff-eff) / eff; e > 1e-10 {
				t.Errorf("SigmaW2Eff %g, want %g", res.SigmaW2Eff, eff)
			}
			// E_p[h_p^2] agrees with lib/curv when every sample takes part.
			h2, err := curv.HessianSquare(p)
			if err != nil {
				t.Fatal(err)
			}
			check("Eh2 vs curv", d.Eh2, mat.DenseCopyOf(h2), 1e-11)

			// Fits exist for the claimed pairs.
			for _, name := range []string{"Eh2~H", "HHSD~Eh2", "Total~H"} {
				found := false
				for _, f := range res.Fits {
					if f.Name == name {
						found = true
					}
				}
				if !found {
					t.Errorf("fit %s missing", name)
				}
			}
		})
	}
}

// TestAnalyzeBasisAndDiagonalOnly checks that a caller-supplied basis gives the same
// diagonals as the internal eigenbasis, without KeepDense.
func TestAnalyzeBasisAndDiagonalOnly(t *testing.T) {
	p := smallProblem(t, 30, "ce", 3)
	full, err := Analyze(p, Options{KeepDense: true, Match: MatchOptions{Batch: 10, Anchors: 4}})
	if err != nil {
		t.Fatal(err)
	}
	lean, err := Analyze(p, Options{Basis: full.Dense.Basis, Lambda: full.Diag.H, Match: MatchOptions{Batch: 10, Anchors: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if lean.Dense != nil {
		t.Error("Dense kept without KeepDense")
	}
	for _, name := range []string{"HH", "HG", "GG", "HHSD", "HGSD", "GGSD", "HHSDWD", "Eh2", "Iso", "Total", "TotalSD"} {
		if e := relVec(lean.Diag.byName(name), full.Diag.byName(name)); e > 1e-12 {
			t.Errorf("%s: relative difference %.3g", name, e)
		}
	}
	if lean.Diag.Exact != nil {
		t.Error("Exact computed without Options.Exact")
	}
	if !math.IsNaN(lean.Norms.H) {
		t.Errorf("Norms.H = %g without H formed, want NaN", lean.Norms.H)
	}
	// The default normalization divides by the matching batch (the authors' convention).
	if lean.NoiseBatch != 10 {
		t.Errorf("NoiseBatch = %d, want the matching batch 10", lean.NoiseBatch)
	}
	// Norms are basis independent.
	if e := math.Abs(lean.Norms.HH-full.Norms.HH) / full.Norms.HH; e > 1e-12 {
		t.Errorf("Norms.HH differ: %g vs %g", lean.Norms.HH, full.Norms.HH)
	}
}

func TestAnalyzeRejects(t *testing.T) {
	m, err := nn.Build(nn.MLP(5, []int{4, 4}, 3, "tanh"), 1)
	if err != nil {
		t.Fatal(err)
	}
	x, labels := randData(testkit.NewRand(2), 12, 5, 3)
	l, _ := nn.LossByName("ce")
	p := &curv.Problem{Model: m, Loss: l, X: x, Labels: labels, Block: nn.Block{Layers: []string{"fc2"}}}
	if _, err := Analyze(p, Options{}); !errors.Is(err, curv.ErrNotFactorizable) || !errors.Is(err, ErrInput) {
		t.Errorf("tanh downstream: err = %v, want ErrNotFactorizable and ErrInput", err)
	}
	p.Block = nn.Block{Layers: []string{"fc1", "fc2"}}
	if _, err := Analyze(p, Options{}); !errors.Is(err, ErrInput) {
		t.Errorf("joint block: err = %v, want ErrInput", err)
	}
	q := smallProblem(t, 12, "ce", 1)
	q.Budget = 1000
	if _, err := Analyze(q, Options{}); !errors.Is(err, curv.ErrBudget) {
		t.Errorf("tiny budget: err = %v, want ErrBudget", err)
	}
	q.Budget = 0
	if _, err := Analyze(q, Options{Basis: mat.NewDense(7, 2, nil)}); !errors.Is(err, ErrInput) {
		t.Errorf("wrong basis rows: err = %v, want ErrInput", err)
	}
}

// TestPerSampleVectors checks the Kronecker shortcuts h_p dw_p = (M_p u_p) (x) a_p and
// J_p^T g_p = delta_p (x) da_p against dense per-sample Hessians.
func TestPerSampleVectors(t *testing.T) {
	p := smallProblem(t, 15, "ce", 4)
	f, err := p.Factors()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Match(f.A, p.Labels, MatchOptions{Batch: 4, Anchors: 2, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	v, err := PerSampleVectors(p, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := perSampleHessians(t, p)
	for q := 0; q < 15; q++ {
		if m.Partner[q] < 0 {
			continue
		}
		var hdw mat.VecDense
		hdw.MulVec(hs[q], v.DW.RowView(q))
		if e := relVec(v.TermI.RawRowView(q), hdw.RawVector().Data); e > 1e-12 {
			t.Errorf("sample %d: term I vs h_p dw_p: %.3g", q, e)
		}
	}
}

// TestAnalyzeClassSubset restricts the participating classes: N counts only them, and
// E_p[h_p^2] averages over them.
func TestAnalyzeClassSubset(t *testing.T) {
	p := smallProblem(t, 30, "ce", 5)
	res, err := Analyze(p, Options{Match: MatchOptions{Classes: []int{0, 2}, Batch: 7, Anchors: 3}, KeepDense: true})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, y := range p.Labels {
		if y != 1 {
			want++
		}
	}
	if res.N != want {
		t.Fatalf("N = %d, want %d", res.N, want)
	}
	hs := perSampleHessians(t, p)
	eh2 := mat.NewDense(res.D, res.D, nil)
	for q, y := range p.Labels {
		if y == 1 {
			if res.Matching.Partner[q] != -1 {
				t.Errorf("sample %d of class 1 has partner %d", q, res.Matching.Partner[q])
			}
			continue
		}
		var h2 mat.Dense
		h2.Mul(hs[q], hs[q])
		eh2.Add(eh2, &h2)
	}
	eh2.Scale(1/float64(want), eh2)
	if e := relFrob(res.Dense.Eh2, eh2); e > 1e-11 {
		t.Errorf("E_p[h_p^2] over classes {0,2}: relative error %.3g", e)
	}
}
