package commute

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/linalg"
)

// eigDesc returns the eigenvalues (descending) and eigenvectors (columns) of s.
func eigDesc(t *testing.T, s *mat.SymDense) ([]float64, *mat.Dense) {
	t.Helper()
	vals, vecs, err := linalg.EigSym(s)
	if err != nil {
		t.Fatal(err)
	}
	return vals, vecs
}

// fromEig returns V diag(f) Vᵀ.
func fromEig(v *mat.Dense, f []float64) *mat.SymDense {
	d := len(f)
	s := mat.NewSymDense(d, nil)
	for m, fm := range f {
		s.SymRankOne(s, fm, mat.NewVecDense(d, mat.Col(nil, m, v)))
	}
	return s
}

func randomSym(d int, rng *rand.Rand) *mat.SymDense {
	s := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			s.SetSym(i, j, rng.NormFloat64())
		}
	}
	return s
}

func TestCommutingMatricesGiveZero(t *testing.T) {
	const d = 30
	rng := testkit.NewRand(1)
	v := HaarOrthogonal(d, rng)
	lam := make([]float64, d)
	f := make([]float64, d)
	for i := range lam {
		lam[i] = math.Pow(10, -4*float64(i)/d) // descending, distinct
		f[i] = lam[i]*lam[i] + 0.1*lam[i]      // A = V f(Λ) Vᵀ commutes with H
	}
	h, a := fromEig(v, lam), fromEig(v, f)
	c, err := NormalizedCommutator(a, h)
	if err != nil || c > 1e-13 {
		t.Errorf("explicit commutator of commuting matrices = %v (%v), want ~0", c, err)
	}
	m, err := Compute(a, lam, v, Options{Windows: []Window{Full(d), Top(10), Bulk(10, 25)}, Draws: 3, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range m.Data {
		if w.Commutator > 1e-12 || w.CommutatorAH > 1e-12 || w.OffDiagRatio > 1e-12 || !testkit.Near(w.DiagEnergy, 1, 1e-12) || w.Spearman != 1 {
			t.Errorf("%s: %+v, want commutators/off-diag 0, diag energy 1, Spearman 1", w.Window.Name, w)
		}
	}
	// The random baseline is far from commuting.
	for i, r := range m.Rand {
		if r.Commutator.Mean < 0.1 || r.DiagEnergy.Mean > 0.5 || r.Commutator.N != 3 {
			t.Errorf("baseline %s: commutator %v, diag energy %v, want far from commuting", m.Data[i].Window.Name, r.Commutator, r.DiagEnergy)
		}
	}
}

func TestWindowsMatchExplicitProjectors(t *testing.T) {
	const d = 8
	rng := testkit.NewRand(3)
	a, h := randomSym(d, rng), randomSym(d, rng)
	lam, v := eigDesc(t, h)
	k, err := Rotate(a, v)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []Window{Full(d), Top(3), Bulk(3, 7), Bulk(5, 6)} {
		got, err := Evaluate(k, lam, w)
		if err != nil {
			t.Fatal(err)
		}
		// Explicit: P = V_S V_Sᵀ, [PAP, PHP] / (|PAP| |PHP|) and |P[A,H]P| / |PAHP|.
		vs := v.Slice(0, d, w.Lo, w.Hi)
		var p, pap, php, x, y, comm, ah, pcp, pahp mat.Dense
		p.Mul(vs, vs.T())
		pap.Mul(&p, a)
		pap.Mul(&pap, &p)
		php.Mul(&p, h)
		php.Mul(&php, &p)
		x.Mul(&pap, &php)
		y.Mul(&php, &pap)
		x.Sub(&x, &y)
		want := mat.Norm(&x, 2) / (mat.Norm(&pap, 2) * mat.Norm(&php, 2))
		if !testkit.Near(got.Commutator, want, 1e-12) {
			t.Errorf("%s: Commutator %v, explicit projector formula %v", w.Name, got.Commutator, want)
		}
		ah.Mul(a, h)
		y.Mul(h, a)
		comm.Sub(&ah, &y)
		pcp.Mul(&p, &comm)
		pcp.Mul(&pcp, &p)
		pahp.Mul(&p, &ah)
		pahp.Mul(&pahp, &p)
		if want := mat.Norm(&pcp, 2) / mat.Norm(&pahp, 2); !testkit.Near(got.CommutatorAH, want, 1e-12) {
			t.Errorf("%s: CommutatorAH %v, explicit %v", w.Name, got.CommutatorAH, want)
		}
		// Diagonal energy and off-diagonal ratio from explicit K entries.
		var dg, off float64
		n := w.Hi - w.Lo
		for i := w.Lo; i < w.Hi; i++ {
			for j := w.Lo; j < w.Hi; j++ {
				vi, vj := v.ColView(i), v.ColView(j)
				kij := mat.Inner(vi, a, vj)
				if i == j {
					dg += kij * kij
				} else {
					off += kij * kij
				}
			}
		}
		if !testkit.Near(got.DiagEnergy, dg/(dg+off), 1e-12) {
			t.Errorf("%s: DiagEnergy %v, want %v", w.Name, got.DiagEnergy, dg/(dg+off))
		}
		if n > 1 {
			if want := math.Sqrt(off/float64(n*(n-1))) / math.Sqrt(dg/float64(n)); !testkit.Near(got.OffDiagRatio, want, 1e-12) {
				t.Errorf("%s: OffDiagRatio %v, want %v", w.Name, got.OffDiagRatio, want)
			}
		} else if !math.IsNaN(got.OffDiagRatio) {
			t.Errorf("%s: one-mode OffDiagRatio %v, want NaN", w.Name, got.OffDiagRatio)
		}
	}
	full, _ := Evaluate(k, lam, Full(d))
	if c, _ := NormalizedCommutator(a, h); !testkit.Near(full.Commutator, c, 1e-12) || c < 0.1 {
		t.Errorf("full-window commutator %v, explicit %v", full.Commutator, c)
	}
}

func TestHaarBaselineMagnitude(t *testing.T) {
	// Documented property: a Haar-rotated matrix has a full-space normalized commutator with
	// H of about sqrt(2/D) when both spectra are far from flat (here symmetric Gaussian).
	const d = 200
	rng := testkit.NewRand(5)
	lam := make([]float64, d)
	eigA := make([]float64, d)
	for i := range lam {
		lam[i] = rng.NormFloat64()
		eigA[i] = rng.NormFloat64()
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(lam)))
	// A commuting with H, so the data side is 0 and the baseline is pure Haar.
	k := mat.NewSymDense(d, nil)
	for i := range eigA {
		k.SetSym(i, i, eigA[i])
	}
	m, err := ComputeRotated(k, lam, Options{Windows: []Window{Full(d)}, Draws: 4, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	got := m.Rand[0].Commutator.Mean
	if s := math.Sqrt(2.0 / d); got < 0.5*s || got > 2*s {
		t.Errorf("Haar baseline commutator %v, want about sqrt(2/D) = %v", got, s)
	}
	if !testkit.Near(got, m.HaarCommutatorRMS, 0.05*m.HaarCommutatorRMS) {
		t.Errorf("Haar baseline commutator %v, analytic RMS %v", got, m.HaarCommutatorRMS)
	}
	if de := m.Rand[0].DiagEnergy.Mean; !testkit.Near(de, m.HaarDiagEnergy, 0.15*m.HaarDiagEnergy) {
		t.Errorf("Haar baseline diag energy %v, analytic %v", de, m.HaarDiagEnergy)
	}
	if m.Data[0].Commutator != 0 || m.Data[0].DiagEnergy != 1 {
		t.Errorf("diagonal K: %+v, want commutator 0 and diag energy 1", m.Data[0])
	}
	// The EigA path (Q diag(eig A) Qᵀ) has the same distribution.
	m2, err := ComputeRotated(k, lam, Options{Windows: []Window{Full(d)}, Draws: 4, Seed: 10, EigA: eigA})
	if err != nil {
		t.Fatal(err)
	}
	if got2 := m2.Rand[0].Commutator.Mean; !testkit.Near(got2, m.HaarCommutatorRMS, 0.05*m.HaarCommutatorRMS) {
		t.Errorf("EigA baseline commutator %v, analytic %v", got2, m.HaarCommutatorRMS)
	}
}

func TestHaarOrthogonal(t *testing.T) {
	rng := testkit.NewRand(11)
	q := HaarOrthogonal(6, rng)
	var qtq mat.Dense
	qtq.Mul(q.T(), q)
	if !mat.EqualApprox(&qtq, eye(6), 1e-13) {
		t.Errorf("QᵀQ != I:\n%v", mat.Formatted(&qtq))
	}
	// The sign fix makes the distribution Haar: E Q_00 = 0 (without it LAPACK's Householder
	// convention gives Q_00 < 0 always). Sample std of the mean is about 1/sqrt(3·2000).
	var s float64
	const n = 2000
	for i := 0; i < n; i++ {
		s += HaarOrthogonal(3, rng).At(0, 0)
	}
	if mean := s / n; math.Abs(mean) > 0.06 {
		t.Errorf("mean Q_00 = %v, want ~0 (Haar)", mean)
	}
	// Haar moments on O(4): E Q_ij² = 1/4, E (tr Q)² = 1, E det Q = 0. With 4000 draws the
	// standard errors are about 0.004, 0.02 and 0.016; the tolerances are 5 of them.
	const draws = 4000
	var q2, tr2, det float64
	for i := 0; i < draws; i++ {
		q := HaarOrthogonal(4, rng)
		q2 += q.At(1, 2) * q.At(1, 2)
		tr := mat.Trace(q)
		tr2 += tr * tr
		det += mat.Det(q)
	}
	if m := q2 / draws; math.Abs(m-0.25) > 0.02 {
		t.Errorf("E Q_12² = %v, want 1/4", m)
	}
	if m := tr2 / draws; math.Abs(m-1) > 0.1 {
		t.Errorf("E (tr Q)² = %v, want 1", m)
	}
	if m := det / draws; math.Abs(m) > 0.08 {
		t.Errorf("E det Q = %v, want 0", m)
	}
	// Spectrum preservation.
	eig := []float64{3, 1, -0.5, 0.25, 0}
	r := RandomSpectrumPreserving(eig, rng)
	sort.Sort(sort.Reverse(sort.Float64Slice(eig)))
	got, _ := eigDesc(t, r)
	for i := range eig {
		if !testkit.Near(got[i], eig[i], 1e-13) {
			t.Errorf("eigenvalues %v, want %v", got, eig)
			break
		}
	}
	rr := RandomRotate(r, rng)
	got2, _ := eigDesc(t, rr)
	for i := range eig {
		if !testkit.Near(got2[i], eig[i], 1e-13) {
			t.Errorf("RandomRotate eigenvalues %v, want %v", got2, eig)
			break
		}
	}
}

func eye(d int) *mat.Dense {
	e := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		e.Set(i, i, 1)
	}
	return e
}

func TestRatiosHandComputed(t *testing.T) {
	k := mat.NewSymDense(2, []float64{2, 1, 1, 4})
	// off RMS 1, diag RMS sqrt((4+16)/2) = sqrt(10).
	if r, _ := OffDiagRatio(k, Full(2)); !testkit.Near(r, 1/math.Sqrt(10), 1e-15) {
		t.Errorf("OffDiagRatio = %v, want 1/sqrt(10)", r)
	}
	if e, _ := DiagonalEnergy(k, Full(2)); !testkit.Near(e, 20.0/22, 1e-15) {
		t.Errorf("DiagonalEnergy = %v, want 20/22", e)
	}
	// [K, Λ] with λ = (3, 1): off-diagonal entries ±1·(1−3): |[K,Λ]|² = 8, |K|² = 22, |λ|² = 10.
	if c, _ := WindowCommutator(k, []float64{3, 1}, Full(2)); !testkit.Near(c, math.Sqrt(8.0/220), 1e-15) {
		t.Errorf("WindowCommutator = %v, want sqrt(8/220)", c)
	}
	diag := mat.NewSymDense(3, []float64{5, 0, 0, 0, -2, 0, 0, 0, 1})
	if e, _ := DiagonalEnergy(diag, Full(3)); e != 1 {
		t.Errorf("diag energy of a diagonal K = %v, want 1", e)
	}
	if r, _ := OffDiagRatio(diag, Bulk(1, 2)); !math.IsNaN(r) {
		t.Errorf("one-mode OffDiagRatio = %v, want NaN", r)
	}
	// Spearman of diag(K) vs λ: diag (5, -2, 1) against λ (3, 2, 1) has ranks (3,1,2) vs (3,2,1).
	m, _ := Evaluate(diag, []float64{3, 2, 1}, Full(3))
	if !testkit.Near(m.Spearman, 0.5, 1e-15) {
		t.Errorf("Spearman = %v, want 0.5", m.Spearman)
	}
}

func TestErrors(t *testing.T) {
	k := mat.NewSymDense(3, nil)
	if _, err := Evaluate(k, []float64{1, 2}, Full(3)); err == nil {
		t.Error("lambda length mismatch: no error")
	}
	for _, w := range []Window{{Lo: 0, Hi: 4}, {Lo: 2, Hi: 2}, {Lo: -1, Hi: 2}} {
		if _, err := Evaluate(k, []float64{3, 2, 1}, w); err == nil {
			t.Errorf("window %+v: no error", w)
		}
	}
	if _, err := Compute(k, []float64{1, 2, 3}, mat.NewDense(2, 3, nil), Options{}); err == nil {
		t.Error("V rows mismatch: no error")
	}
	if _, err := NormalizedCommutator(k, mat.NewSymDense(2, nil)); err == nil {
		t.Error("size mismatch: no error")
	}
	if _, err := ComputeRotated(k, []float64{1, math.NaN(), 0}, Options{}); err == nil {
		t.Error("NaN lambda: no error")
	}
	if ws := DefaultWindows(50); len(ws) != 2 || ws[1].Hi != 50 {
		t.Errorf("DefaultWindows(50) = %+v", ws)
	}
	if ws := DefaultWindows(2500); len(ws) != 3 || ws[2] != (Window{Name: "bulk101-1000", Lo: 100, Hi: 1000}) {
		t.Errorf("DefaultWindows(2500) = %+v", ws)
	}
}

func TestSymlogAndBlocks(t *testing.T) {
	for _, c := range []struct{ x, t, want float64 }{{0, 1, 0}, {9, 1, 1}, {-99, 1, -2}, {0.5, 0.5, math.Log10(2)}} {
		if got := Symlog(c.x, c.t); !testkit.Near(got, c.want, 1e-15) {
			t.Errorf("Symlog(%v, %v) = %v, want %v", c.x, c.t, got, c.want)
		}
	}
	k := mat.NewSymDense(3, []float64{1, 2, 3, 2, 4, 5, 3, 5, 6})
	b := TopBlock(k, 2)
	if len(b) != 2 || len(b[0]) != 2 || b[0][1] != 2 || b[1][1] != 4 {
		t.Errorf("TopBlock = %v", b)
	}
	if b := TopBlock(k, 10); len(b) != 3 {
		t.Errorf("TopBlock clamps: got %d rows", len(b))
	}
	// Auto linthresh = 1e-3 · max|K| = 6e-3 over the full block.
	s := SymlogBlock(k, 3, 0)
	if !testkit.Near(s[2][2], math.Log10(1+6/6e-3), 1e-12) {
		t.Errorf("SymlogBlock auto = %v", s[2][2])
	}
}

// BenchmarkCompute: rotation plus one Haar baseline draw at D = 500 (run with -benchtime=1x).
func BenchmarkCompute(b *testing.B) {
	const d = 500
	rng := testkit.NewRand(1)
	a := randomSym(d, rng)
	v := HaarOrthogonal(d, rng)
	lam := make([]float64, d)
	for i := range lam {
		lam[i] = float64(d - i)
	}
	for b.Loop() {
		if _, err := Compute(a, lam, v, Options{Draws: 1, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// noDsymm is the installed float64 BLAS with Dsymm replaced by a panic.
type noDsymm struct{ blas.Float64 }

func (noDsymm) Dsymm(blas.Side, blas.Uplo, int, int, float64, []float64, int, []float64, int, float64, []float64, int) {
	panic("gonum Dsymm called")
}

// TestProductsAvoidDsymm guards the speed of the commutator stage: every product with a
// symmetric matrix must go through lib/linalg (OpenBLAS dsymm, or a blocked parallel GEMM in
// pure Go), never through gonum's mat, whose symmetric products call the installed BLAS's
// Dsymm (gonum's own: an unblocked serial loop, 8x slower than a GEMM at D = 2500). The test
// makes Dsymm panic and first checks that the trap catches a mat product.
func TestProductsAvoidDsymm(t *testing.T) {
	prev := blas64.Implementation()
	blas64.Use(noDsymm{prev})
	defer blas64.Use(prev)

	const d = 12
	rng := rand.New(rand.NewPCG(4, 5))
	a, h := randomSym(d, rng), randomSym(d, rng)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the Dsymm trap did not fire on mat.Dense.Mul(SymDense, Dense)")
			}
		}()
		var p mat.Dense
		p.Mul(a, mat.NewDense(d, d, nil))
	}()

	if _, err := NormalizedCommutator(a, h); err != nil {
		t.Fatal(err)
	}
	lam, v := eigDesc(t, h)
	if _, err := Compute(a, lam, v, Options{Draws: 2, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := Compute(a, lam, v, Options{Draws: 2, Seed: 1, EigA: lam}); err != nil {
		t.Fatal(err)
	}
	RandomRotate(a, rng)
	RandomSpectrumPreserving(lam, rng)
}

func TestBaselineKeepsEveryDraw(t *testing.T) {
	d := 12
	a := randomSym(d, testkit.NewRand(3))
	lam, v := eigDesc(t, randomSym(d, testkit.NewRand(4)))
	m, err := Compute(a, lam, v, Options{Draws: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range m.Rand {
		s := fit.Aggregate(b.Commutators)
		if len(b.Commutators) != 5 || math.Abs(s.Mean-b.Commutator.Mean) > 1e-15 || math.Abs(s.Std-b.Commutator.Std) > 1e-15 {
			t.Errorf("window %s: %d draws, mean %v sd %v, summary %v", b.Window.Name, len(b.Commutators), s.Mean, s.Std, b.Commutator)
		}
	}
}

// TestBaselineDrawsAnyWorkers: the draws made side by side give, bit for bit, what drawing
// them one after another from the same generator gives (HaarOrthogonal, spectrumDraw,
// Evaluate in draw order), for 1 and 3 workers, and draw d lands in slot d.
func TestBaselineDrawsAnyWorkers(t *testing.T) {
	const d, draws, seed = 40, 7, 9
	as := []mat.Symmetric{randomSym(d, testkit.NewRand(5)), randomSym(d, testkit.NewRand(6))}
	lam, v := eigDesc(t, randomSym(d, testkit.NewRand(7)))
	ws := []Window{Full(d), Top(6), Bulk(6, 30)}
	release := linalg.SerialThreads() // the reference below must round like the workers
	defer release()
	for _, procs := range []int{1, 3} {
		prev := runtime.GOMAXPROCS(procs)
		ms, err := ComputeMany(context.Background(), as, lam, v, Options{Windows: ws, Draws: draws, Seed: seed})
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		mus := make([][]float64, len(ms))
		for i, m := range ms {
			if mus[i], err = linalg.EigSymValues(m.K); err != nil {
				t.Fatal(err)
			}
		}
		rng := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
		for k := 0; k < draws; k++ {
			q := HaarOrthogonal(d, rng)
			for i, m := range ms {
				kr := spectrumDraw(q, mus[i])
				for wi, w := range ws {
					want, err := Evaluate(kr, lam, w)
					if err != nil {
						t.Fatal(err)
					}
					if got := m.Rand[wi].Commutators[k]; got != want.Commutator {
						t.Errorf("GOMAXPROCS %d, matrix %d, %s, draw %d: commutator %v, one after another %v", procs, i, w.Name, k, got, want.Commutator)
					}
				}
			}
		}
	}
}

// TestComputeContextCanceled: a canceled context stops Compute before the rotation or the
// next baseline draw, with an error wrapping context.Canceled.
func TestComputeContextCanceled(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	d := 12
	v := HaarOrthogonal(d, rng)
	lambda := make([]float64, d)
	for i := range lambda {
		lambda[i] = float64(d - i)
	}
	a := RandomSpectrumPreserving(lambda, rng)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if m, err := ComputeContext(ctx, a, lambda, v, Options{Draws: 3}); !errors.Is(err, context.Canceled) || m != nil {
		t.Errorf("canceled: m=%v err=%v", m != nil, err)
	}
	if _, err := ComputeContext(context.Background(), a, lambda, v, Options{Draws: 3}); err != nil {
		t.Errorf("not canceled: %v", err)
	}
}

// TestSpectrumDraw checks Qᵀ diag(mu) Q against the explicit product for a spectrum with
// positive, negative and zero values, and that ComputeMany gives each matrix the baseline
// Compute gives it alone (the draws are shared, not consumed per matrix).
func TestSpectrumDraw(t *testing.T) {
	const d = 9
	rng := testkit.NewRand(3)
	q := HaarOrthogonal(d, rng)
	mu := []float64{3, -2, 0, 1e-3, -1e-17, 5, 0.5, -0.25, 2}
	got := spectrumDraw(q, mu)
	var want mat.Dense
	want.Mul(q.T(), mat.NewDiagDense(d, mu))
	want.Mul(&want, q)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			if !testkit.Near(got.At(i, j), want.At(i, j), 1e-13) {
				t.Fatalf("spectrumDraw[%d,%d] = %v, want %v", i, j, got.At(i, j), want.At(i, j))
			}
		}
	}

	a, b := randomSym(d, rng), randomSym(d, rng)
	lam, v := eigDesc(t, randomSym(d, rng))
	opt := Options{Draws: 3, Seed: 8, Windows: []Window{Full(d), Top(4)}}
	ms, err := ComputeMany(context.Background(), []mat.Symmetric{a, b}, lam, v, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range []*mat.SymDense{a, b} {
		one, err := Compute(x, lam, v, opt)
		if err != nil {
			t.Fatal(err)
		}
		for w := range one.Rand {
			if one.Rand[w].Commutator != ms[i].Rand[w].Commutator || one.Rand[w].Spearman != ms[i].Rand[w].Spearman {
				t.Errorf("matrix %d window %d: ComputeMany baseline %+v, Compute %+v", i, w, ms[i].Rand[w], one.Rand[w])
			}
		}
	}
}

func TestMetricByName(t *testing.T) {
	w := WindowMetrics{Commutator: 1, CommutatorAH: 2, OffDiagRatio: 3, DiagEnergy: 4, Spearman: 5}
	b := BaselineMetrics{Commutator: fit.Summary{Mean: 10}, CommutatorAH: fit.Summary{Mean: 20}, OffDiagRatio: fit.Summary{Mean: 30},
		DiagEnergy: fit.Summary{Mean: 40}, Spearman: fit.Summary{Mean: 50}}
	for i, key := range []string{"commutator", "commutatorAH", "offdiag", "diagenergy", "spearman"} {
		if got := w.Metric(key); got != float64(i+1) {
			t.Errorf("WindowMetrics.Metric(%q) = %g, want %d", key, got, i+1)
		}
		if got := b.Metric(key); got != float64(10*(i+1)) {
			t.Errorf("BaselineMetrics.Metric(%q) = %g, want %d", key, got, 10*(i+1))
		}
	}
	if !math.IsNaN(w.Metric("trace")) || !math.IsNaN(b.Metric("trace")) {
		t.Error("unknown metric name: want NaN")
	}
}
