package curv

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/parallel"
	"github.com/noisecurv/noisecurv/lib/linalg"
)

// kronDense computes, for each factor q, the D x D matrix
//
//	K_q = scale * sum_p M^q_p (x) a~_p a~_p^T
//
// as ONE matrix product per chunk of samples over the vech halves of both sides:
// P = U^T W with W's rows vech(a~_p a~_p^T) (chunk x In(In+1)/2) and U's rows the
// concatenation over q of vech(M^q_p) (chunk x nq Dout(Dout+1)/2), so that all factors share
// one dgemm (and one pass over W) per chunk; row block q of P is P_q. Then
// K[(i,j),(k,l)] = P_q[vech(i,k), vech(j,l)] (symmetry of M_p and of a a^T makes the halves
// sufficient: 4x fewer flops than vec x vec). Results are in block layout.
//
// The per-sample rows are filled and the results scattered by GOMAXPROCS goroutines (the
// dgemm itself runs on the BLAS's own threads), so that the O(N D) and O(D^2) work around the
// O(N D^2) product stays small against it (BenchmarkKronProducts compares each product with a
// plain dgemm of the same shape).
func (f *Factors) kronDense(b Budget, chunk int, scale float64, facs ...kfac) ([]*mat.SymDense, error) {
	return f.kronDenseStop(nil, b, chunk, scale, facs...)
}

// kronDenseStop is kronDense polling stop (may be nil) before each chunk of samples.
func (f *Factors) kronDenseStop(stop func() error, b Budget, chunk int, scale float64, facs ...kfac) ([]*mat.SymDense, error) {
	nq := len(facs)
	no, ni := f.Dout*(f.Dout+1)/2, f.In*(f.In+1)/2
	chunk = max(1, min(chunk, f.N))
	floats := float64(nq)*(float64(f.D)*float64(f.D)+float64(no)*float64(ni)) +
		float64(chunk)*float64(ni+nq*no)
	if f.Bias {
		floats += float64(f.D) * float64(f.D) // the permutation copy
	}
	if err := b.check(fmt.Sprintf("%d dense %dx%d curvature matrices of layer %s", nq, f.D, f.D, f.Layer), floats, ""); err != nil {
		return nil, err
	}
	vo, vi := linalg.VechIndex(f.Dout), linalg.VechIndex(f.In)
	P := mat.NewDense(nq*no, ni, nil)
	W := mat.NewDense(chunk, ni, nil)
	U := mat.NewDense(chunk, nq*no, nil)
	workers := max(1, runtime.GOMAXPROCS(0))
	tmps := make([][]float64, workers)
	for w := range tmps {
		tmps[w] = make([]float64, f.Classes*f.Dout+f.Dout)
	}
	for s := 0; s < f.N; s += chunk {
		if stop != nil {
			if err := stop(); err != nil {
				return nil, err
			}
		}
		e := min(f.N, s+chunk)
		rows := e - s
		Wc := W.Slice(0, rows, 0, ni).(*mat.Dense)
		Uc := U.Slice(0, rows, 0, nq*no).(*mat.Dense)
		parallel.Ranges(rows, workers, func(w, r0, r1 int) {
			tmp := tmps[w]
			for r := r0; r < r1; r++ {
				p := s + r
				vechOuter(rowOf(Wc, r), rowOf(f.A, p))
				u := rowOf(Uc, r)
				for q, fac := range facs {
					fac.fillVech(p, f.Dout, u[q*no:(q+1)*no], tmp)
				}
			}
		})
		beta := 1.0
		if s == 0 {
			beta = 0
		}
		linalg.MulTA(P, 1, Uc, Wc, beta)
	}
	W, U = nil, nil
	out := make([]*mat.SymDense, nq)
	for q := range out {
		out[q] = f.scatter(P.Slice(q*no, (q+1)*no, 0, ni).(*mat.Dense), vo, vi, scale, workers)
	}
	return out, nil
}

// vechOuter writes vech(a a^T) (row-major upper triangle, n(n+1)/2 entries) into w.
func vechOuter(w, a []float64) {
	idx := 0
	for j, aj := range a {
		dst := w[idx : idx+len(a)-j]
		if aj == 0 {
			clear(dst)
		} else {
			for l, al := range a[j:] {
				dst[l] = aj * al
			}
		}
		idx += len(a) - j
	}
}

// scatter writes K[(i,j),(k,l)] = scale * P[vo(i,k), vi(j,l)] (upper triangle) and returns K in
// block layout. The block rows i are shared out to the workers (dynamically: row i has
// Dout - i blocks).
func (f *Factors) scatter(P *mat.Dense, vo, vi []int, scale float64, workers int) *mat.SymDense {
	D, in, dout := f.D, f.In, f.Dout
	K := mat.NewSymDense(D, nil)
	kr := K.RawSymmetric()
	pr := P.RawMatrix()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, dout)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= dout {
					return
				}
				for k := i; k < dout; k++ {
					prow := pr.Data[vo[i*dout+k]*pr.Stride:]
					for j := 0; j < in; j++ {
						I := i*in + j
						vij := vi[j*in:]
						l0 := 0
						if k == i {
							l0 = j
						}
						dst := kr.Data[I*kr.Stride+k*in : I*kr.Stride+(k+1)*in]
						for l := l0; l < in; l++ {
							dst[l] = scale * prow[vij[l]]
						}
					}
				}
			}
		})
	}
	wg.Wait()
	return f.symToExt(K)
}

// PerSampleHessian returns the exact h_p = M_p (x) a~_p a~_p^T of sample p (block layout).
// It needs PiecewiseLinear.
func (f *Factors) PerSampleHessian(p int) (*mat.SymDense, error) {
	if !f.PiecewiseLinear {
		return nil, fmt.Errorf("%w: per-sample Hessian of layer %s: %s; use Method HVP", ErrNotFactorizable, f.Layer, f.Reason)
	}
	if p < 0 || p >= f.N {
		return nil, fmt.Errorf("%w: sample index %d out of range [0,%d)", ErrInput, p, f.N)
	}
	return f.kronSample(f.hessFac(), p), nil
}

// kronSample forms M_p (x) a~ a~^T for one sample (block layout).
func (f *Factors) kronSample(fac kfac, p int) *mat.SymDense {
	m := make([]float64, f.Dout*f.Dout)
	fac.fillM(p, f.Dout, m, make([]float64, fac.r*f.Dout))
	a := rowOf(f.A, p)
	h := mat.NewSymDense(f.D, nil)
	hr := h.RawSymmetric()
	for i := 0; i < f.Dout; i++ {
		for j := 0; j < f.In; j++ {
			I := i*f.In + j
			for k := 0; k < f.Dout; k++ {
				mik := m[i*f.Dout+k] * a[j]
				for l := 0; l < f.In; l++ {
					if J := k*f.In + l; J >= I {
						hr.Data[I*hr.Stride+J] = mik * a[l]
					}
				}
			}
		}
	}
	return f.symToExt(h)
}

// ----- dense quantities on the factorized route -----

// mean returns (1/N) Σ_p of the Kronecker-factored per-sample matrices of fac, dense.
func (f *Factors) mean(b Budget, chunk int, fac kfac) (*mat.SymDense, error) {
	r, err := f.kronDense(b, chunk, 1/float64(f.N), fac)
	if err != nil {
		return nil, err
	}
	return r[0], nil
}

// Hessian returns H = (1/N) sum_p M_p (x) a~ a~^T (needs PiecewiseLinear).
func (f *Factors) Hessian(b Budget, chunk int) (*mat.SymDense, error) {
	if !f.PiecewiseLinear {
		return nil, fmt.Errorf("%w: Hessian of layer %s: %s; use Method HVP", ErrNotFactorizable, f.Layer, f.Reason)
	}
	return f.mean(b, chunk, f.hessFac())
}

// GaussNewton returns GGN = (1/N) sum_p J_p^T Q_p J_p with J_p = B_p (x) a~_p^T. It is exact
// for any downstream network (the logits depend on W only through z = W a~).
func (f *Factors) GaussNewton(b Budget, chunk int) (*mat.SymDense, error) {
	return f.mean(b, chunk, f.hessFac())
}

// HessianSquare returns E_p[h_p^2] = (1/N) sum_p M_p^2 (x) |a~_p|^2 a~_p a~_p^T.
func (f *Factors) HessianSquare(b Budget, chunk int) (*mat.SymDense, error) {
	if !f.PiecewiseLinear {
		return nil, fmt.Errorf("%w: E_p[h_p^2] of layer %s: %s; use Method HVP", ErrNotFactorizable, f.Layer, f.Reason)
	}
	return f.mean(b, chunk, f.h2Fac())
}

// EmpiricalFisher returns E_p[g_p g_p^T] = (1/N) sum_p delta_p delta_p^T (x) a~ a~^T.
func (f *Factors) EmpiricalFisher(b Budget, chunk int) (*mat.SymDense, error) {
	return f.mean(b, chunk, f.efFac())
}

// TrueFisher returns F = E_p sum_c p_c g_p(c) g_p(c)^T, the exact expectation over labels
// drawn from the model's softmax distribution p = softmax(z_p).
func (f *Factors) TrueFisher(b Budget, chunk int) (*mat.SymDense, error) {
	return f.mean(b, chunk, f.fisherFac())
}

// NoiseCov returns Eq. 2, C = (1/B)(E_p[g_p g_p^T] - g g^T).
func (f *Factors) NoiseCov(batch int, b Budget, chunk int) (*mat.SymDense, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("%w: batch size %d, want > 0", ErrInput, batch)
	}
	ef, err := f.EmpiricalFisher(b, chunk)
	if err != nil {
		return nil, err
	}
	return covFromEF(ef, f.Gradient(), batch), nil
}

// covFromEF turns an empirical Fisher into Eq. 2 in place: C = (EF - g g^T)/B.
func covFromEF(ef *mat.SymDense, g []float64, batch int) *mat.SymDense {
	ef.SymRankOne(ef, -1, mat.NewVecDense(len(g), g))
	ef.ScaleSym(1/float64(batch), ef)
	return ef
}

// MinibatchCov is the authors' empirical estimator ("Covar"): shuffle the N samples once with
// the seeded PCG stream, cut the permutation into consecutive minibatches of size B, and
// return (1/n_b) sum_b g_b g_b^T - g g^T with g_b the mean gradient of minibatch b and g the
// full gradient. The last minibatch is KEPT even when it has fewer than B samples
// (drop_last=false, PyTorch's DataLoader default; docs/science.md does not say the authors drop
// it); its g_b is the mean over its own samples and it counts as one minibatch.
func (f *Factors) MinibatchCov(batch int, seed uint64, b Budget) (*mat.SymDense, error) {
	if err := checkBatch(batch, f.N); err != nil {
		return nil, err
	}
	gb, err := f.batchGrads(batch, seed, b)
	if err != nil {
		return nil, err
	}
	return covFromBatchGrads(gb, f.Gradient(), b)
}

// batchGrads returns the minibatch mean gradients g_b (n_b x D, block layout).
func (f *Factors) batchGrads(batch int, seed uint64, b Budget) (*mat.Dense, error) {
	perm := shuffle(f.N, seed)
	nb := (f.N + batch - 1) / batch
	if err := b.check(fmt.Sprintf("minibatch gradients (%d x %d)", nb, f.D), float64(nb)*float64(f.D), ""); err != nil {
		return nil, err
	}
	gb := mat.NewDense(nb, f.D, nil)
	g := mat.NewDense(f.Dout, f.In, nil)
	// A minibatch holds at most N samples: sizing the work space by batch alone let a huge
	// batch size allocate without bound.
	w := min(batch, f.N)
	ab := mat.NewDense(w, f.In, nil)
	db := mat.NewDense(w, f.Dout, nil)
	for bi := 0; bi < nb; bi++ {
		s, e := bi*batch, min(f.N, (bi+1)*batch)
		ac := ab.Slice(0, e-s, 0, f.In).(*mat.Dense)
		dc := db.Slice(0, e-s, 0, f.Dout).(*mat.Dense)
		for r, p := range perm[s:e] {
			copy(rowOf(ac, r), rowOf(f.A, p))
			copy(rowOf(dc, r), rowOf(f.Delta, p))
		}
		linalg.MulTA(g, 1/float64(e-s), dc, ac, 0)
		f.toExt(rowOf(gb, bi), g.RawMatrix().Data)
	}
	return gb, nil
}

// covFromBatchGrads returns (1/n_b) Gb^T Gb - g g^T.
func covFromBatchGrads(gb *mat.Dense, g []float64, b Budget) (*mat.SymDense, error) {
	nb, d := gb.Dims()
	if err := b.check(fmt.Sprintf("minibatch covariance (%d x %d)", d, d), float64(d)*float64(d), ""); err != nil {
		return nil, err
	}
	c := mat.NewSymDense(d, nil)
	linalg.SymRankK(c, 1/float64(nb), gb, 0)
	c.SymRankOne(c, -1, mat.NewVecDense(d, g))
	return c, nil
}
