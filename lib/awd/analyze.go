package awd

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/linalg"
)

// Options configures Analyze.
type Options struct {
	// Match configures the partner matching (zero value: the authors' 64 / 20).
	Match MatchOptions
	// NoiseBatch is the B of the 1/B normalization of every term (0 = Match.Batch, which is
	// what the authors' code divides by; pass the SGD batch size to compare magnitudes with
	// Eq. 2's C).
	NoiseBatch int
	// Basis holds the directions v_i as columns (D x k, block layout), normally H's
	// eigenvectors sorted by eigenvalue descending. nil: H is formed here and diagonalized.
	Basis *mat.Dense
	// Lambda are H_ii = v_i^T H v_i for Basis (optional; computed when nil).
	Lambda []float64
	// Exact adds the terms of the exact partner gradient difference g_q - g_p (two more
	// D x D products; the first-order AWD vector drops (M_p u_p) (x) da_p from it).
	Exact bool
	// KeepDense keeps the dense D x D matrices in Result.Dense.
	KeepDense bool
	// Fit configures the log-log fits of the diagonals (lib/fit; zero value: rule V1, all
	// points).
	Fit fit.Options
	// Chunk is the number of stacked per-sample rows per level-3 call (0 = Problem.Chunk,
	// or 1024).
	Chunk int
}

// Diagonals are v_i^T A v_i for every direction of the basis (sorted as the basis, i.e. by
// H_ii descending for H's eigenbasis). Term matrices are normalized as in the authors' code:
// SD ("same-sample") terms (1/(B N)) sum_p x_p y_p^T, full terms (1/(B N)) sum_b X_b Y_b^T
// with X_b = sum_{p in b} x_p over the matching batch b. See the package documentation.
type Diagonals struct {
	H   []float64 // H_ii (lambda_i for the eigenbasis; H over ALL samples of the problem)
	Eh2 []float64 // [E_p h_p^2]_ii (unscaled, over the participating samples)
	Iso []float64 // (sigma_w^2 / (2B)) [E_p h_p^2]_ii, sigma_w^2 = SigmaW2

	HH, HG, GG, Total, CodeTotal []float64 // full terms; HG is the symmetrized cross term
	HHSD, HGSD, GGSD, TotalSD    []float64 // same-sample terms
	HHSDWD                       []float64 // HHSD with M_p = dw dw^T reduced to its diagonal in h_p's eigenbasis

	Exact, ExactSD []float64 // exact partner-gradient difference (Options.Exact)
}

// Norms are Frobenius norms of the same matrices (basis independent). HGRaw is the norm of
// the unsymmetrized full cross term (what the authors' notebooks plot as |C2|), CodeTotal
// that of the authors' C = C1 + C2 + C3 (cross term once, unsymmetrized).
type Norms struct {
	H, Eh2, Iso                         float64
	HH, HG, GG, Total, CodeTotal, HGRaw float64
	HHSD, HGSD, GGSD, TotalSD           float64
	HHSDWD                              float64
	Exact, ExactSD                      float64
}

// Dense holds the dense matrices (block layout) when Options.KeepDense is set. HG and HGSD
// are symmetrized: (C^hg + C^hg^T)/2.
type Dense struct {
	H, Eh2, Iso                  *mat.SymDense
	HH, HG, GG, HHSD, HGSD, GGSD *mat.SymDense
	HHSDWD                       *mat.SymDense
	Exact, ExactSD               *mat.SymDense
	Basis                        *mat.Dense
}

// Fit is one log-log power-law fit of a diagonal against another.
type Fit struct {
	Name string // "Y~X", e.g. "HHSD~Eh2"
	X, Y string
	Res  fit.Result
	Err  string // non-empty when the fit failed (too few positive points, ...)
}

// Result is the AWD analysis of one checkpoint.
type Result struct {
	Layer           string
	N, D, Dout, Din int // N participating samples (rows in the 1/N)
	Batch           int // matching batch size
	NoiseBatch      int // B in the 1/B of every term
	// Unmatched samples had no admissible partner; ZeroActivity samples had a_p = 0 (no
	// dual weight). Both contribute zero vectors but count in N, as in the authors' code.
	Unmatched, ZeroActivity int

	// SigmaW2 = E_p |dw_p|^2 / D over the matched samples (isotropic M_p = sigma^2 I with the
	// same trace). SigmaW2Eff = tr(C^hh,SD) / tr((1/B) E_p[h_p^2]): the sigma^2 for which the
	// isotropic reduction reproduces C^hh,SD in trace.
	SigmaW2, SigmaW2Eff float64
	// MeanDist is the mean partner distance |a_q - a_p|, MeanANorm the mean |a_p|.
	MeanDist, MeanANorm float64

	Diag  Diagonals
	Norms Norms
	Fits  []Fit
	Dense *Dense // nil unless KeepDense

	Matching *Matching
}

// Fit returns the fit named "Y~X" and whether it exists and succeeded.
func (r *Result) Fit(name string) (fit.Result, bool) {
	for _, f := range r.Fits {
		if f.Name == name {
			return f.Res, f.Err == ""
		}
	}
	return fit.Result{}, false
}

// fitPairs are the log-log fits Analyze performs: every term against H (the exponents gamma
// of claim C4/C5) and the AWD terms against E_p[h_p^2] (the proportionality of claim C2).
var fitPairs = [][2]string{
	{"H", "Eh2"}, {"H", "HH"}, {"H", "HHSD"}, {"H", "HHSDWD"}, {"H", "Total"}, {"H", "TotalSD"},
	{"H", "GG"}, {"H", "GGSD"},
	{"Eh2", "HH"}, {"Eh2", "HHSD"}, {"Eh2", "HHSDWD"}, {"Eh2", "Total"}, {"Eh2", "TotalSD"},
	{"HHSDWD", "HHSD"},
	{"H", "Exact"}, {"H", "ExactSD"}, {"Eh2", "Exact"}, {"Eh2", "ExactSD"},
}

func (d *Diagonals) byName(name string) []float64 {
	switch name {
	case "H":
		return d.H
	case "Eh2":
		return d.Eh2
	case "Iso":
		return d.Iso
	case "HH":
		return d.HH
	case "HG":
		return d.HG
	case "GG":
		return d.GG
	case "Total":
		return d.Total
	case "CodeTotal":
		return d.CodeTotal
	case "HHSD":
		return d.HHSD
	case "HGSD":
		return d.HGSD
	case "GGSD":
		return d.GGSD
	case "TotalSD":
		return d.TotalSD
	case "HHSDWD":
		return d.HHSDWD
	case "Exact":
		return d.Exact
	case "ExactSD":
		return d.ExactSD
	}
	return nil
}

// Analyze runs the AWD analysis of the problem's single bias-free dense target layer: it
// matches partners on the layer's input activities, forms the AWD noise terms C^hh, C^hg,
// C^gg (full and same-sample), the diagonal-M_p variant, E_p[h_p^2] and the isotropic
// reduction, reads them in the basis (H's eigenbasis by default) and fits their diagonals
// log-log. The network must be piecewise linear after the target (h_p = M_p (x) a a^T exact).
//
// Cost (N samples, D = Dout Din, k basis vectors): 3 N D^2 flops for the same-sample rank-k
// updates (plus N D^2 with Exact), N D^2 / 2 for each of the two Kronecker sums, 2 D^2 k for
// each of the 5-6 dense diagonal reads, O(n_b D k + n_b^2 D) for the full terms, and the
// eigendecomposition of H when Basis is nil (pass H's eigenvectors from lib/curv to avoid it:
// in pure Go it dominates at D = 2500). Measured: about 25 s in pure Go on 2 cores for
// N = 2000, D = 2500 with the basis given. Peak memory about 7 D x D matrices (16 with
// KeepDense and Exact), checked against Problem.Budget.
func Analyze(p *curv.Problem, opts Options) (*Result, error) {
	f, w, err := targetWeight(p)
	if err != nil {
		return nil, err
	}
	D := f.D
	chunk := opts.Chunk
	if chunk <= 0 {
		chunk = p.Chunk
	}
	if chunk <= 0 {
		chunk = 1024
	}
	if opts.Basis != nil {
		if r, _ := opts.Basis.Dims(); r != D {
			return nil, fmt.Errorf("%w: Options.Basis has %d rows, want D = %d", ErrInput, r, D)
		}
		if _, k := opts.Basis.Dims(); opts.Lambda != nil && len(opts.Lambda) != k {
			return nil, fmt.Errorf("%w: Options.Lambda has %d values for %d basis vectors", ErrInput, len(opts.Lambda), k)
		}
	} else if opts.Lambda != nil {
		return nil, fmt.Errorf("%w: Options.Lambda given without Options.Basis", ErrInput)
	}
	if err := checkBudget(p.Budget, D, opts, chunk); err != nil {
		return nil, err
	}
	mopts := opts.Match.withDefaults()
	m, err := Match(f.A, p.Labels, mopts)
	if err != nil {
		return nil, err
	}
	B := opts.NoiseBatch
	if B <= 0 {
		B = mopts.Batch
	}
	s := newSampleData(f, w, m)
	res := &Result{Layer: f.Layer, N: m.N, D: D, Dout: f.Dout, Din: f.Din, Batch: mopts.Batch,
		NoiseBatch: B, Unmatched: m.Unmatched, ZeroActivity: s.zeroAct, Matching: m}
	scale := 1 / (float64(B) * float64(m.N))
	var keep *Dense
	if opts.KeepDense {
		keep = &Dense{}
	}

	// Basis and H_ii.
	V, lambda := opts.Basis, opts.Lambda
	if V == nil || lambda == nil {
		H, err := f.Hessian(p.Budget, chunk)
		if err != nil {
			return nil, fmt.Errorf("awd: Hessian: %w", err)
		}
		if V == nil {
			lambda, V, err = curv.Eigen(H)
			if err != nil {
				return nil, fmt.Errorf("awd: eigendecomposition of H: %w", err)
			}
		} else {
			lambda = linalg.DiagOfVtAV(V, H)
		}
		res.Norms.H = frob(H)
		if keep != nil {
			keep.H = H
		}
	} else {
		res.Norms.H = math.NaN() // not formed
	}
	res.Diag.H = append([]float64(nil), lambda...)
	if keep != nil {
		keep.Basis = V
	}
	read := func(a *mat.SymDense) []float64 { return linalg.DiagOfVtAV(V, a) }

	// sigma_w^2 and summary statistics.
	var sumDW, sumHdw, sumTrH2, sumDist, sumA float64
	matched := 0
	for q := 0; q < f.N; q++ {
		if !s.ok[q] {
			continue
		}
		matched++
		a := f.A.RawRowView(q)
		a2 := dot(a, a)
		u, mu := s.U.RawRowView(q), s.MU.RawRowView(q)
		sumDW += dot(u, u) / a2    // |dw|^2 = |u|^2 |a|^2 / |a|^4
		sumHdw += dot(mu, mu) * a2 // |h dw|^2 = |M u|^2 |a|^2
		sumDist += m.Dist[q]
		sumA += math.Sqrt(a2)
	}
	// tr(h_p^2) = |M_p|_F^2 |a_p|^4 over all participating samples (E_p[h_p^2]'s trace).
	msq := make([]float64, f.Dout*f.Dout)
	participating := participatingSamples(m)
	for _, q := range participating {
		a := f.A.RawRowView(q)
		a2 := dot(a, a)
		mp := mOf(f, q, msq)
		sumTrH2 += dot(mp, mp) * a2 * a2
	}
	if matched > 0 {
		res.SigmaW2 = sumDW / (float64(matched) * float64(D))
		res.MeanDist = sumDist / float64(matched)
		res.MeanANorm = sumA / float64(matched)
	}
	if sumTrH2 > 0 {
		res.SigmaW2Eff = sumHdw / sumTrH2
	} else {
		res.SigmaW2Eff = math.NaN()
	}

	// Same-sample and full terms: one pass over the batches, stacked rows.
	sdAndFull(res, s, m, read, V, scale, chunk, opts.Exact, keep)

	// Diagonal-M_p ("WD") variant of C^hh,SD:
	// (1/(B N)) sum_p sum_m mu_pm^2 (e_pm . u_p)^2 (e_pm e_pm^T) (x) a_p a_p^T.
	sp, err := f.Spectra(0)
	if err != nil {
		return nil, fmt.Errorf("awd: per-sample spectra: %w", err)
	}
	wd := kronSum(participating, f.A, f.Dout, scale, chunk, func(q int, k []float64) bool {
		if !s.ok[q] {
			return false
		}
		u := s.U.RawRowView(q)
		a2 := sp.ANorm2[q]
		E := sp.E.RawRowView(q)
		for mm := 0; mm < sp.Rank[q]; mm++ {
			mu := sp.Kappa.At(q, mm) / a2
			e := E[mm*f.Dout : (mm+1)*f.Dout]
			c := mu * dot(e, u)
			c *= c
			for i, ei := range e {
				for j, ej := range e {
					k[i*f.Dout+j] += c * ei * ej
				}
			}
		}
		return true
	})
	res.Diag.HHSDWD, res.Norms.HHSDWD = read(wd), frob(wd)
	if keep != nil {
		keep.HHSDWD = wd
	}
	wd = nil

	// E_p[h_p^2] = (1/N) sum_p |a_p|^2 M_p^2 (x) a_p a_p^T over the participating samples, and
	// the isotropic reduction C_iso = sigma_w^2/(2B) E_p[h_p^2].
	m2 := make([]float64, f.Dout*f.Dout)
	eh2 := kronSum(participating, f.A, f.Dout, 1/float64(m.N), chunk, func(q int, k []float64) bool {
		a := f.A.RawRowView(q)
		a2 := dot(a, a)
		mp := mOf(f, q, m2)
		d := f.Dout
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				var v float64
				for l := 0; l < d; l++ {
					v += mp[i*d+l] * mp[l*d+j]
				}
				k[i*d+j], k[j*d+i] = a2*v, a2*v
			}
		}
		return true
	})
	res.Diag.Eh2, res.Norms.Eh2 = read(eh2), frob(eh2)
	isoScale := res.SigmaW2 / (2 * float64(B))
	res.Diag.Iso = scaled(res.Diag.Eh2, isoScale)
	res.Norms.Iso = isoScale * res.Norms.Eh2
	if keep != nil {
		keep.Eh2 = eh2
		iso := mat.NewSymDense(D, nil)
		iso.ScaleSym(isoScale, eh2)
		keep.Iso = iso
	}

	// Log-log fits.
	for _, pr := range fitPairs {
		x, y := res.Diag.byName(pr[0]), res.Diag.byName(pr[1])
		if x == nil || y == nil {
			continue
		}
		ft := Fit{Name: pr[1] + "~" + pr[0], X: pr[0], Y: pr[1]}
		r, err := fit.LogLog(x, y, opts.Fit)
		if err != nil {
			ft.Err = err.Error()
		} else {
			ft.Res = r
		}
		res.Fits = append(res.Fits, ft)
	}
	res.Dense = keep
	return res, nil
}

// sdAndFull accumulates the same-sample terms over stacked per-sample rows and the full
// terms over the per-batch sums, and reads their diagonals and norms.
//
// Same-sample terms are dense (N is usually larger than D): three symmetric rank-k updates
// per chunk, for t1 (term I), t2 (term II) and t1 + t2, and the symmetrized cross term from
//
//	sym(T1^T T2) = ((T1+T2)^T (T1+T2) - T1^T T1 - T2^T T2) / 2,
//
// which costs one syrk instead of a general gemm of twice the flops (the cancellation costs
// at most eps (|C^hh| + |C^gg|) / |C^hg| in relative accuracy).
// Full terms have only one row per matching batch (n_b = N/B of them); while n_b <= D they
// are read without any D x D matrix (see fullLowRank).
func sdAndFull(res *Result, s *sampleData, m *Matching, read func(*mat.SymDense) []float64, V *mat.Dense, scale float64, chunk int, exact bool, keep *Dense) {
	D := s.f.D
	nb := len(m.Batches)
	T1, T2, T12 := mat.NewDense(chunk, D, nil), mat.NewDense(chunk, D, nil), mat.NewDense(chunk, D, nil)
	S1, S2 := mat.NewDense(nb, D, nil), mat.NewDense(nb, D, nil)
	hhsd, ggsd, totsd := mat.NewSymDense(D, nil), mat.NewSymDense(D, nil), mat.NewSymDense(D, nil)
	var T3, S3 *mat.Dense
	var exsd *mat.SymDense
	if exact {
		T3, S3 = mat.NewDense(chunk, D, nil), mat.NewDense(nb, D, nil)
		exsd = mat.NewSymDense(D, nil)
	}
	rows := 0
	flush := func() {
		if rows == 0 {
			return
		}
		linalg.SymRankK(hhsd, scale, T1.Slice(0, rows, 0, D).(*mat.Dense), 1)
		linalg.SymRankK(ggsd, scale, T2.Slice(0, rows, 0, D).(*mat.Dense), 1)
		linalg.SymRankK(totsd, scale, T12.Slice(0, rows, 0, D).(*mat.Dense), 1)
		if exact {
			linalg.SymRankK(exsd, scale, T3.Slice(0, rows, 0, D).(*mat.Dense), 1)
		}
		rows = 0
	}
	for b, batch := range m.Batches {
		s1, s2 := S1.RawRowView(b), S2.RawRowView(b)
		for _, p := range batch {
			if !s.ok[p] {
				continue
			}
			r1, r2, r12 := T1.RawRowView(rows), T2.RawRowView(rows), T12.RawRowView(rows)
			s.termI(r1, p)
			s.termII(r2, p)
			for i := range r12 {
				r12[i] = r1[i] + r2[i]
			}
			addTo(s1, r1)
			addTo(s2, r2)
			if exact {
				r3 := T3.RawRowView(rows)
				s.exact(r3, p)
				addTo(S3.RawRowView(b), r3)
			}
			rows++
			if rows == chunk {
				flush()
			}
		}
	}
	flush()
	T1, T2, T12, T3 = nil, nil, nil, nil

	// sym C^hg,SD = (C^tot - C^hh - C^gg) / 2, in place in totsd's copy.
	hgsd := mat.NewSymDense(D, nil)
	{
		h, g, t, o := hhsd.RawSymmetric(), ggsd.RawSymmetric(), totsd.RawSymmetric(), hgsd.RawSymmetric()
		for i := 0; i < D; i++ {
			for j := i; j < D; j++ {
				o.Data[i*o.Stride+j] = (t.Data[i*t.Stride+j] - h.Data[i*h.Stride+j] - g.Data[i*g.Stride+j]) / 2
			}
		}
	}
	res.Diag.HHSD, res.Diag.GGSD, res.Diag.TotalSD = read(hhsd), read(ggsd), read(totsd)
	res.Diag.HGSD = make([]float64, len(res.Diag.HHSD))
	for i := range res.Diag.HGSD {
		res.Diag.HGSD[i] = (res.Diag.TotalSD[i] - res.Diag.HHSD[i] - res.Diag.GGSD[i]) / 2
	}
	res.Norms.HHSD, res.Norms.GGSD, res.Norms.HGSD, res.Norms.TotalSD = frob(hhsd), frob(ggsd), frob(hgsd), frob(totsd)
	if exact {
		res.Diag.ExactSD, res.Norms.ExactSD = read(exsd), frob(exsd)
	}
	if keep != nil {
		keep.HHSD, keep.HGSD, keep.GGSD, keep.ExactSD = hhsd, hgsd, ggsd, exsd
	}
	hhsd, ggsd, totsd, hgsd, exsd = nil, nil, nil, nil, nil

	// Full terms (1/(B N)) sum_b X_b Y_b^T from the per-batch sums.
	if nb <= D {
		fullLowRank(res, S1, S2, S3, V, scale)
	} else {
		fullDense(res, S1, S2, S3, read, scale)
	}
	res.Diag.Total = combine(res.Diag.HH, res.Diag.HG, res.Diag.GG, 2)
	res.Diag.CodeTotal = combine(res.Diag.HH, res.Diag.HG, res.Diag.GG, 1)
	if keep != nil {
		hh, gg, tot := mat.NewSymDense(D, nil), mat.NewSymDense(D, nil), mat.NewSymDense(D, nil)
		linalg.SymRankK(hh, scale, S1, 0)
		linalg.SymRankK(gg, scale, S2, 0)
		var s12 mat.Dense
		s12.Add(S1, S2)
		linalg.SymRankK(tot, scale, &s12, 0)
		hg := mat.NewSymDense(D, nil)
		for i := 0; i < D; i++ {
			for j := i; j < D; j++ {
				hg.SetSym(i, j, (tot.At(i, j)-hh.At(i, j)-gg.At(i, j))/2)
			}
		}
		keep.HH, keep.HG, keep.GG = hh, hg, gg
		if exact {
			ex := mat.NewSymDense(D, nil)
			linalg.SymRankK(ex, scale, S3, 0)
			keep.Exact = ex
		}
	}
}

// fullLowRank reads the full terms from the n_b x D per-batch sums without D x D matrices:
// with P = S V (n_b x k) the diagonals are column sums of products of P's, and with the
// n_b x n_b Gram matrices G_xy = S_x S_y^T the Frobenius norms are
//
//	|S_x^T S_x|_F = |G_xx|_F,   |S_1^T S_2|_F^2 = sum G_11 o G_22,
//	|sym(S_1^T S_2)|_F^2 = (sum G_11 o G_22 + sum G_12 o G_12^T) / 2,
//	|X^T Y|_F^2 = sum (X X^T) o (Y Y^T)   (for the authors' C1 + C2 + C3 = [S1;S2]^T [S1+S2;S2]).
func fullLowRank(res *Result, S1, S2, S3, V *mat.Dense, scale float64) {
	nb, _ := S1.Dims()
	var P1, P2 mat.Dense
	P1.Mul(S1, V)
	P2.Mul(S2, V)
	_, k := V.Dims()
	res.Diag.HH, res.Diag.GG, res.Diag.HG = make([]float64, k), make([]float64, k), make([]float64, k)
	for b := 0; b < nb; b++ {
		p1, p2 := P1.RawRowView(b), P2.RawRowView(b)
		for i := 0; i < k; i++ {
			res.Diag.HH[i] += scale * p1[i] * p1[i]
			res.Diag.GG[i] += scale * p2[i] * p2[i]
			res.Diag.HG[i] += scale * p1[i] * p2[i]
		}
	}
	var G11, G22, G12 mat.Dense
	G11.Mul(S1, S1.T())
	G22.Mul(S2, S2.T())
	G12.Mul(S1, S2.T())
	var s1122, s1212 float64
	for b := 0; b < nb; b++ {
		for c := 0; c < nb; c++ {
			s1122 += G11.At(b, c) * G22.At(b, c)
			s1212 += G12.At(b, c) * G12.At(c, b)
		}
	}
	s2 := scale * scale
	res.Norms.HH, res.Norms.GG = scale*mat.Norm(&G11, 2), scale*mat.Norm(&G22, 2)
	res.Norms.HGRaw = math.Sqrt(s2 * s1122)
	res.Norms.HG = math.Sqrt(s2 * (s1122 + s1212) / 2)
	// Total: Gram of S1 + S2 is G11 + G12 + G12^T + G22.
	var tot float64
	for b := 0; b < nb; b++ {
		for c := 0; c < nb; c++ {
			v := G11.At(b, c) + G12.At(b, c) + G12.At(c, b) + G22.At(b, c)
			tot += v * v
		}
	}
	res.Norms.Total = scale * math.Sqrt(tot)
	// CodeTotal = X^T Y with X = [S1; S2], Y = [S1 + S2; S2]:
	// XX^T = [[G11, G12], [G12^T, G22]], YY^T = [[Gt, G12 + G22], [G12^T + G22, G22]] with
	// Gt = G11 + G12 + G12^T + G22 (G12 + G22 = (S1 + S2) S2^T).
	var code float64
	for b := 0; b < nb; b++ {
		for c := 0; c < nb; c++ {
			g11, g22, g12, g21 := G11.At(b, c), G22.At(b, c), G12.At(b, c), G12.At(c, b)
			gt := g11 + g12 + g21 + g22
			code += g11*gt + g12*(g12+g22) + g21*(g21+g22) + g22*g22
		}
	}
	res.Norms.CodeTotal = scale * math.Sqrt(math.Max(code, 0))
	if S3 != nil {
		var P3, G33 mat.Dense
		P3.Mul(S3, V)
		res.Diag.Exact = make([]float64, k)
		for b := 0; b < nb; b++ {
			p3 := P3.RawRowView(b)
			for i := 0; i < k; i++ {
				res.Diag.Exact[i] += scale * p3[i] * p3[i]
			}
		}
		G33.Mul(S3, S3.T())
		res.Norms.Exact = scale * mat.Norm(&G33, 2)
	}
}

// fullDense forms the full terms as D x D matrices (when there are more batches than D).
func fullDense(res *Result, S1, S2, S3 *mat.Dense, read func(*mat.SymDense) []float64, scale float64) {
	_, D := S1.Dims()
	hh, gg := mat.NewSymDense(D, nil), mat.NewSymDense(D, nil)
	linalg.SymRankK(hh, scale, S1, 0)
	linalg.SymRankK(gg, scale, S2, 0)
	hgraw := mat.NewDense(D, D, nil)
	linalg.MulTA(hgraw, scale, S1, S2, 0)
	hg := mat.NewSymDense(D, nil)
	linalg.Symmetrize(hg, hgraw)
	res.Norms.HGRaw = mat.Norm(hgraw, 2)
	res.Diag.HH, res.Diag.GG, res.Diag.HG = read(hh), read(gg), read(hg)
	res.Norms.HH, res.Norms.GG, res.Norms.HG = frob(hh), frob(gg), frob(hg)
	res.Norms.Total = frobCombo(hh, hg, gg, 2)
	res.Norms.CodeTotal = frobComboRaw(hh, hgraw, gg)
	if S3 != nil {
		ex := mat.NewSymDense(D, nil)
		linalg.SymRankK(ex, scale, S3, 0)
		res.Diag.Exact, res.Norms.Exact = read(ex), frob(ex)
	}
}

// checkBudget refuses analyses whose dense matrices do not fit the budget.
func checkBudget(b curv.Budget, D int, opts Options, chunk int) error {
	lim := int64(b)
	if lim == 0 {
		lim = int64(curv.DefaultBudget)
	}
	if lim < 0 {
		return nil
	}
	// Same-sample stage: C^hh,SD, C^gg,SD, C^tot,SD, C^hg,SD (+ C^ex,SD), plus H and the
	// basis; later stages replace these unless they are kept.
	mats := 6.0
	if opts.Exact {
		mats++
	}
	if opts.KeepDense {
		mats = 14 // H, basis, E h^2, iso, 3 full, 3 SD, WD, C^tot,SD, 2 transient
		if opts.Exact {
			mats += 2
		}
	}
	floats := mats*float64(D)*float64(D) + 4*float64(chunk)*float64(D)
	if bytes := 8 * floats; bytes > float64(lim) {
		return fmt.Errorf("%w: the AWD analysis of D = %d needs about %.2f GiB of dense matrices (%g D x D), budget %.2f GiB; lower Options.Chunk, drop KeepDense/Exact or raise Problem.Budget",
			curv.ErrBudget, D, bytes/(1<<30), mats, float64(lim)/(1<<30))
	}
	return nil
}

// participatingSamples lists the participating samples in batch order.
func participatingSamples(m *Matching) []int {
	out := make([]int, 0, m.N)
	for _, b := range m.Batches {
		out = append(out, b...)
	}
	return out
}

// mOf writes M_p = B_p^T Q_p B_p (Dout x Dout, row-major) into dst and returns it.
func mOf(f *curv.Factors, p int, dst []float64) []float64 {
	d, C := f.Dout, f.Classes
	B, Q := f.Jac.RawRowView(p), f.Q.RawRowView(p)
	clear(dst)
	for c := 0; c < C; c++ {
		for e := 0; e < C; e++ {
			q := Q[c*C+e]
			if q == 0 {
				continue
			}
			bc, be := B[c*d:(c+1)*d], B[e*d:(e+1)*d]
			for i, x := range bc {
				if x == 0 {
					continue
				}
				r := dst[i*d : (i+1)*d]
				for j, y := range be {
					r[j] += x * q * y
				}
			}
		}
	}
	return dst
}

func dot(x, y []float64) float64 {
	var s float64
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

func addTo(dst, x []float64) {
	for i, v := range x {
		dst[i] += v
	}
}

func scaled(x []float64, s float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = s * v
	}
	return out
}

// combine returns a + c b + d elementwise.
func combine(a, b, d []float64, c float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] + c*b[i] + d[i]
	}
	return out
}

func frob(a *mat.SymDense) float64 { return mat.Norm(a, 2) }

// frobCombo returns |A + c B + D|_F for symmetric matrices.
func frobCombo(a, b, d *mat.SymDense, c float64) float64 {
	n := a.SymmetricDim()
	var s float64
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			v := a.At(i, j) + c*b.At(i, j) + d.At(i, j)
			if i == j {
				s += v * v
			} else {
				s += 2 * v * v
			}
		}
	}
	return math.Sqrt(s)
}

// frobComboRaw returns |A + R + D|_F with R general (the authors' C1 + C2 + C3).
func frobComboRaw(a *mat.SymDense, r *mat.Dense, d *mat.SymDense) float64 {
	n := a.SymmetricDim()
	var s float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			v := a.At(i, j) + r.At(i, j) + d.At(i, j)
			s += v * v
		}
	}
	return math.Sqrt(s)
}
