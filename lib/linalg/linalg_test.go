package linalg_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"
	gonumlapack "gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/linalg"
)

// tol is the relative accuracy every kernel must reach against its naive
// reference, measured against an error bound built from absolute values.
const tol = 1e-10

// randDense returns an r x c matrix of standard normals. With pad > 0 it is a
// view into a wider matrix (stride c+pad) whose extra columns hold NaN, so
// kernels that ignore the stride or read outside the view are caught.
func randDense(rng *rand.Rand, r, c, pad int) *mat.Dense {
	full := mat.NewDense(r, c+pad, nil)
	raw := full.RawMatrix()
	for i := 0; i < r; i++ {
		for j := 0; j < c+pad; j++ {
			if j < c {
				raw.Data[i*raw.Stride+j] = rng.NormFloat64()
			} else {
				raw.Data[i*raw.Stride+j] = math.NaN()
			}
		}
	}
	return full.Slice(0, r, 0, c).(*mat.Dense)
}

// randSym returns a random symmetric d x d matrix whose unused strictly
// lower storage holds NaN, so a kernel reading it is caught.
func randSym(rng *rand.Rand, d int) *mat.SymDense {
	data := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			if j >= i {
				data[i*d+j] = rng.NormFloat64()
			} else {
				data[i*d+j] = math.NaN()
			}
		}
	}
	return mat.NewSymDense(d, data)
}

// checkClose fails if |got - want| > tol * bound (+ a tiny absolute floor)
// anywhere; bound(i, j) is the reference computed with absolute values, the
// natural scale of the rounding error of a sum.
func checkClose(t *testing.T, what string, got, want, bound func(i, j int) float64, r, c int) {
	t.Helper()
	worst, wi, wj := 0.0, 0, 0
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			g, w := got(i, j), want(i, j)
			if math.IsNaN(g) {
				t.Fatalf("%s: entry (%d,%d) is NaN, want %g", what, i, j, w)
			}
			e := math.Abs(g-w) / (bound(i, j) + 1e-300)
			if e > worst {
				worst, wi, wj = e, i, j
			}
		}
	}
	if worst > tol {
		t.Errorf("%s: relative error %.3g at (%d,%d) (got %.17g, want %.17g), want <= %g",
			what, worst, wi, wj, got(wi, wj), want(wi, wj), tol)
	}
}

func TestBackend(t *testing.T) {
	b := linalg.Backend()
	if b != "gonum" && b != "openblas" {
		t.Fatalf("Backend() = %q, want gonum or openblas", b)
	}
	t.Logf("backend: %s", linalg.BackendInfo())
	impl := fmt.Sprintf("%T", blas64.Implementation())
	if routed := strings.Contains(impl, "linalg"); routed != (b == "openblas") {
		t.Errorf("blas64 implementation is %s with backend %s; want the OpenBLAS adapter exactly in the openblas build", impl, b)
	}
}

// TestSymRankK compares one SymRankK call with the explicit sum of
// per-sample outer products sum_p a_p a_p^T.
func TestSymRankK(t *testing.T) {
	rng := testkit.NewRand(1)
	for _, sz := range []struct{ n, d, pad int }{{1, 1, 0}, {7, 3, 2}, {50, 130, 0}, {300, 257, 3}, {129, 128, 0}} {
		for _, ab := range []struct{ alpha, beta float64 }{{1, 0}, {0.7, -0.3}, {-2, 1}, {0, 0.5}} {
			name := fmt.Sprintf("N%d_d%d_alpha%g_beta%g", sz.n, sz.d, ab.alpha, ab.beta)
			a := randDense(rng, sz.n, sz.d, sz.pad)
			c0 := randSym(rng, sz.d)
			dst := mat.NewSymDense(sz.d, nil)
			dst.CopySym(c0)
			// NaN in the ignored lower storage must neither be read nor
			// overwritten.
			raw := dst.RawSymmetric()
			for i := 0; i < sz.d; i++ {
				for j := 0; j < i; j++ {
					raw.Data[i*raw.Stride+j] = math.NaN()
				}
			}
			linalg.SymRankK(dst, ab.alpha, a, ab.beta)

			want := mat.NewDense(sz.d, sz.d, nil)
			bound := mat.NewDense(sz.d, sz.d, nil)
			for p := 0; p < sz.n; p++ { // the rank-1 loop, as a reference only
				for i := 0; i < sz.d; i++ {
					for j := 0; j < sz.d; j++ {
						want.Set(i, j, want.At(i, j)+a.At(p, i)*a.At(p, j))
						bound.Set(i, j, bound.At(i, j)+math.Abs(a.At(p, i)*a.At(p, j)))
					}
				}
			}
			for i := 0; i < sz.d; i++ {
				for j := 0; j < sz.d; j++ {
					want.Set(i, j, ab.alpha*want.At(i, j)+ab.beta*c0.At(i, j))
					bound.Set(i, j, math.Abs(ab.alpha)*bound.At(i, j)+math.Abs(ab.beta*c0.At(i, j)))
				}
			}
			checkClose(t, name, dst.At, want.At, bound.At, sz.d, sz.d)
			for i := 0; i < sz.d; i++ {
				for j := 0; j < i; j++ {
					if !math.IsNaN(raw.Data[i*raw.Stride+j]) {
						t.Fatalf("%s: strictly lower storage (%d,%d) was written", name, i, j)
					}
				}
			}
		}
	}
}

func TestSymRankKEmptyDstAndNaNBeta0(t *testing.T) {
	rng := testkit.NewRand(2)
	a := randDense(rng, 40, 9, 0)
	var empty mat.SymDense
	linalg.SymRankK(&empty, 1, a, 0)
	if n := empty.SymmetricDim(); n != 9 {
		t.Fatalf("empty dst resized to %d, want 9", n)
	}
	// beta = 0 means "dst is not read": NaNs in it must not survive (BLAS rule).
	nanDst := mat.NewSymDense(9, nil)
	for i := 0; i < 9; i++ {
		for j := i; j < 9; j++ {
			nanDst.SetSym(i, j, math.NaN())
		}
	}
	linalg.SymRankK(nanDst, 1, a, 0)
	if !mat.EqualApprox(nanDst, &empty, 1e-12) {
		t.Errorf("beta=0 on a NaN dst gave %v, want %v", mat.Formatted(nanDst), mat.Formatted(&empty))
	}
}

func naiveGemm(tA, tB bool, alpha float64, a, b *mat.Dense, beta float64, c0 *mat.Dense) (want, bound *mat.Dense) {
	opA, opB := mat.Matrix(a), mat.Matrix(b)
	if tA {
		opA = a.T()
	}
	if tB {
		opB = b.T()
	}
	m, k := opA.Dims()
	_, n := opB.Dims()
	want, bound = mat.NewDense(m, n, nil), mat.NewDense(m, n, nil)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			for l := 0; l < k; l++ {
				x := opA.At(i, l) * opB.At(l, j)
				s += x
				sa += math.Abs(x)
			}
			var c float64
			if c0 != nil {
				c = c0.At(i, j)
			}
			want.Set(i, j, alpha*s+beta*c)
			bound.Set(i, j, math.Abs(alpha)*sa+math.Abs(beta*c))
		}
	}
	return want, bound
}

func TestGemmAllTransposes(t *testing.T) {
	rng := testkit.NewRand(3)
	for _, sz := range []struct{ m, n, k int }{{1, 1, 1}, {5, 7, 3}, {70, 90, 130}, {200, 65, 150}} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				ar, ac := sz.m, sz.k
				if tA {
					ar, ac = ac, ar
				}
				br, bc := sz.k, sz.n
				if tB {
					br, bc = bc, br
				}
				a, b := randDense(rng, ar, ac, 1), randDense(rng, br, bc, 2)
				c0 := randDense(rng, sz.m, sz.n, 0)
				dst := mat.DenseCopyOf(c0)
				linalg.Gemm(tA, tB, 1.5, a, b, -0.5, dst)
				want, bound := naiveGemm(tA, tB, 1.5, a, b, -0.5, c0)
				checkClose(t, fmt.Sprintf("Gemm(%v,%v) %dx%dx%d", tA, tB, sz.m, sz.n, sz.k), dst.At, want.At, bound.At, sz.m, sz.n)
			}
		}
	}
}

func TestMulTA(t *testing.T) {
	rng := testkit.NewRand(4)
	for _, sz := range []struct{ n, m, k int }{{1, 1, 1}, {300, 40, 70}, {1000, 130, 20}} {
		a, b := randDense(rng, sz.n, sz.m, 0), randDense(rng, sz.n, sz.k, 1)
		c0 := randDense(rng, sz.m, sz.k, 0)
		dst := mat.DenseCopyOf(c0)
		linalg.MulTA(dst, 0.25, a, b, 1)
		want, bound := naiveGemm(true, false, 0.25, a, b, 1, c0)
		checkClose(t, fmt.Sprintf("MulTA N%d %dx%d", sz.n, sz.m, sz.k), dst.At, want.At, bound.At, sz.m, sz.k)

		var empty mat.Dense
		linalg.MulTA(&empty, 0.25, a, b, 7) // empty dst: beta has nothing to scale
		want, bound = naiveGemm(true, false, 0.25, a, b, 0, nil)
		checkClose(t, "MulTA empty dst", empty.At, want.At, bound.At, sz.m, sz.k)
	}
}

func TestMul(t *testing.T) {
	rng := testkit.NewRand(5)
	a, b := randDense(rng, 60, 80, 0), randDense(rng, 80, 45, 3)
	var dst mat.Dense
	linalg.Mul(&dst, a, b)
	want, bound := naiveGemm(false, false, 1, a, b, 0, nil)
	checkClose(t, "Mul", dst.At, want.At, bound.At, 60, 45)

	// dst aliasing an operand goes through a temporary.
	sq, sq2 := randDense(rng, 50, 50, 0), randDense(rng, 50, 50, 0)
	want, bound = naiveGemm(false, false, 1, sq, sq2, 0, nil)
	linalg.Mul(sq, sq, sq2)
	checkClose(t, "Mul aliased", sq.At, want.At, bound.At, 50, 50)
}

func TestMulSymAndDiagOfVtAV(t *testing.T) {
	rng := testkit.NewRand(6)
	for _, sz := range []struct{ d, k int }{{1, 1}, {40, 7}, {300, 300}, {130, 600}, {901, 30}} { // 901 > vtaBlock: recursive split
		a := randSym(rng, sz.d)
		full := mat.NewDense(sz.d, sz.d, nil)
		linalg.DenseOfSym(full, a)
		v := randDense(rng, sz.d, sz.k, 1)

		var w mat.Dense
		linalg.MulSym(&w, a, v)
		want, bound := naiveGemm(false, false, 1, full, v, 0, nil)
		checkClose(t, fmt.Sprintf("MulSym d%d k%d", sz.d, sz.k), w.At, want.At, bound.At, sz.d, sz.k)

		diag := linalg.DiagOfVtAV(v, a)
		if len(diag) != sz.k {
			t.Fatalf("DiagOfVtAV returned %d values, want %d", len(diag), sz.k)
		}
		var vtav mat.SymDense
		linalg.VtAV(&vtav, v, a)
		for i := 0; i < sz.k; i++ {
			var s, sa float64
			for r := 0; r < sz.d; r++ {
				for c := 0; c < sz.d; c++ {
					x := v.At(r, i) * full.At(r, c) * v.At(c, i)
					s += x
					sa += math.Abs(x)
				}
			}
			if e := math.Abs(diag[i] - s); e > tol*sa {
				t.Fatalf("DiagOfVtAV d%d k%d: entry %d = %.17g, want %.17g (|err| %g > %g)", sz.d, sz.k, i, diag[i], s, e, tol*sa)
			}
			if e := math.Abs(vtav.At(i, i) - s); e > tol*sa {
				t.Fatalf("VtAV d%d k%d: diagonal %d = %.17g, want %.17g", sz.d, sz.k, i, vtav.At(i, i), s)
			}
		}
		if sz.k <= 40 { // one off-diagonal check of VtAV against V^T (A V)
			ref, _ := naiveGemm(true, false, 1, v, want, 0, nil)
			absV := mat.DenseCopyOf(v)
			absV.Apply(func(_, _ int, x float64) float64 { return math.Abs(x) }, absV)
			_, b2 := naiveGemm(true, false, 1, absV, bound, 0, nil) // |V|^T (|A| |V|) bounds the error
			checkClose(t, "VtAV", vtav.At, ref.At, b2.At, sz.k, sz.k)
		}
	}
}

func TestSymmetrizeFillLowerDenseOfSym(t *testing.T) {
	rng := testkit.NewRand(7)
	a := randDense(rng, 70, 70, 2)
	var s mat.SymDense
	linalg.Symmetrize(&s, a)
	for i := 0; i < 70; i++ {
		for j := 0; j < 70; j++ {
			if got, want := s.At(i, j), 0.5*(a.At(i, j)+a.At(j, i)); got != want {
				t.Fatalf("Symmetrize (%d,%d) = %g, want %g", i, j, got, want)
			}
		}
	}
	f := mat.DenseCopyOf(a)
	linalg.FillLower(f)
	for i := 0; i < 70; i++ {
		for j := 0; j < 70; j++ {
			if f.At(i, j) != a.At(min(i, j), max(i, j)) {
				t.Fatalf("FillLower (%d,%d) = %g, want upper value %g", i, j, f.At(i, j), a.At(min(i, j), max(i, j)))
			}
		}
	}
	var d mat.Dense
	linalg.DenseOfSym(&d, &s)
	if !mat.Equal(&d, &s) {
		t.Errorf("DenseOfSym differs from its input")
	}
}

// checkEig verifies A V = V diag(lambda), V^T V = I, descending order and
// the sign convention, all to ~1e-10 relative to the matrix scale.
func checkEig(t *testing.T, name string, a *mat.SymDense, vals []float64, vecs *mat.Dense) {
	t.Helper()
	d := a.SymmetricDim()
	if len(vals) != d {
		t.Fatalf("%s: %d eigenvalues, want %d", name, len(vals), d)
	}
	if r, c := vecs.Dims(); r != d || c != d {
		t.Fatalf("%s: vectors are %dx%d, want %dx%d", name, r, c, d, d)
	}
	norm := mat.Norm(a, 2) // scale for all errors
	if norm == 0 {
		norm = 1
	}
	for i := 1; i < d; i++ {
		if vals[i] > vals[i-1] {
			t.Fatalf("%s: eigenvalues not descending at %d: %g > %g", name, i, vals[i], vals[i-1])
		}
	}
	var av mat.Dense
	av.Mul(a, vecs)
	var resid float64
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			resid = max(resid, math.Abs(av.At(i, j)-vecs.At(i, j)*vals[j]))
		}
	}
	if resid > tol*norm {
		t.Errorf("%s: max |A V - V diag(lambda)| = %g, want <= %g (1e-10 |A|_2)", name, resid, tol*norm)
	}
	var vtv mat.Dense
	vtv.Mul(vecs.T(), vecs)
	var orth float64
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			want := 0.0
			if i == j {
				want = 1
			}
			orth = max(orth, math.Abs(vtv.At(i, j)-want))
		}
	}
	if orth > tol {
		t.Errorf("%s: max |V^T V - I| = %g, want <= %g", name, orth, tol)
	}
	for j := 0; j < d; j++ {
		best := 0
		for i := 1; i < d; i++ {
			if math.Abs(vecs.At(i, j)) > math.Abs(vecs.At(best, j))*(1+1e-9) {
				best = i
			}
		}
		if vecs.At(best, j) < 0 {
			t.Fatalf("%s: eigenvector %d has its largest component (row %d) negative: %g", name, j, best, vecs.At(best, j))
		}
	}
}

func TestEigSymRandom(t *testing.T) {
	rng := testkit.NewRand(8)
	sizes := []int{1, 2, 3, 10, 65, 200}
	if !testing.Short() {
		sizes = append(sizes, 400)
	}
	for _, d := range sizes {
		a := randSym(rng, d)
		before := mat.NewSymDense(d, nil)
		before.CopySym(a)
		vals, vecs, err := linalg.EigSym(a)
		if err != nil {
			t.Fatalf("d=%d: %v", d, err)
		}
		if !mat.Equal(a, before) {
			t.Fatalf("d=%d: EigSym modified its input", d)
		}
		checkEig(t, fmt.Sprintf("random d=%d", d), a, vals, vecs)
		only, err := linalg.EigSymValues(a)
		if err != nil {
			t.Fatalf("EigSymValues d=%d: %v", d, err)
		}
		for i := range only {
			if math.Abs(only[i]-vals[i]) > tol*math.Max(1, math.Abs(vals[0])) {
				t.Fatalf("d=%d: EigSymValues[%d] = %.17g, EigSym gave %.17g", d, i, only[i], vals[i])
			}
		}
	}
}

// TestEigSymKnownSpectrum builds A = Q diag(mu) Q^T with Q random orthogonal
// and a spread of positive, negative, tiny and repeated eigenvalues, as in
// the curvature matrices of a trained network.
func TestEigSymKnownSpectrum(t *testing.T) {
	rng := testkit.NewRand(9)
	const d = 120
	var qr mat.QR
	qr.Factorize(randDense(rng, d, d, 0))
	var q mat.Dense
	qr.QTo(&q)
	mu := make([]float64, d)
	for i := range mu {
		mu[i] = math.Pow(10, -8*float64(i)/d) // 1 ... 1e-8, decaying spectrum
	}
	mu[5], mu[6] = mu[4], mu[4] // a repeated eigenvalue
	mu[d-1], mu[d-2] = -1e-3, -0.5
	var qd mat.Dense
	qd.Apply(func(_, j int, x float64) float64 { return x * mu[j] }, &q)
	var full mat.Dense
	full.Mul(&qd, q.T())
	a := mat.NewSymDense(d, nil)
	linalg.Symmetrize(a, &full)

	vals, vecs, err := linalg.EigSym(a)
	if err != nil {
		t.Fatal(err)
	}
	checkEig(t, "known spectrum", a, vals, vecs)
	want := append([]float64(nil), mu...)
	for i := 1; i < len(want); i++ { // insertion sort, descending
		for j := i; j > 0 && want[j] > want[j-1]; j-- {
			want[j], want[j-1] = want[j-1], want[j]
		}
	}
	for i := range want {
		if math.Abs(vals[i]-want[i]) > 1e-12 {
			t.Errorf("eigenvalue %d = %.17g, want %.17g", i, vals[i], want[i])
		}
	}
	// The leading eigenvector (non-degenerate) must be the first column of Q
	// up to sign.
	var dot float64
	for i := 0; i < d; i++ {
		dot += vecs.At(i, 0) * q.At(i, 0)
	}
	if math.Abs(math.Abs(dot)-1) > 1e-10 {
		t.Errorf("leading eigenvector: |<v, q_1>| = %.17g, want 1", math.Abs(dot))
	}
}

func TestEigSymDegenerateAndErrors(t *testing.T) {
	// Identity and zero: every vector is an eigenvector; the result must
	// still be orthonormal and follow the conventions.
	for _, diag := range []float64{1, 0} {
		a := mat.NewSymDense(30, nil)
		for i := 0; i < 30; i++ {
			a.SetSym(i, i, diag)
		}
		vals, vecs, err := linalg.EigSym(a)
		if err != nil {
			t.Fatal(err)
		}
		checkEig(t, fmt.Sprintf("%g*I", diag), a, vals, vecs)
	}
	a := mat.NewSymDense(4, nil)
	a.SetSym(1, 2, math.NaN())
	if _, _, err := linalg.EigSym(a); err == nil || !strings.Contains(err.Error(), "(1,2)") {
		t.Errorf("EigSym of a NaN matrix: err = %v, want an error naming entry (1,2)", err)
	}
	if _, err := linalg.EigSymValues(a); err == nil {
		t.Errorf("EigSymValues of a NaN matrix: want an error")
	}
	if _, _, err := linalg.EigSym(&mat.SymDense{}); err == nil {
		t.Errorf("EigSym of an empty matrix: want an error")
	}
}

// TestEigSymSignTies: for [[2,1],[1,2]] the eigenvector of 1 is (1,-1)/sqrt2,
// whose components tie in magnitude; the lowest index must be positive.
func TestEigSymSignTies(t *testing.T) {
	a := mat.NewSymDense(2, []float64{2, 1, 1, 2})
	vals, vecs, err := linalg.EigSym(a)
	if err != nil {
		t.Fatal(err)
	}
	s := 1 / math.Sqrt2
	want := mat.NewDense(2, 2, []float64{s, s, s, -s})
	if math.Abs(vals[0]-3) > 1e-14 || math.Abs(vals[1]-1) > 1e-14 || !mat.EqualApprox(vecs, want, 1e-14) {
		t.Errorf("EigSym([[2,1],[1,2]]) = %v, %v, want [3 1], %v", vals, mat.Formatted(vecs), mat.Formatted(want))
	}
}

func expectPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: want a panic", what)
		}
	}()
	f()
}

func TestPanics(t *testing.T) {
	a := mat.NewDense(5, 3, nil)
	expectPanic(t, "SymRankK shape", func() { linalg.SymRankK(mat.NewSymDense(4, nil), 1, a, 0) })
	expectPanic(t, "MulTA shape", func() { linalg.MulTA(mat.NewDense(3, 3, nil), 1, a, mat.NewDense(4, 3, nil), 0) })
	expectPanic(t, "MulTA dst", func() { linalg.MulTA(mat.NewDense(3, 2, nil), 1, a, a, 0) })
	expectPanic(t, "Mul shape", func() { linalg.Mul(&mat.Dense{}, a, a) })
	sq := mat.NewDense(3, 3, nil)
	expectPanic(t, "Gemm alias", func() { linalg.Gemm(false, false, 1, sq, sq, 0, sq) })
	expectPanic(t, "DiagOfVtAV shape", func() { linalg.DiagOfVtAV(a, mat.NewSymDense(3, nil)) })
	expectPanic(t, "Symmetrize shape", func() { linalg.Symmetrize(&mat.SymDense{}, a) })
}

// TestConcurrent runs kernels from several goroutines at once (OpenBLAS's
// threaded build must be safe for this) and compares with a serial run.
func TestConcurrent(t *testing.T) {
	rng := testkit.NewRand(10)
	a := randDense(rng, 400, 150, 0)
	ref := mat.NewSymDense(150, nil)
	linalg.SymRankK(ref, 1, a, 0)
	var refG mat.Dense
	linalg.MulTA(&refG, 1, a, a, 0)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for it := 0; it < 3; it++ {
				s := mat.NewSymDense(150, nil)
				linalg.SymRankK(s, 1, a, 0)
				var m mat.Dense
				linalg.MulTA(&m, 1, a, a, 0)
				if !mat.EqualApprox(s, ref, 1e-9) || !mat.EqualApprox(&m, &refG, 1e-9) {
					errs <- fmt.Sprintf("goroutine %d iteration %d differs from the serial result", g, it)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestGonumMatRouting checks gonum's own mat products, which the openblas
// build routes to OpenBLAS through blas64.Use.
func TestGonumMatRouting(t *testing.T) {
	rng := testkit.NewRand(11)
	a, b := randDense(rng, 90, 70, 1), randDense(rng, 70, 110, 0)
	var c mat.Dense
	c.Mul(a, b)
	want, bound := naiveGemm(false, false, 1, a, b, 0, nil)
	checkClose(t, "mat.Dense.Mul", c.At, want.At, bound.At, 90, 110)
	var ct mat.Dense
	ct.Mul(a.T(), a)
	want, bound = naiveGemm(true, false, 1, a, a, 0, nil)
	checkClose(t, "mat.Dense.Mul(a^T, a)", ct.At, want.At, bound.At, 70, 70)
	var s mat.SymDense
	s.SymOuterK(1, a.T()) // Dsyrk
	checkClose(t, "mat.SymDense.SymOuterK", s.At, want.At, bound.At, 70, 70)
}

// TestFormQ forms Q from the reflectors of gonum's Dgeqrf and checks Q^T Q = I and
// Q R = A, for square and tall matrices, with a padded stride.
func TestFormQ(t *testing.T) {
	rng := testkit.NewRand(21)
	impl := gonumlapack.Implementation{}
	for _, sh := range [][2]int{{1, 1}, {7, 7}, {40, 13}, {130, 130}} {
		m, n := sh[0], sh[1]
		a := randDense(rng, m, n, 3)
		f := mat.DenseCopyOf(a)
		fr := f.RawMatrix()
		tau := make([]float64, n)
		work := make([]float64, n)
		impl.Dgeqr2(m, n, fr.Data, fr.Stride, tau, work)
		r := mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				r.Set(i, j, f.At(i, j))
			}
		}
		q := randDense(rng, m, n, 2) // a strided view: FormQ must respect the stride
		q.Copy(f)
		linalg.FormQ(q, tau)
		var qtq, qr mat.Dense
		qtq.Mul(q.T(), q)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				want := 0.0
				if i == j {
					want = 1
				}
				if d := math.Abs(qtq.At(i, j) - want); d > 1e-12 {
					t.Fatalf("%dx%d: (Q^T Q)[%d,%d] = %v, want %v", m, n, i, j, qtq.At(i, j), want)
				}
			}
		}
		qr.Mul(q, r)
		if !mat.EqualApprox(&qr, a, 1e-12*float64(m)) {
			t.Fatalf("%dx%d: Q R != a", m, n)
		}
	}
}
