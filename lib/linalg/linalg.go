package linalg

import (
	"fmt"
	"math"
	"unsafe"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Backend returns "gonum" for the default pure-Go build and "openblas" for
// the build tag openblas.
func Backend() string { return backendName }

// BackendInfo describes the running backend in one line: for OpenBLAS its
// version, the kernel core it selected and its thread count; for gonum the
// number of goroutines its Dgemm may use. Print it with every benchmark number.
func BackendInfo() string { return backendInfo() }

// SerialThreads makes the BLAS and LAPACK calls of the whole process single-threaded until
// release is called (several holders may overlap; the last release restores the thread count
// the first found). With OpenBLAS, a product can round differently with different thread
// counts, so code that runs several products side by side on its own goroutines holds it:
// its results then do not depend on OPENBLAS_NUM_THREADS. In the pure-Go build it does
// nothing (gonum's results do not depend on GOMAXPROCS).
func SerialThreads() (release func()) {
	if s, ok := blas64.Implementation().(interface{ SerialThreads() func() }); ok {
		return s.SerialThreads()
	}
	return func() {}
}

// SymRankK computes the symmetric rank-k update
//
//	dst = alpha a^T a + beta dst
//
// where a is N x d with one sample per row, so a^T a = sum_p a_p a_p^T is the
// sum of the per-sample outer products. It is evaluated as ONE level-3 call
// (dsyrk, or tiled dgemm in the pure-Go build), never as N rank-1 updates; see
// the package documentation. Cost: N d (d+1) flops.
//
// If dst is empty it is resized to d x d (zeroed, so beta has no effect);
// otherwise it must be d x d. dst must not share memory with a. Only the
// upper triangle of dst's storage is read or written, as for any mat.SymDense.
func SymRankK(dst *mat.SymDense, alpha float64, a *mat.Dense, beta float64) {
	_, d := a.Dims()
	if dst.IsEmpty() {
		dst.ReuseAsSym(d)
	} else if n := dst.SymmetricDim(); n != d {
		panic(fmt.Sprintf("linalg: SymRankK: dst is %dx%d, want %dx%d (a has %d columns): %v", n, n, d, d, d, mat.ErrShape))
	}
	ar, cr := a.RawMatrix(), dst.RawSymmetric()
	if overlaps(ar.Data, cr.Data) {
		panic("linalg: SymRankK: dst shares memory with a")
	}
	syrk(alpha, ar, beta, cr)
}

// MulTA computes
//
//	dst = alpha a^T b + beta dst
//
// with a N x m and b N x n (rows are samples), so a^T b = sum_p a_p b_p^T.
// One dgemm: 2 N m n flops. If dst is empty it is resized to m x n (zeroed);
// otherwise it must be m x n. dst must not share memory with a or b.
func MulTA(dst *mat.Dense, alpha float64, a, b *mat.Dense, beta float64) {
	Gemm(true, false, alpha, a, b, beta, dst)
}

// Mul computes dst = a b with a m x k and b k x n (one dgemm, 2 m n k flops).
// If dst is empty it is resized to m x n; otherwise it must be m x n. dst may
// alias a or b (the product then goes through a temporary).
func Mul(dst *mat.Dense, a, b *mat.Dense) {
	m, k := a.Dims()
	k2, n := b.Dims()
	if k != k2 {
		panic(fmt.Sprintf("linalg: Mul: a is %dx%d but b is %dx%d, want b with %d rows: %v", m, k, k2, n, k, mat.ErrShape))
	}
	if !dst.IsEmpty() {
		if r, c := dst.Dims(); r != m || c != n {
			panic(fmt.Sprintf("linalg: Mul: dst is %dx%d, want %dx%d: %v", r, c, m, n, mat.ErrShape))
		}
		dr := dst.RawMatrix()
		if overlaps(dr.Data, a.RawMatrix().Data) || overlaps(dr.Data, b.RawMatrix().Data) {
			tmp := mat.NewDense(m, n, nil)
			Gemm(false, false, 1, a, b, 0, tmp)
			dst.Copy(tmp)
			return
		}
	}
	Gemm(false, false, 1, a, b, 0, dst)
}

// Gemm computes the general product
//
//	dst = alpha op(a) op(b) + beta dst,   op(x) = x^T if the flag is set, else x,
//
// with op(a) m x k and op(b) k x n: one dgemm, 2 m n k flops. If dst is empty it
// is resized to m x n (zeroed); otherwise it must be m x n. dst must not share
// memory with a or b.
func Gemm(transA, transB bool, alpha float64, a, b *mat.Dense, beta float64, dst *mat.Dense) {
	m, k := a.Dims()
	if transA {
		m, k = k, m
	}
	k2, n := b.Dims()
	if transB {
		k2, n = n, k2
	}
	if k != k2 {
		panic(fmt.Sprintf("linalg: Gemm: op(a) is %dx%d but op(b) is %dx%d, inner dimensions differ: %v", m, k, k2, n, mat.ErrShape))
	}
	if dst.IsEmpty() {
		dst.ReuseAs(m, n)
	} else if r, c := dst.Dims(); r != m || c != n {
		panic(fmt.Sprintf("linalg: Gemm: dst is %dx%d, want %dx%d: %v", r, c, m, n, mat.ErrShape))
	}
	ar, br, cr := a.RawMatrix(), b.RawMatrix(), dst.RawMatrix()
	if overlaps(cr.Data, ar.Data) || overlaps(cr.Data, br.Data) {
		panic("linalg: Gemm: dst shares memory with a or b")
	}
	gemm(transA, transB, alpha, ar, br, beta, cr)
}

// MulSym computes dst = a b for a symmetric d x d matrix a and a d x k matrix
// b (dsymm, 2 d^2 k flops). If dst is empty it is resized to d x k; otherwise
// it must be d x k and must not share memory with a or b.
func MulSym(dst *mat.Dense, a *mat.SymDense, b *mat.Dense) {
	d := a.SymmetricDim()
	r, k := b.Dims()
	if r != d {
		panic(fmt.Sprintf("linalg: MulSym: a is %dx%d but b is %dx%d, want b with %d rows: %v", d, d, r, k, d, mat.ErrShape))
	}
	if dst.IsEmpty() {
		dst.ReuseAs(d, k)
	} else if dr, dc := dst.Dims(); dr != d || dc != k {
		panic(fmt.Sprintf("linalg: MulSym: dst is %dx%d, want %dx%d: %v", dr, dc, d, k, mat.ErrShape))
	}
	ar, br, cr := a.RawSymmetric(), b.RawMatrix(), dst.RawMatrix()
	if overlaps(cr.Data, ar.Data) || overlaps(cr.Data, br.Data) {
		panic("linalg: MulSym: dst shares memory with a or b")
	}
	symm(ar, br, cr)
}

// vtaPanel is the number of columns of V processed at once by DiagOfVtAV, and
// vtaBlock the largest diagonal block it multiplies in full (chosen by timing
// d = 2500 with OpenBLAS: few, large dgemm calls).
const (
	vtaPanel = 1024
	vtaBlock = 384
)

// DiagOfVtAV returns the diagonal of V^T A V, that is v_i^T A v_i for every
// column v_i of v (d x k), for a symmetric d x d matrix a. This is how a matrix
// is read "in the eigenbasis of H" (docs/science.md: C_ii = v_i^T C v_i).
//
// It uses only the stored upper triangle and about halves the flops of forming
// A V, by splitting A recursively into halves,
//
//	v^T A v = v_1^T A_11 v_1 + v_2^T A_22 v_2 + 2 (A_12 v_2) . v_1,
//
// where the off-diagonal block A_12 is read in place from the upper storage
// (one dgemm on a panel of vtaPanel columns of V, then column dots) and the
// recursion stops at diagonal blocks of at most vtaBlock rows, which are copied
// to a full temporary and multiplied whole. Cost: about d^2 k + vtaBlock d k
// flops (against 2 d^2 k for A V), a (d/2) x vtaPanel workspace and no full
// copy of A.
func DiagOfVtAV(v *mat.Dense, a *mat.SymDense) []float64 {
	d := a.SymmetricDim()
	r, k := v.Dims()
	if r != d {
		panic(fmt.Sprintf("linalg: DiagOfVtAV: a is %dx%d but V is %dx%d, want V with %d rows: %v", d, d, r, k, d, mat.ErrShape))
	}
	out := make([]float64, k)
	if k == 0 || d == 0 {
		return out
	}
	ar, vr := a.RawSymmetric(), v.RawMatrix()
	np := min(k, vtaPanel)
	y := make([]float64, max(d/2, min(d, vtaBlock))*np)
	blk := make([]float64, min(d, vtaBlock)*min(d, vtaBlock))
	for j0 := 0; j0 < k; j0 += vtaPanel {
		nc := min(j0+vtaPanel, k) - j0
		acc := out[j0 : j0+nc]
		vpanel := func(r0, n int) blas64.General {
			return blas64.General{Rows: n, Cols: nc, Stride: vr.Stride, Data: vr.Data[r0*vr.Stride+j0:]}
		}
		// dotRows adds f * sum_i V[r0+i, panel] .* Y[i, :] to acc for rows r0..r0+n.
		dotRows := func(r0, n int, f float64) {
			for i := 0; i < n; i++ {
				vrow := vr.Data[(r0+i)*vr.Stride+j0 : (r0+i)*vr.Stride+j0+nc]
				yrow := y[i*nc : i*nc+nc]
				for j, x := range vrow {
					acc[j] += f * x * yrow[j]
				}
			}
		}
		var rec func(off, n int)
		rec = func(off, n int) {
			if n <= vtaBlock {
				for i := 0; i < n; i++ {
					copy(blk[i*n+i:i*n+n], ar.Data[(off+i)*ar.Stride+off+i:(off+i)*ar.Stride+off+n])
				}
				fillLower(blk, n, n)
				gemm(false, false, 1, blas64.General{Rows: n, Cols: n, Stride: n, Data: blk}, vpanel(off, n), 0,
					blas64.General{Rows: n, Cols: nc, Stride: nc, Data: y})
				dotRows(off, n, 1)
				return
			}
			h := n / 2
			a12 := blas64.General{Rows: h, Cols: n - h, Stride: ar.Stride, Data: ar.Data[off*ar.Stride+off+h:]}
			gemm(false, false, 1, a12, vpanel(off+h, n-h), 0, blas64.General{Rows: h, Cols: nc, Stride: nc, Data: y})
			dotRows(off, h, 2)
			rec(off, h)
			rec(off+h, n-h)
		}
		rec(0, d)
	}
	return out
}

// VtAV computes the congruence dst = V^T A V (k x k) for a symmetric d x d
// matrix a and a d x k matrix v, e.g. a matrix rotated into H's eigenbasis
// (K = V^T A V, docs/science.md C3). It costs one dsymm and one dgemm:
// 2 d^2 k + 2 d k^2 flops and a d x k temporary. If dst is empty it is resized
// to k x k; otherwise it must be k x k. The result is symmetric up to rounding;
// its upper triangle is kept.
func VtAV(dst *mat.SymDense, v *mat.Dense, a *mat.SymDense) {
	d := a.SymmetricDim()
	r, k := v.Dims()
	if r != d {
		panic(fmt.Sprintf("linalg: VtAV: a is %dx%d but V is %dx%d, want V with %d rows: %v", d, d, r, k, d, mat.ErrShape))
	}
	if dst.IsEmpty() {
		dst.ReuseAsSym(k)
	} else if n := dst.SymmetricDim(); n != k {
		panic(fmt.Sprintf("linalg: VtAV: dst is %dx%d, want %dx%d: %v", n, n, k, k, mat.ErrShape))
	}
	var w, full mat.Dense
	MulSym(&w, a, v)
	Gemm(true, false, 1, v, &w, 0, &full)
	fr, sr := full.RawMatrix(), dst.RawSymmetric()
	for i := 0; i < k; i++ {
		copy(sr.Data[i*sr.Stride+i:i*sr.Stride+k], fr.Data[i*fr.Stride+i:i*fr.Stride+k])
	}
}

// Symmetrize sets dst = (a + a^T)/2 for a square a, e.g. to store a product
// that is symmetric in exact arithmetic (a^T b + b^T a terms) as a SymDense.
// If dst is empty it is resized; otherwise it must match a.
func Symmetrize(dst *mat.SymDense, a *mat.Dense) {
	r, c := a.Dims()
	if r != c {
		panic(fmt.Sprintf("linalg: Symmetrize: a is %dx%d, want a square matrix: %v", r, c, mat.ErrSquare))
	}
	if dst.IsEmpty() {
		dst.ReuseAsSym(r)
	} else if n := dst.SymmetricDim(); n != r {
		panic(fmt.Sprintf("linalg: Symmetrize: dst is %dx%d, want %dx%d: %v", n, n, r, r, mat.ErrShape))
	}
	ar, sr := a.RawMatrix(), dst.RawSymmetric()
	// Computing every pair (i,j), j >= i, before writing is safe even if dst
	// shares a's storage: row i of dst only receives entries (i, j>=i), and
	// a_ji with j > i lies strictly below the diagonal, which dst never writes.
	for i := 0; i < r; i++ {
		for j := i; j < r; j++ {
			sr.Data[i*sr.Stride+j] = 0.5 * (ar.Data[i*ar.Stride+j] + ar.Data[j*ar.Stride+i])
		}
	}
}

// FormQ overwrites a (m x n, m >= n) with the first n columns of the
// orthogonal matrix Q = H_1 H_2 ... H_k, H_j = I - tau_j v_j v_j^T, k =
// len(tau) <= n, whose Householder vectors v_j (v_j[j] = 1 implicit, zero
// above) are stored below the diagonal of column j of a, the layout dgeqrf
// leaves (LAPACK dorgqr). Cost about 4 m n k - 2 (m + n) k^2 + 4 k^3/3 flops,
// blocked (level 3). OpenBLAS build: LAPACKE_dorgqr; pure-Go build: gonum's
// Dorgqr.
func FormQ(a *mat.Dense, tau []float64) {
	m, n := a.Dims()
	if m < n || len(tau) > n {
		panic(fmt.Sprintf("linalg: FormQ: a is %dx%d with %d reflectors, want m >= n >= len(tau): %v", m, n, len(tau), mat.ErrShape))
	}
	if n == 0 {
		return
	}
	formQ(a.RawMatrix(), tau)
}

// FillLower copies the upper triangle of the square matrix a into its lower
// triangle in place, making a exactly symmetric. Useful after a kernel that
// wrote only the upper triangle into a full Dense.
func FillLower(a *mat.Dense) {
	r, c := a.Dims()
	if r != c {
		panic(fmt.Sprintf("linalg: FillLower: a is %dx%d, want a square matrix: %v", r, c, mat.ErrSquare))
	}
	ar := a.RawMatrix()
	fillLower(ar.Data, ar.Stride, r)
}

// DenseOfSym copies the symmetric matrix s into dst as a full (both
// triangles) dense matrix. If dst is empty it is resized; otherwise it must be
// n x n and must not share memory with s.
func DenseOfSym(dst *mat.Dense, s *mat.SymDense) {
	n := s.SymmetricDim()
	if dst.IsEmpty() {
		dst.ReuseAs(n, n)
	} else if r, c := dst.Dims(); r != n || c != n {
		panic(fmt.Sprintf("linalg: DenseOfSym: dst is %dx%d, want %dx%d: %v", r, c, n, n, mat.ErrShape))
	}
	sr, dr := s.RawSymmetric(), dst.RawMatrix()
	if overlaps(sr.Data, dr.Data) {
		panic("linalg: DenseOfSym: dst shares memory with s")
	}
	symToFull(dr.Data, dr.Stride, sr)
}

// EigSym computes all eigenvalues and eigenvectors of the symmetric matrix a,
// leaving a unchanged. vals is sorted in descending order and column j of
// vecs is the unit eigenvector of vals[j], with the sign convention of the
// package documentation (largest-magnitude component positive).
// OpenBLAS build: LAPACKE_dsyevd; pure-Go build: mat.EigenSym (dsyev).
// An error is returned if a has a non-finite entry or the solver fails.
func EigSym(a *mat.SymDense) (vals []float64, vecs *mat.Dense, err error) {
	if a.IsEmpty() {
		return nil, nil, fmt.Errorf("linalg: EigSym: matrix is empty: %w", mat.ErrZeroLength)
	}
	if err := checkFinite(a); err != nil {
		return nil, nil, fmt.Errorf("linalg: EigSym: %w", err)
	}
	vals, vecs, err = eigSym(a, true)
	if err != nil {
		return nil, nil, fmt.Errorf("linalg: EigSym (%s, n=%d): %w", backendName, a.SymmetricDim(), err)
	}
	normalizeSigns(vecs)
	return vals, vecs, nil
}

// EigSymValues returns the eigenvalues of the symmetric matrix a in
// descending order, without eigenvectors (several times cheaper than EigSym).
func EigSymValues(a *mat.SymDense) ([]float64, error) {
	if a.IsEmpty() {
		return nil, fmt.Errorf("linalg: EigSymValues: matrix is empty: %w", mat.ErrZeroLength)
	}
	if err := checkFinite(a); err != nil {
		return nil, fmt.Errorf("linalg: EigSymValues: %w", err)
	}
	vals, _, err := eigSym(a, false)
	if err != nil {
		return nil, fmt.Errorf("linalg: EigSymValues (%s, n=%d): %w", backendName, a.SymmetricDim(), err)
	}
	return vals, nil
}

// FlopsSymRankK is the flop count of SymRankK for a n x d: n d (d+1).
func FlopsSymRankK(n, d int) float64 { return float64(n) * float64(d) * float64(d+1) }

// FlopsGemm is the flop count of an m x k by k x n product: 2 m n k.
func FlopsGemm(m, n, k int) float64 { return 2 * float64(m) * float64(n) * float64(k) }

// FlopsEigSym is the nominal flop count of a full symmetric eigendecomposition
// with eigenvectors, 14/3 d^3 (see the package documentation). It is a
// yardstick for comparing backends, not an exact count.
func FlopsEigSym(d int) float64 { x := float64(d); return 14.0 / 3.0 * x * x * x }

// checkFinite reports the first non-finite entry of the upper triangle of a.
func checkFinite(a *mat.SymDense) error {
	r := a.RawSymmetric()
	for i := 0; i < r.N; i++ {
		for j, x := range r.Data[i*r.Stride+i : i*r.Stride+r.N] {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("entry (%d,%d) is %v, want a finite matrix", i, i+j, x)
			}
		}
	}
	return nil
}

// signTieTol: components within this relative distance of the largest
// magnitude are treated as ties, so that two backends whose vectors differ
// by rounding still choose the same component (the lowest index).
const signTieTol = 1e-9

// normalizeSigns flips each column of v so that its largest-magnitude
// component is positive.
func normalizeSigns(v *mat.Dense) {
	raw := v.RawMatrix()
	for j := 0; j < raw.Cols; j++ {
		maxAbs := 0.0
		for i := 0; i < raw.Rows; i++ {
			maxAbs = max(maxAbs, math.Abs(raw.Data[i*raw.Stride+j]))
		}
		thr := maxAbs * (1 - signTieTol)
		for i := 0; i < raw.Rows; i++ {
			x := raw.Data[i*raw.Stride+j]
			if math.Abs(x) >= thr {
				if x < 0 {
					for r := 0; r < raw.Rows; r++ {
						raw.Data[r*raw.Stride+j] = -raw.Data[r*raw.Stride+j]
					}
				}
				break
			}
		}
	}
}

// reverseAscending reverses vals in place: LAPACK's ascending order becomes
// the package's descending order.
func reverseAscending(vals []float64) {
	for i, j := 0, len(vals)-1; i < j; i, j = i+1, j-1 {
		vals[i], vals[j] = vals[j], vals[i]
	}
}

// fillLower mirrors the upper triangle of the n x n row-major block a (stride
// ld) into its lower triangle.
func fillLower(a []float64, ld, n int) {
	// Blocked transpose-copy so that the strided reads stay in cache.
	const bs = 64
	for i0 := 0; i0 < n; i0 += bs {
		for j0 := 0; j0 <= i0; j0 += bs {
			for i := i0; i < min(i0+bs, n); i++ {
				for j := j0; j < min(j0+bs, i); j++ {
					a[i*ld+j] = a[j*ld+i]
				}
			}
		}
	}
}

// symToFull writes the full symmetric matrix s into the n x n row-major block
// dst (stride ld).
func symToFull(dst []float64, ld int, s blas64.Symmetric) {
	n := s.N
	for i := 0; i < n; i++ {
		copy(dst[i*ld+i:i*ld+n], s.Data[i*s.Stride+i:i*s.Stride+n])
	}
	fillLower(dst, ld, n)
}

// overlaps reports whether the used parts of two slices share memory.
func overlaps(a, b []float64) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0 := uintptr(unsafe.Pointer(&a[0]))
	a1 := a0 + uintptr(len(a))*8
	b0 := uintptr(unsafe.Pointer(&b[0]))
	b1 := b0 + uintptr(len(b))*8
	return a0 < b1 && b0 < a1
}

// VechIndex returns the table t[i*n+k] = index of the pair (min(i,k), max(i,k)) in the
// row-major enumeration of the upper triangle of an n x n matrix (n(n+1)/2 entries). It maps
// a symmetric matrix's entries to its packed "vech" form, which halves each side of the
// Kronecker-factored products of per-sample curvature (lib/curv, lib/awd).
func VechIndex(n int) []int {
	t := make([]int, n*n)
	idx := 0
	for i := 0; i < n; i++ {
		for k := i; k < n; k++ {
			t[i*n+k], t[k*n+i] = idx, idx
			idx++
		}
	}
	return t
}
