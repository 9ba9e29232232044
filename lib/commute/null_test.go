package commute

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/fit"
)

// bandedK returns an m×m K with a decreasing diagonal and off-diagonal mass only between
// neighbouring modes (|i−j| = 1): a matrix that nearly commutes with diag(λ) for a smooth
// spectrum. scatter moves the same off-diagonal values to random pairs instead.
func bandedK(m int, scatter bool, rng *rand.Rand) (*mat.SymDense, []float64) {
	k := mat.NewSymDense(m, nil)
	lam := make([]float64, m)
	for i := 0; i < m; i++ {
		lam[i] = math.Pow(0.97, float64(i))
		k.SetSym(i, i, lam[i]*lam[i])
	}
	for i := 0; i+1 < m; i++ {
		v := 0.3 * lam[i] * lam[i] * (0.5 + rng.Float64())
		a, b := i, i+1
		if scatter {
			a, b = rng.IntN(m), rng.IntN(m)
			for a == b || k.At(a, b) != 0 {
				a, b = rng.IntN(m), rng.IntN(m)
			}
		}
		k.SetSym(a, b, v)
	}
	return k, lam
}

func TestDiagonalNullKeepsDiagonalAndOffDiagonalEnergy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	k, lam := bandedK(60, false, rng)
	ws := []Window{Full(60), Top(20), Bulk(20, 60)}
	for _, kind := range []NullKind{NullPermuteModes, NullShuffleEntries} {
		null, err := DiagonalNull(k, lam, NullOptions{Kind: kind, Windows: ws, Draws: 50, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range ws {
			data, _ := Evaluate(k, lam, w)
			b := null[i]
			if b.Window != w || b.Commutator.N != 50 {
				t.Fatalf("%s %s: window %v, %d draws", kind, w.Name, b.Window, b.Commutator.N)
			}
			for _, q := range []struct {
				name string
				x, m float64
			}{{"DiagEnergy", data.DiagEnergy, b.DiagEnergy.Mean}, {"OffDiagRatio", data.OffDiagRatio, b.OffDiagRatio.Mean}, {"Spearman", data.Spearman, b.Spearman.Mean}} {
				if math.Abs(q.x-q.m) > 1e-12*math.Abs(q.x) {
					t.Errorf("%s %s: %s of the null %v, data %v: the null must keep it", kind, w.Name, q.name, q.m, q.x)
				}
			}
			z := Z(data, b)
			if !math.IsNaN(z.DiagEnergy) || !math.IsNaN(z.Spearman) {
				t.Errorf("%s %s: z of a kept metric %v, %v, want NaN", kind, w.Name, z.DiagEnergy, z.Spearman)
			}
			// The banded K couples only neighbours: far more commuting than its scrambles.
			if !(z.Commutator < -3) {
				t.Errorf("%s %s: commutator z %.2f (data %.4g, null %.4g ± %.2g), want < −3", kind, w.Name, z.Commutator, data.Commutator, b.Commutator.Mean, b.Commutator.Std)
			}
		}
	}
	// The same diagonal and off-diagonal values placed at random pairs are not special.
	ks, _ := bandedK(60, true, rng)
	null, err := DiagonalNull(ks, lam, NullOptions{Kind: NullShuffleEntries, Windows: []Window{Full(60)}, Draws: 200, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := Evaluate(ks, lam, Full(60))
	if z := Z(data, null[0]); math.Abs(z.Commutator) > 3 {
		t.Errorf("scattered K: commutator z %.2f, want |z| <= 3", z.Commutator)
	}
}

// TestNullDrawIsAConjugation checks a NullPermuteModes draw against an explicit construction
// diag(K) + P offdiag(K) Pᵀ with the same permutation, and its commutator against
// NormalizedCommutator with H = diag(λ) (independent arithmetic).
func TestNullDrawIsAConjugation(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	k, lam := bandedK(12, true, rng)
	w := Window{Name: "mid", Lo: 2, Hi: 10}
	n := w.Hi - w.Lo
	kd, err := NullDraw(k, w, NullPermuteModes, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	perm := rand.New(rand.NewPCG(9, 9)).Perm(n)
	P := mat.NewDense(n, n, nil)
	for i, j := range perm {
		P.Set(i, j, 1)
	}
	off := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i != j {
				off.Set(i, j, k.At(w.Lo+i, w.Lo+j))
			}
		}
	}
	var po, want mat.Dense
	po.Mul(P, off)
	want.Mul(&po, P.T())
	for i := 0; i < n; i++ {
		want.Set(i, i, k.At(w.Lo+i, w.Lo+i))
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if kd.At(i, j) != want.At(i, j) {
				t.Fatalf("entry (%d, %d): %v, want %v", i, j, kd.At(i, j), want.At(i, j))
			}
		}
	}
	h := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		h.SetSym(i, i, lam[w.Lo+i])
	}
	c, _ := NormalizedCommutator(kd, h)
	wm, _ := Evaluate(kd, lam[w.Lo:w.Hi], Full(n))
	if math.Abs(c-wm.Commutator) > 1e-13 {
		t.Errorf("commutator %v, explicit %v", wm.Commutator, c)
	}
	if _, err := NullDraw(k, Window{Lo: 5, Hi: 20}, NullPermuteModes, rng); err == nil {
		t.Error("a window outside K accepted")
	}
	if _, err := DiagonalNull(k, lam, NullOptions{Draws: 0}); err == nil {
		t.Error("Draws = 0 accepted")
	}
}

func TestZ(t *testing.T) {
	data := WindowMetrics{Window: Top(3), Commutator: 0.1, CommutatorAH: 1, OffDiagRatio: 0.5, DiagEnergy: 0.9, Spearman: 0.2}
	m, _ := Compute(mat.NewSymDense(3, []float64{3, 0.1, 0, 0.1, 2, 0.2, 0, 0.2, 1}), []float64{3, 2, 1}, mat.NewDense(3, 3, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}),
		Options{Windows: []Window{Top(3)}, Draws: 8, Seed: 1})
	b := m.Rand[0]
	z := Z(data, b)
	if want := (0.1 - b.Commutator.Mean) / b.Commutator.Std; math.Abs(z.Commutator-want) > 1e-15 || b.Commutator.N != 8 {
		t.Errorf("z %v, want %v (%d draws)", z.Commutator, want, b.Commutator.N)
	}
	zs := Zs([]WindowMetrics{data, {Window: Full(3)}}, m.Rand)
	if len(zs) != 1 || zs["top3"] != z {
		t.Errorf("Zs = %v", zs)
	}
	one := b
	one.Commutator.Std = math.NaN()
	if z := Z(data, one); !math.IsInf(z.Commutator, 0) && !math.IsNaN(z.Commutator) {
		t.Errorf("no spread: z %v", z.Commutator)
	}
}

// TestShuffleCorrelationsIsScaleAware: K with correlations r_ij drawn at random, independent
// of the modes (nothing special about where they sit), and entries K_ij = r_ij sqrt(K_ii K_jj)
// whose scale follows the diagonal, as a covariance's does. The correlation null keeps its
// diagonal and the multiset of correlations and finds nothing (|z| <= 3); shuffling raw
// entries moves the large entries of sharp modes to flat pairs and makes this K look less
// commuting than chance (z = (data − null)/sd well above the correlation null's): the bias the
// correlation null removes.
func TestShuffleCorrelationsIsScaleAware(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := 60
	k := mat.NewSymDense(m, nil)
	lam := make([]float64, m)
	for i := 0; i < m; i++ {
		lam[i] = math.Pow(0.8, float64(i))
		k.SetSym(i, i, lam[i])
	}
	for i := 0; i < m; i++ {
		for j := i + 1; j < m; j++ {
			k.SetSym(i, j, 0.05*rng.NormFloat64()*math.Sqrt(lam[i]*lam[j]))
		}
	}
	w := Full(m)
	d, err := NullDraw(k, w, NullShuffleCorrelations, rng)
	if err != nil {
		t.Fatal(err)
	}
	var r0, r1 []float64
	for i := 0; i < m; i++ {
		if d.At(i, i) != k.At(i, i) {
			t.Fatalf("diagonal %d changed", i)
		}
		for j := i + 1; j < m; j++ {
			s := math.Sqrt(lam[i] * lam[j])
			r0, r1 = append(r0, k.At(i, j)/s), append(r1, d.At(i, j)/s)
		}
	}
	slices.Sort(r0)
	slices.Sort(r1)
	for i := range r0 {
		if math.Abs(r0[i]-r1[i]) > 1e-12 {
			t.Fatalf("correlations are not a permutation: %v vs %v", r0[i], r1[i])
		}
	}
	data, _ := Evaluate(k, lam, w)
	z := map[NullKind]float64{}
	for _, kind := range []NullKind{NullShuffleCorrelations, NullShuffleEntries} {
		null, err := DiagonalNull(k, lam, NullOptions{Kind: kind, Windows: []Window{w}, Draws: 200, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		z[kind] = Z(data, null[0]).Commutator
	}
	if zc, ze := z[NullShuffleCorrelations], z[NullShuffleEntries]; math.Abs(zc) > 3 || ze-zc < 1.5 {
		t.Errorf("commutator z: correlations null %.2f (want |z| <= 3), entries null %.2f (want at least 1.5 above it)", zc, ze)
	}
}

// TestNullKindString pins the names the reports print, and the form of values with no name.
func TestNullKindString(t *testing.T) {
	got := fmt.Sprintf("%v|%v|%v|%v|%v", NullKind(-1), NullPermuteModes, NullShuffleEntries, NullShuffleCorrelations, NullKind(3))
	if want := "NullKind(-1)|permute-modes|shuffle-entries|shuffle-correlations|NullKind(3)"; got != want {
		t.Errorf("names %q, want %q", got, want)
	}
}

// TestShuffleMatchesRand: shuffle gives rng.Shuffle's permutation and leaves the generator in
// the same state, for empty, tiny, power-of-two and large lengths (the draws are made 64 at a
// time, so lengths around multiples of 64 matter).
func TestShuffleMatchesRand(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 63, 64, 65, 128, 1000, 4096, 100_003} {
		a, b := make([]float64, n), make([]float64, n)
		for i := range a {
			a[i], b[i] = float64(i), float64(i)
		}
		r1, r2 := rand.New(rand.NewPCG(uint64(n), 7)), rand.New(rand.NewPCG(uint64(n), 7))
		r1.Shuffle(n, func(i, j int) { a[i], a[j] = a[j], a[i] })
		shuffle(b, r2)
		if !slices.Equal(a, b) {
			t.Fatalf("n = %d: shuffle differs from rand.Shuffle", n)
		}
		if x, y := r1.Uint64(), r2.Uint64(); x != y {
			t.Fatalf("n = %d: generator states differ after the shuffle (%x vs %x)", n, x, y)
		}
		if n == 100_003 && slices.IsSorted(b) {
			t.Fatal("shuffle left the values in order")
		}
	}
}

// TestDiagonalNullMatchesDraws: DiagonalNull sums the shuffling nulls without forming their
// matrices; each draw's commutator must equal Evaluate on NullDraw's matrix from the same
// generator state bit for bit, for every kind, on a K with a zero diagonal entry (pairs with
// r = 0) and windows that do not start at mode 0.
func TestDiagonalNullMatchesDraws(t *testing.T) {
	const m, draws = 90, 4
	rng := rand.New(rand.NewPCG(5, 6))
	k := mat.NewSymDense(m, nil)
	for i := 0; i < m; i++ {
		for j := i; j < m; j++ {
			k.SetSym(i, j, rng.NormFloat64())
		}
		k.SetSym(i, i, 0.1+math.Abs(k.At(i, i)))
	}
	k.SetSym(40, 40, 0)
	lam := make([]float64, m)
	for i := range lam {
		lam[i] = math.Pow(0.95, float64(i))
	}
	ws := []Window{Full(m), Top(30), Bulk(30, 75)}
	for _, kind := range []NullKind{NullPermuteModes, NullShuffleEntries, NullShuffleCorrelations} {
		const seed = 11
		got, err := DiagonalNull(k, lam, NullOptions{Kind: kind, Windows: ws, Draws: draws, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		ref := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
		for wi, w := range ws {
			var comm, off []float64
			for d := 0; d < draws; d++ {
				kd, err := NullDraw(k, w, kind, ref)
				if err != nil {
					t.Fatal(err)
				}
				wm, err := Evaluate(kd, lam[w.Lo:w.Hi], Full(w.Hi-w.Lo))
				if err != nil {
					t.Fatal(err)
				}
				comm = append(comm, wm.Commutator)
				off = append(off, wm.OffDiagRatio)
			}
			if g := got[wi]; !slices.Equal(g.Commutators, comm) || g.OffDiagRatio.Mean != fit.Aggregate(off).Mean {
				t.Errorf("%v, window %s: DiagonalNull %v, NullDraw+Evaluate %v", kind, w.Name, g.Commutators, comm)
			}
		}
	}
	if _, err := DiagonalNull(k, lam, NullOptions{Kind: NullKind(9), Draws: 1}); err == nil {
		t.Error("an unknown NullKind was accepted")
	}
}

// BenchmarkDiagonalNull: the claims' null (20 draws of the shuffled-correlation null) on
// the default windows of a D = 2500 K, the paper's MNIST MLP layer (run with -benchtime=1x).
func BenchmarkDiagonalNull(b *testing.B) {
	const d = 2500
	rng := rand.New(rand.NewPCG(1, 2))
	k := randomSym(d, rng)
	for i := 0; i < d; i++ {
		k.SetSym(i, i, 1+math.Abs(k.At(i, i)))
	}
	lam := make([]float64, d)
	for i := range lam {
		lam[i] = float64(d - i)
	}
	for b.Loop() {
		if _, err := DiagonalNull(k, lam, NullOptions{Kind: NullShuffleCorrelations, Draws: 20, Seed: 3}); err != nil {
			b.Fatal(err)
		}
	}
}
