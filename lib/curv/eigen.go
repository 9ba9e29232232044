package curv

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/linalg"
)

// Eigen returns the full eigendecomposition H = V diag(lambda) V^T with eigenvalues in
// DESCENDING order (docs/science.md: "sort by lambda descending") and eigenvectors as the columns
// of V, through lib/linalg (dsyevd with OpenBLAS, gonum otherwise).
func Eigen(h *mat.SymDense) ([]float64, *mat.Dense, error) {
	if h == nil || h.SymmetricDim() == 0 {
		return nil, nil, fmt.Errorf("%w: Eigen: empty matrix", ErrInput)
	}
	raw := h.RawSymmetric()
	for i := 0; i < raw.N; i++ {
		for _, v := range raw.Data[i*raw.Stride+i : i*raw.Stride+raw.N] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("%w: Eigen: matrix has non-finite entries", ErrInput)
			}
		}
	}
	vals, vecs, err := linalg.EigSym(h)
	if err != nil {
		return nil, nil, fmt.Errorf("curv: Eigen: %w", err)
	}
	return vals, vecs, nil
}

// Rotate returns V^T A V, A expressed in the basis of V's columns (two gemms).
func Rotate(a *mat.SymDense, v *mat.Dense) *mat.Dense {
	d, k := v.Dims()
	av := mat.NewDense(d, k, nil)
	linalg.Mul(av, fullOf(a), v)
	out := mat.NewDense(k, k, nil)
	linalg.MulTA(out, 1, v, av, 0)
	return out
}

// fullOf copies a symmetric matrix into a general one, so that products go through dgemm
// (gonum's pure-Go Dsymm measured about 2x slower than its Dgemm at D = 2500).
func fullOf(a *mat.SymDense) *mat.Dense {
	n := a.SymmetricDim()
	out := mat.NewDense(n, n, nil)
	out.Copy(a)
	return out
}

// Diag returns the diagonal of V^T A V, A_ii = v_i^T A v_i, without forming the rotation:
// linalg.DiagOfVtAV, which reads only A's upper triangle in blocks (one gemm per block and
// panel of V, then column dots) for about half the flops of forming A V.
func Diag(a *mat.SymDense, v *mat.Dense) []float64 {
	d, _ := v.Dims()
	if d != a.SymmetricDim() {
		panic(fmt.Sprintf("curv: Diag: A is %dx%d but V has %d rows", a.SymmetricDim(), a.SymmetricDim(), d))
	}
	return linalg.DiagOfVtAV(v, a)
}

// LanczosOptions configures TopEigen.
type LanczosOptions struct {
	// MaxIter bounds the Krylov dimension (0 = min(D, max(3k, k+60))).
	MaxIter int
	// Tol is the residual tolerance |A y - theta y| <= Tol * max|theta| (0 = 1e-10).
	Tol float64
	// Seed seeds the random start vector.
	Seed uint64
}

// TopEigen returns the k algebraically largest eigenpairs of op (descending) by Lanczos with
// full reorthogonalization (classical Gram-Schmidt applied twice against all previous Lanczos
// vectors, so no ghost eigenvalues). The Ritz values of the tridiagonal T_j are checked every
// few steps; it stops when the k largest have residual beta_j |y_jk| below tolerance, or at
// MaxIter. An invariant subspace (beta = 0) is continued with a fresh random vector orthogonal
// to the basis. Memory: MaxIter x D.
func TopEigen(op Operator, k int, opts LanczosOptions) ([]float64, *mat.Dense, error) {
	n := op.Dim()
	if k <= 0 || k > n {
		return nil, nil, fmt.Errorf("%w: TopEigen: k = %d, want 1..%d", ErrInput, k, n)
	}
	maxIter := opts.MaxIter
	if maxIter <= 0 {
		maxIter = max(3*k, k+60)
	}
	maxIter = min(maxIter, n)
	tol := opts.Tol
	if tol <= 0 {
		tol = 1e-10
	}
	rng := newRand(opts.Seed)
	Q := make([][]float64, 0, maxIter)
	alpha := make([]float64, 0, maxIter)
	beta := make([]float64, 0, maxIter)
	randomOrth := func() []float64 {
		for try := 0; try < 5; try++ {
			q := make([]float64, n)
			for i := range q {
				q[i] = rng.NormFloat64()
			}
			orthAgainst(q, Q)
			orthAgainst(q, Q)
			if nr := math.Sqrt(dot(q, q)); nr > 1e-8 {
				for i := range q {
					q[i] /= nr
				}
				return q
			}
		}
		return nil
	}
	q := randomOrth()
	w := make([]float64, n)
	var theta []float64
	var Y *mat.Dense
	for j := 0; j < maxIter; j++ {
		Q = append(Q, q)
		op.MulVec(w, q)
		a := dot(w, q)
		alpha = append(alpha, a)
		orthAgainst(w, Q)
		orthAgainst(w, Q)
		b := math.Sqrt(dot(w, w))
		beta = append(beta, b)
		last := j+1 == maxIter
		if j+1 >= k && (last || (j+1-k)%5 == 0 || b == 0) {
			theta, Y = tridiagEig(alpha, beta[:j])
			scaleT := math.Max(math.Abs(theta[0]), math.Abs(theta[len(theta)-1]))
			conv := true
			for i := 0; i < k; i++ {
				if math.Abs(b*Y.At(j, i)) > tol*math.Max(scaleT, 1e-300) {
					conv = false
					break
				}
			}
			if conv || last {
				break
			}
		}
		if b < 1e-12*math.Max(math.Abs(a), 1e-300) {
			q = randomOrth()
			if q == nil {
				theta, Y = tridiagEig(alpha, beta[:j])
				break
			}
			beta[j] = 0
		} else {
			q = make([]float64, n)
			for i := range q {
				q[i] = w[i] / b
			}
		}
	}
	if len(theta) < k {
		return nil, nil, fmt.Errorf("curv: TopEigen: Krylov space of dimension %d cannot give %d eigenpairs", len(theta), k)
	}
	m := len(theta)
	vecs := mat.NewDense(n, k, nil)
	for i := 0; i < k; i++ {
		col := make([]float64, n)
		for j := 0; j < m; j++ {
			axpy(col, Y.At(j, i), Q[j])
		}
		vecs.SetCol(i, col)
	}
	return append([]float64(nil), theta[:k]...), vecs, nil
}

// orthAgainst removes from w its components along the (orthonormal) vectors of Q.
func orthAgainst(w []float64, Q [][]float64) {
	for _, q := range Q {
		axpy(w, -dot(w, q), q)
	}
}

// tridiagEig returns the eigenvalues (descending) and eigenvectors (columns) of the symmetric
// tridiagonal matrix with diagonal alpha and off-diagonal beta (len(alpha)-1 entries).
func tridiagEig(alpha, beta []float64) ([]float64, *mat.Dense) {
	m := len(alpha)
	t := mat.NewSymDense(m, nil)
	for i := 0; i < m; i++ {
		t.SetSym(i, i, alpha[i])
		if i+1 < m {
			t.SetSym(i, i+1, beta[i])
		}
	}
	var es mat.EigenSym
	if !es.Factorize(t, true) {
		panic("curv: Lanczos: tridiagonal eigendecomposition failed")
	}
	vals := es.Values(nil)
	var v mat.Dense
	es.VectorsTo(&v)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return vals[idx[a]] > vals[idx[b]] })
	sv := make([]float64, m)
	y := mat.NewDense(m, m, nil)
	for c, i := range idx {
		sv[c] = vals[i]
		for r := 0; r < m; r++ {
			y.Set(r, c, v.At(r, i))
		}
	}
	return sv, y
}
