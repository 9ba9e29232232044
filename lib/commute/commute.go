package commute

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/linalg"
)

// NormalizedCommutator returns |AH − HA|_F / (|A|_F |H|_F) computed explicitly, from one
// D³ product P = AH (HA = Pᵀ for symmetric A and H). It is the reference for the eigenbasis
// formulas; given H's eigenvectors, Rotate + WindowCommutator is cheaper and also gives
// windows. A zero matrix gives NaN.
func NormalizedCommutator(a, h mat.Symmetric) (float64, error) {
	if a.SymmetricDim() != h.SymmetricDim() {
		return math.NaN(), fmt.Errorf("commute: NormalizedCommutator: A is %d×%d, H is %d×%d",
			a.SymmetricDim(), a.SymmetricDim(), h.SymmetricDim(), h.SymmetricDim())
	}
	var hd, p mat.Dense
	linalg.DenseOfSym(&hd, symDense(h))
	linalg.MulSym(&p, symDense(a), &hd)
	d := a.SymmetricDim()
	raw := p.RawMatrix()
	var sq float64
	for i := 0; i < d; i++ {
		for j := i + 1; j < d; j++ {
			c := raw.Data[i*raw.Stride+j] - raw.Data[j*raw.Stride+i]
			sq += 2 * c * c
		}
	}
	return math.Sqrt(sq) / (mat.Norm(a, 2) * mat.Norm(h, 2)), nil
}

// symDense returns a as a *mat.SymDense, copying it if it is another kind of symmetric
// matrix, so that products go through lib/linalg (gonum's own symmetric product, Dsymm, is
// an unblocked serial loop).
func symDense(a mat.Symmetric) *mat.SymDense {
	if s, ok := a.(*mat.SymDense); ok {
		return s
	}
	s := mat.NewSymDense(a.SymmetricDim(), nil)
	s.CopySym(a)
	return s
}

// congruence returns (Wᵀ A W + (Wᵀ A W)ᵀ)/2 for W d×m: one symmetric product A W and one
// GEMM Wᵀ (A W), both through lib/linalg.
func congruence(a *mat.SymDense, w *mat.Dense) *mat.SymDense {
	var aw, k mat.Dense
	linalg.MulSym(&aw, a, w)
	linalg.Gemm(true, false, 1, w, &aw, 0, &k)
	var s mat.SymDense
	linalg.Symmetrize(&s, &k)
	return &s
}

// transpose returns a copy of qᵀ.
func transpose(q *mat.Dense) *mat.Dense {
	var t mat.Dense
	t.CloneFrom(q.T())
	return &t
}

// Rotate returns K = Vᵀ A V, symmetrised as (K + Kᵀ)/2 to remove rounding asymmetry. V is
// D×m with orthonormal columns (H's eigenvectors, descending eigenvalues; m < D for a
// truncated basis), A is D×D.
func Rotate(a mat.Symmetric, v *mat.Dense) (*mat.SymDense, error) {
	d := a.SymmetricDim()
	r, m := v.Dims()
	if r != d {
		return nil, fmt.Errorf("commute: Rotate: V has %d rows, A is %d×%d", r, d, d)
	}
	if m == 0 {
		return nil, fmt.Errorf("commute: Rotate: V has no columns")
	}
	return congruence(symDense(a), v), nil
}

// RotateMany rotates every matrix into the basis v (Rotate), stopping with an error wrapping
// ctx.Err() when ctx is done before a rotation.
func RotateMany(ctx context.Context, as []mat.Symmetric, v *mat.Dense) ([]*mat.SymDense, error) {
	ks := make([]*mat.SymDense, len(as))
	for i, a := range as {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("commute: Compute: %w", err)
		}
		k, err := Rotate(a, v)
		if err != nil {
			return nil, err
		}
		ks[i] = k
	}
	return ks, nil
}

// Window is a contiguous range of H's modes, 0-based and half-open: modes Lo+1..Hi in the
// paper's 1-based numbering.
type Window struct {
	Name   string
	Lo, Hi int
}

// Full is the window of all d modes.
func Full(d int) Window { return Window{Name: "full", Lo: 0, Hi: d} }

// Top is the window of the k sharpest modes (1..k).
func Top(k int) Window { return Window{Name: fmt.Sprintf("top%d", k), Lo: 0, Hi: k} }

// Bulk is the window of modes lo+1..hi (Bulk(100, 1000) is the paper's 101..1000).
func Bulk(lo, hi int) Window { return Window{Name: fmt.Sprintf("bulk%d-%d", lo+1, hi), Lo: lo, Hi: hi} }

// DefaultWindows returns the paper's windows for d modes: full, top-100 and the bulk
// 101..1000, shrunk to d (the bulk is left out when d <= 100).
func DefaultWindows(d int) []Window {
	ws := []Window{Full(d), Top(min(100, d))}
	if d > 100 {
		ws = append(ws, Bulk(100, min(1000, d)))
	}
	return ws
}

func (w Window) check(d int) error {
	if w.Lo < 0 || w.Hi > d || w.Lo >= w.Hi {
		return fmt.Errorf("commute: window %q = [%d, %d) is not a non-empty range inside the %d modes", w.Name, w.Lo, w.Hi, d)
	}
	return nil
}

// WindowMetrics are the commutativity metrics of one matrix on one window.
type WindowMetrics struct {
	Window       Window
	Commutator   float64 // |[PAP, PHP]|_F / (|PAP|_F |PHP|_F)
	CommutatorAH float64 // |P[A,H]P|_F / |PAHP|_F (the authors' normalisation)
	OffDiagRatio float64 // RMS off-diagonal / RMS diagonal of K_SS
	DiagEnergy   float64 // Σ K_ii² / |K_SS|_F²
	Spearman     float64 // ρ(K_ii, λ_i) over the window
}

// WindowCommutator returns the normalized commutator on window w from K = Vᵀ A V and H's
// eigenvalues lambda (descending, same order as K's rows).
func WindowCommutator(k mat.Symmetric, lambda []float64, w Window) (float64, error) {
	m, err := Evaluate(k, lambda, w)
	return m.Commutator, err
}

// OffDiagRatio returns RMS_{i≠j∈w} K_ij / RMS_{i∈w} K_ii (NaN for a one-mode window).
func OffDiagRatio(k mat.Symmetric, w Window) (float64, error) {
	if err := w.check(k.SymmetricDim()); err != nil {
		return math.NaN(), err
	}
	s := sums(k, nil, w)
	return s.offDiagRatio(), nil
}

// DiagonalEnergy returns Σ_{i∈w} K_ii² / Σ_{i,j∈w} K_ij² (NaN for a zero block).
func DiagonalEnergy(k mat.Symmetric, w Window) (float64, error) {
	if err := w.check(k.SymmetricDim()); err != nil {
		return math.NaN(), err
	}
	s := sums(k, nil, w)
	return s.diag / (s.diag + s.off), nil
}

// Evaluate computes all WindowMetrics of K on window w.
func Evaluate(k mat.Symmetric, lambda []float64, w Window) (WindowMetrics, error) {
	d := k.SymmetricDim()
	if len(lambda) != d {
		return WindowMetrics{}, fmt.Errorf("commute: %d eigenvalues for a %d×%d K", len(lambda), d, d)
	}
	if err := w.check(d); err != nil {
		return WindowMetrics{}, err
	}
	diag := make([]float64, w.Hi-w.Lo)
	for i := range diag {
		diag[i] = k.At(w.Lo+i, w.Lo+i)
	}
	return sums(k, lambda, w).metrics(w, diag, lambda[w.Lo:w.Hi])
}

// metrics turns the sums of window w into its WindowMetrics; diag and lam are the window's
// K_ii and λ_i (for the Spearman correlation).
func (s blockSums) metrics(w Window, diag, lam []float64) (WindowMetrics, error) {
	out := WindowMetrics{
		Window:       w,
		Commutator:   math.Sqrt(s.comm) / math.Sqrt((s.diag+s.off)*s.lam2),
		CommutatorAH: math.Sqrt(s.comm) / math.Sqrt(s.ah),
		OffDiagRatio: s.offDiagRatio(),
		DiagEnergy:   s.diag / (s.diag + s.off),
		Spearman:     math.NaN(),
	}
	if len(diag) >= 2 {
		rho, err := fit.Spearman(diag, lam)
		if err != nil {
			return out, fmt.Errorf("commute: window %q: Spearman of diag K vs λ: %w", w.Name, err)
		}
		out.Spearman = rho
	}
	return out, nil
}

// blockSums are the window sums the metrics need.
type blockSums struct {
	n         int
	diag, off float64 // Σ K_ii², Σ_{i≠j} K_ij²
	comm, ah  float64 // Σ K_ij² (λ_j−λ_i)², Σ K_ij² λ_j²
	lam2      float64 // Σ λ_i²
}

func (s blockSums) offDiagRatio() float64 {
	if s.n < 2 {
		return math.NaN()
	}
	return math.Sqrt(s.off/float64(s.n*(s.n-1))) / math.Sqrt(s.diag/float64(s.n))
}

// sums accumulates over the upper triangle of the window block (each off-diagonal pair
// counted twice by symmetry). lambda may be nil when only K sums are needed.
func sums(k mat.Symmetric, lambda []float64, w Window) blockSums {
	n := w.Hi - w.Lo
	s := blockSums{n: n}
	var lam []float64
	if lambda != nil {
		lam = lambda[w.Lo:w.Hi]
	}
	raw, isRaw := k.(mat.RawSymmetricer)
	var data []float64
	var stride int
	var row []float64
	if isRaw {
		r := raw.RawSymmetric()
		// SymDense stores the upper triangle (blas.Upper) in row-major data.
		data, stride = r.Data, r.Stride
	} else {
		row = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		g := w.Lo + i
		if isRaw {
			s.addRow(i, data[g*stride+g], data[g*stride+g+1:g*stride+w.Hi], lam)
			continue
		}
		r := row[:n-1-i]
		for j := range r {
			r[j] = k.At(g, g+1+j)
		}
		s.addRow(i, k.At(g, g), r, lam)
	}
	return s
}

// addRow adds row i of a window block to the sums: its diagonal entry kii and its entries
// right of the diagonal, row[j] = K_{i,i+1+j}; lam holds the window's eigenvalues (nil when
// only K sums are needed). Every caller goes through it, so the sums of a block do not depend
// on how its rows are stored (DiagonalNull relies on this to match NullDraw bit for bit).
func (s *blockSums) addRow(i int, kii float64, row, lam []float64) {
	s.diag += kii * kii
	if lam == nil {
		for _, kij := range row {
			k2 := kij * kij
			s.off += 2 * k2
		}
		return
	}
	li := lam[i]
	s.lam2 += li * li
	s.ah += kii * kii * li * li
	for j, kij := range row {
		lj := lam[i+1+j]
		k2 := kij * kij
		s.off += 2 * k2
		dl := lj - li
		s.comm += 2 * k2 * dl * dl
		s.ah += k2 * (li*li + lj*lj)
	}
}

// HaarOrthogonal returns a d×d orthogonal matrix drawn from the Haar measure: the Q factor
// of the QR decomposition of a standard Gaussian matrix, with column j multiplied by
// sign(R_jj) so that R has a positive diagonal (which makes the distribution exactly Haar,
// Mezzadri 2007). The QR itself is never computed (Stewart 1980): Householder QR of a
// Gaussian matrix meets, at step j, a column whose trailing d−j entries are again i.i.d.
// standard Gaussian and independent of the earlier reflectors (orthogonal invariance), so
// the reflectors are built directly from fresh Gaussian vectors x_j ∈ R^{d−j} (dlarfg's
// convention: R_jj = β_j = −sign(x_j1)|x_j|, τ_j = (β_j − x_j1)/β_j, v_j = x_j/(x_j1 − β_j))
// and Q = H_1 ⋯ H_d is formed by linalg.FormQ (blocked dorgqr). This costs 4d³/3 flops
// and d²/2 Gaussian draws, against 8d³/3 for factorizing a Gaussian matrix.
func HaarOrthogonal(d int, rng *rand.Rand) *mat.Dense {
	return haarReflectors(d, rng).form()
}

// haarDraw holds the Householder reflectors of one HaarOrthogonal draw (below the diagonal of
// q, with their tau) and the signs of R's diagonal: everything the draw takes from the
// generator, so that Q itself can be formed later, on another goroutine.
type haarDraw struct {
	q         *mat.Dense
	tau, sign []float64
}

// haarReflectors draws the reflectors of a d×d Haar Q from rng (d(d+1)/2 Gaussian values).
func haarReflectors(d int, rng *rand.Rand) haarDraw {
	h := haarDraw{q: mat.NewDense(d, d, nil), tau: make([]float64, d), sign: make([]float64, d)}
	raw := h.q.RawMatrix()
	x := make([]float64, d)
	for j := 0; j < d; j++ {
		n := d - j
		var xnorm2 float64
		for i := range x[:n] {
			x[i] = rng.NormFloat64()
			if i > 0 {
				xnorm2 += x[i] * x[i]
			}
		}
		alpha := x[0]
		h.sign[j] = math.Copysign(1, alpha)
		if xnorm2 == 0 { // the last column (n = 1): H_d = I and R_dd = x
			continue
		}
		beta := -math.Copysign(math.Sqrt(alpha*alpha+xnorm2), alpha)
		h.tau[j] = (beta - alpha) / beta
		s := 1 / (alpha - beta)
		for i := 1; i < n; i++ {
			raw.Data[(j+i)*raw.Stride+j] = x[i] * s
		}
		h.sign[j] = math.Copysign(1, beta)
	}
	return h
}

// form overwrites the reflectors with Q = H_1 ⋯ H_d (blocked dorgqr), its columns multiplied
// by the signs of R's diagonal, and returns it.
func (h haarDraw) form() *mat.Dense {
	linalg.FormQ(h.q, h.tau)
	raw := h.q.RawMatrix()
	for i := 0; i < raw.Rows; i++ {
		row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
		for j, sg := range h.sign {
			row[j] *= sg
		}
	}
	return h.q
}

// RandomSpectrumPreserving returns Qᵀ diag(eig) Q with Q = HaarOrthogonal(len(eig), rng):
// a random symmetric matrix with the given spectrum and Haar-random eigenvectors (Qᵀ is
// Haar-distributed as well). Cost: the QR of the draw and D³ flops (see spectrumDraw).
func RandomSpectrumPreserving(eig []float64, rng *rand.Rand) *mat.SymDense {
	return spectrumDraw(HaarOrthogonal(len(eig), rng), eig)
}

// spectrumDraw returns Qᵀ diag(mu) Q = Σ_k mu_k q_kᵀ q_k (q_k = row k of the orthogonal
// d×d matrix Q) as a difference of two symmetric rank-k updates, Bᵀ₊B₊ − Bᵀ₋B₋, where B±
// holds the rows sqrt(±mu_k) q_k of the positive and the negative mu_k: one dsyrk's worth
// of work (d³ flops, half a GEMM) and exact in the spectrum (no clamping of small negative
// eigenvalues of a PSD matrix).
func spectrumDraw(q *mat.Dense, mu []float64) *mat.SymDense {
	d := len(mu)
	var np, nn int
	for _, m := range mu {
		switch {
		case m > 0:
			np++
		case m < 0:
			nn++
		}
	}
	qr := q.RawMatrix()
	rows := func(n int, sign float64) *mat.Dense {
		b := mat.NewDense(n, d, nil)
		br := b.RawMatrix()
		r := 0
		for k, m := range mu {
			if m*sign <= 0 {
				continue
			}
			f := math.Sqrt(m * sign)
			dst := br.Data[r*br.Stride : r*br.Stride+d]
			for j, x := range qr.Data[k*qr.Stride : k*qr.Stride+d] {
				dst[j] = f * x
			}
			r++
		}
		return b
	}
	out := mat.NewSymDense(d, nil)
	if np > 0 {
		linalg.SymRankK(out, 1, rows(np, 1), 0)
	}
	if nn > 0 {
		linalg.SymRankK(out, -1, rows(nn, -1), 1)
	}
	return out
}

// RandomRotate returns Q K Qᵀ with Q = HaarOrthogonal: same distribution as
// RandomSpectrumPreserving(eig K), without the eigendecomposition. Cost: the QR of the
// draw, one symmetric product and one GEMM, each D³.
func RandomRotate(k mat.Symmetric, rng *rand.Rand) *mat.SymDense {
	q := HaarOrthogonal(k.SymmetricDim(), rng)
	return congruence(symDense(k), transpose(q))
}

// traces returns tr K and |K|_F² = tr K² (= tr μ and tr μ² for K's spectrum μ).
func traces(k mat.Symmetric) (tr, tr2 float64) {
	d := k.SymmetricDim()
	s := sums(k, nil, Full(d))
	for i := 0; i < d; i++ {
		tr += k.At(i, i)
	}
	return tr, s.diag + s.off
}

// HaarCommutatorRMS returns sqrt(E c²) for the full-space normalized commutator of a
// Haar-rotated K with diag(lambda) (see the package documentation); ≈ √(2/D) for spectra far
// from flat. By Jensen, the mean of c over draws is slightly below it.
func HaarCommutatorRMS(k mat.Symmetric, lambda []float64) float64 {
	d := float64(k.SymmetricDim())
	t1, t2 := traces(k)
	var l1, l2 float64
	for _, l := range lambda {
		l1 += l
		l2 += l * l
	}
	return math.Sqrt(2 * (d*t2 - t1*t1) * (d*l2 - l1*l1) / ((d - 1) * d * (d + 2) * t2 * l2))
}

// HaarDiagEnergy returns E[DiagEnergy] of a Haar-rotated K over the full space (ratio of
// expectations), (2 tr μ² + (tr μ)²) / ((D+2) tr μ²), between 2/(D+2) and 1.
func HaarDiagEnergy(k mat.Symmetric) float64 {
	d := float64(k.SymmetricDim())
	t1, t2 := traces(k)
	return (2*t2 + t1*t1) / ((d + 2) * t2)
}

// Symlog returns sign(x) log10(1 + |x|/linthresh), linear for |x| ≪ linthresh and
// logarithmic beyond it. linthresh must be > 0.
func Symlog(x, linthresh float64) float64 {
	return math.Copysign(math.Log10(1+math.Abs(x)/linthresh), x)
}

// TopBlock returns the top-left n×n block of K (n clamped to K's size) as rows, ready for
// a heat map.
func TopBlock(k mat.Matrix, n int) [][]float64 {
	r, c := k.Dims()
	n = min(n, r, c)
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, n)
		for j := range out[i] {
			out[i][j] = k.At(i, j)
		}
	}
	return out
}

// SymlogBlock returns TopBlock(k, n) with Symlog(·, linthresh) applied entrywise. A
// linthresh <= 0 selects 1e-3 · max |K_ij| over the block (1 for a zero block).
func SymlogBlock(k mat.Matrix, n int, linthresh float64) [][]float64 {
	b := TopBlock(k, n)
	if linthresh <= 0 {
		var mx float64
		for _, row := range b {
			for _, v := range row {
				mx = math.Max(mx, math.Abs(v))
			}
		}
		linthresh = 1e-3 * mx
		if linthresh == 0 {
			linthresh = 1
		}
	}
	for _, row := range b {
		for j, v := range row {
			row[j] = Symlog(v, linthresh)
		}
	}
	return b
}
