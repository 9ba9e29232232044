package fit

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/internal/testkit"
)

// randomOrthonormal returns a d×d orthogonal matrix (QR of a Gaussian matrix).
func randomOrthonormal(d int, seed uint64) *mat.Dense {
	rng := testkit.NewRand(seed)
	g := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	return &q
}

// randomSpectra draws N samples of rank-K spectra in d dimensions with eigenvectors
// u_pm = columns of a random orthogonal matrix, projected on the basis vecs (columns).
// kappa(p, m) gives the unsorted eigenvalues; they are sorted descending per sample.
// It also returns the explicit per-sample Hessians.
func randomSpectra(n, k, d int, vecs *mat.Dense, seed uint64, kappa func(p, m int) float64) (*Spectra, []*mat.SymDense) {
	s, _ := NewSpectra(n, k, d)
	hs := make([]*mat.SymDense, n)
	for p := 0; p < n; p++ {
		u := randomOrthonormal(d, seed+uint64(p)*7919)
		ks := make([]float64, k)
		for m := range ks {
			ks[m] = kappa(p, m)
		}
		// sort descending
		for a := 0; a < k; a++ {
			for b := a + 1; b < k; b++ {
				if ks[b] > ks[a] {
					ks[a], ks[b] = ks[b], ks[a]
				}
			}
		}
		h := mat.NewSymDense(d, nil)
		for m := 0; m < k; m++ {
			s.Kappa[p*k+m] = ks[m]
			col := mat.Col(nil, m, u)
			h.SymRankOne(h, ks[m], mat.NewVecDense(d, col))
			row := s.Row(p, m)
			for i := 0; i < d; i++ {
				dot := mat.Dot(mat.NewVecDense(d, col), vecs.ColView(i))
				row[i] = dot * dot
			}
		}
		hs[p] = h
	}
	return s, hs
}

func TestDiagonalsMatchExplicit(t *testing.T) {
	const n, k, d = 6, 3, 7
	v := randomOrthonormal(d, 99) // stands in for H's eigenvectors
	rng := testkit.NewRand(3)
	s, hs := randomSpectra(n, k, d, v, 11, func(p, m int) float64 { return rng.NormFloat64() }) // indefinite
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	h, eh2, err := s.Diagonals(nil)
	if err != nil {
		t.Fatal(err)
	}
	H := mat.NewSymDense(d, nil)
	E := mat.NewSymDense(d, nil)
	for _, hp := range hs {
		H.AddSym(H, hp)
		var sq mat.Dense
		sq.Mul(hp, hp)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				E.SetSym(i, j, E.At(i, j)+sq.At(i, j))
			}
		}
	}
	H.ScaleSym(1.0/n, H)
	E.ScaleSym(1.0/n, E)
	for i := 0; i < d; i++ {
		vi := v.ColView(i)
		if want := mat.Inner(vi, H, vi); !testkit.Near(h[i], want, 1e-12) {
			t.Errorf("H_%d = %v, want %v", i, h[i], want)
		}
		if want := mat.Inner(vi, E, vi); !testkit.Near(eh2[i], want, 1e-12) {
			t.Errorf("Eh2_%d = %v, want %v", i, eh2[i], want)
		}
	}
}

func TestJensenLowerBound(t *testing.T) {
	// H_ii² <= [E h²]_ii for any spectra; [E h²]_ii <= κ_max H_ii for PSD spectra.
	const n, k, d = 40, 4, 10
	v := randomOrthonormal(d, 5)
	rng := testkit.NewRand(8)
	s, _ := randomSpectra(n, k, d, v, 21, func(p, m int) float64 { return math.Exp(3 * rng.NormFloat64()) })
	h, eh2, _ := s.Diagonals(nil)
	r, err := CheckBounds(h, eh2, s.KappaMax(nil), 1e-12, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Lower.Count != 0 || r.Upper.Count != 0 {
		t.Errorf("PSD spectra violate a bound: lower %+v upper %+v", r.Lower, r.Upper)
	}
	if r.Lower.Max >= 0 {
		t.Errorf("random spectra should satisfy Jensen strictly, max rel excess %v", r.Lower.Max)
	}
	// Indefinite spectra still obey the lower bound.
	s2, _ := randomSpectra(n, k, d, v, 31, func(p, m int) float64 { return rng.NormFloat64() })
	h, eh2, _ = s2.Diagonals(nil)
	if r, _ := CheckBounds(h, eh2, s2.KappaMax(nil), 1e-12, 0); r.Lower.Count != 0 {
		t.Errorf("indefinite spectra violate H² <= Eh2: %+v", r.Lower)
	}
}

func TestEditsHandComputed(t *testing.T) {
	s := &Spectra{N: 3, K: 2, Dirs: 1,
		Kappa: []float64{10, 1, 0.005, 0.001, 4, 2},
		W:     []float64{1, 0, 1, 0, 1, 0}}
	// max κ_1 = 10, τ = 0.01: sample 1 is soft, samples 0 and 2 are stiff with mean 7.
	want := map[Edit][]float64{
		EditOriginal:      {10, 1, 0.005, 0.001, 4, 2},
		EditCut:           {10, 1e-5, 0.005, 1e-8, 4, 2e-5},
		EditStiffPreserve: {10, 1e-5, 5e-6, 1e-8, 4, 2e-5},
		EditStiffCollapse: {7, 1e-5, 5e-6, 1e-8, 7, 2e-5},
	}
	for e, w := range want {
		got, info, err := s.Edit(e, EditParams{})
		if err != nil {
			t.Fatal(err)
		}
		for j := range w {
			if !testkit.Near(got[j], w[j], 1e-15*math.Abs(w[j])) {
				t.Errorf("%s: kappa = %v, want %v", e, got, w)
				break
			}
		}
		if e >= EditStiffPreserve && (info.Soft != 1 || info.Stiff != 2 || info.StiffMean != 7 || !testkit.Near(info.Threshold, 0.01, 1e-17)) {
			t.Errorf("%s: info %+v", e, info)
		}
	}
	if s.Kappa[0] != 10 {
		t.Error("Edit modified the input spectra")
	}
}

func TestMeanCollapseGivesGammaOne(t *testing.T) {
	// Rank-one per-sample spectra, every sample stiff (κ in [0.5, 2] ⇒ κ > 1e-3 max): after
	// the collapse every κ equals one constant k, so [E h²]_ii = k H_ii and γ = 1 exactly.
	const n, d = 50, 12
	v := randomOrthonormal(d, 2)
	rng := testkit.NewRand(4)
	s, _ := randomSpectra(n, 1, d, v, 41, func(p, m int) float64 { return 0.5 + 1.5*rng.Float64() })
	rows, err := Suppression(s, SuppressionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(AllEdits) {
		t.Fatalf("%d rows, want %d", len(rows), len(AllEdits))
	}
	c := rows[3]
	if c.Info.Stiff != n || c.Info.Soft != 0 {
		t.Fatalf("stiff/soft = %d/%d, want %d/0", c.Info.Stiff, c.Info.Soft, n)
	}
	if !testkit.Near(c.Fit.Slope, 1, 1e-12) || !testkit.Near(c.Fit.R2, 1, 1e-12) || !testkit.Near(c.Fit.Intercept, math.Log10(c.Info.StiffMean), 1e-12) {
		t.Errorf("mean collapse: slope %v R2 %v intercept %v, want 1, 1, log10 %v", c.Fit.Slope, c.Fit.R2, c.Fit.Intercept, c.Info.StiffMean)
	}
	// The original spectra (spread-out κ) are superlinear-or-not but are not exactly linear.
	if testkit.Near(rows[0].Fit.Slope, 1, 1e-6) {
		t.Errorf("original slope %v is suspiciously exactly 1", rows[0].Fit.Slope)
	}
	// Row 0 compares the original with itself.
	if !testkit.Near(rows[0].HVsOrig.Slope, 1, 1e-12) || !testkit.Near(rows[0].CVsOrig.Slope, 1, 1e-12) {
		t.Errorf("original vs itself: %v %v", rows[0].HVsOrig.Slope, rows[0].CVsOrig.Slope)
	}
	// One mode: the gap metric is 1 at k = 1.
	if g := rows[0].Gap.At(3, 0); !testkit.Near(g, 1, 1e-15) {
		t.Errorf("gap with one mode = %v, want 1", g)
	}
}

func TestGapHandComputed(t *testing.T) {
	// N=2, K=2, Dirs=2. e_pmi = κ² w.
	// dir 0: p0 e = [4·0.5, 1·0.5] = [2, 0.5]; p1 e = [1·1, 1·0] = [1, 0].
	// dir 1: p0 e = [2, 0.5]; p1 e = [0, 0] (no energy).
	s := &Spectra{N: 2, K: 2, Dirs: 2,
		Kappa: []float64{2, 1, 1, 1},
		W:     []float64{0.5, 0.5, 0.5, 0.5, 1, 0, 0, 0}}
	pooled, err := s.Gap(nil, GapPooled)
	if err != nil {
		t.Fatal(err)
	}
	// pooled dir 0: (2+1)/3.5 = 6/7; dir 1: 2/2.5 = 0.8.
	wantP := []float64{6.0 / 7, 1, 0.8, 1}
	mor, _ := s.Gap(nil, GapMeanOfRatios)
	// mean of ratios dir 0: (2/2.5 + 1/1)/2 = 0.9; dir 1: only p0 has energy: 0.8.
	wantM := []float64{0.9, 1, 0.8, 1}
	for j := range wantP {
		if g := pooled.At(j/2, j%2); !testkit.Near(g, wantP[j], 1e-15) {
			t.Errorf("pooled gap (%d,%d) = %v, want %v", j/2, j%2, g, wantP[j])
		}
		if g := mor.At(j/2, j%2); !testkit.Near(g, wantM[j], 1e-15) {
			t.Errorf("mean-of-ratios gap (%d,%d) = %v, want %v", j/2, j%2, g, wantM[j])
		}
	}
}

func TestSpectraValidate(t *testing.T) {
	for name, s := range map[string]*Spectra{
		"short W":        {N: 1, K: 2, Dirs: 2, Kappa: []float64{2, 1}, W: []float64{0, 0, 0}},
		"ascending":      {N: 1, K: 2, Dirs: 1, Kappa: []float64{1, 2}, W: []float64{0, 0}},
		"negative w":     {N: 1, K: 1, Dirs: 2, Kappa: []float64{1}, W: []float64{0.5, -0.1}},
		"NaN kappa":      {N: 1, K: 1, Dirs: 1, Kappa: []float64{math.NaN()}, W: []float64{1}},
		"zero dimension": {N: 0, K: 1, Dirs: 1},
	} {
		if err := s.Validate(); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
}

// BenchmarkDiagonals: N=2000 samples, K=10 modes, 1000 directions (160 MB of W).
func BenchmarkDiagonals(b *testing.B) {
	s, _ := NewSpectra(2000, 10, 1000)
	for i := range s.W {
		s.W[i] = 1e-3
	}
	for i := range s.Kappa {
		s.Kappa[i] = float64(10 - i%10)
	}
	b.SetBytes(int64(8 * len(s.W)))
	for b.Loop() {
		s.Diagonals(nil)
	}
}

func TestStiffShuffleKeepsTheDistribution(t *testing.T) {
	// Six samples, two modes; samples 0 and 5 are soft (κ_p1 <= 1e-3 max).
	s := &Spectra{N: 6, K: 2, Dirs: 1, Kappa: []float64{1e-4, 0.5, 3, 1, 5, 2, 7, 1, 9, 4, 1e-5, 0}, W: make([]float64, 12)}
	preserve, _, err := s.Edit(EditStiffPreserve, EditParams{})
	if err != nil {
		t.Fatal(err)
	}
	var moved bool
	for seed := uint64(0); seed < 4; seed++ {
		got, info, err := s.Edit(EditStiffShuffle, EditParams{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if info.Stiff != 4 || info.Soft != 2 {
			t.Fatalf("stiff/soft %d/%d, want 4/2", info.Stiff, info.Soft)
		}
		var a, b []float64
		for p := 0; p < s.N; p++ {
			if p == 0 || p == 5 {
				if got[p*2] != preserve[p*2] {
					t.Errorf("seed %d: soft sample %d changed: %v, want %v", seed, p, got[p*2], preserve[p*2])
				}
			} else {
				a, b = append(a, got[p*2]), append(b, preserve[p*2])
				moved = moved || got[p*2] != preserve[p*2]
			}
			if got[p*2+1] != preserve[p*2+1] {
				t.Errorf("seed %d: mode 2 of sample %d changed", seed, p)
			}
		}
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("seed %d: stiff κ_p1 %v are not a permutation of %v", seed, a, b)
		}
	}
	if !moved {
		t.Error("no seed moved any κ_p1")
	}
}

// randomSpectra draws spectra with random weights (not a real decomposition; the
// suppression arithmetic does not care).
func randFlatSpectra(n, k, dirs int, seed uint64) *Spectra {
	r := testkit.NewRand(seed)
	s, _ := NewSpectra(n, k, dirs)
	for p := 0; p < n; p++ {
		top := math.Pow(10, 3*r.Float64()-2)
		for m := 0; m < k; m++ {
			s.Kappa[p*k+m] = top * math.Pow(0.3, float64(m))
		}
	}
	for j := range s.W {
		s.W[j] = r.Float64() * r.Float64() / float64(dirs)
	}
	// Make the directions' scales differ so that the fits are well posed.
	for p := 0; p < n; p++ {
		for m := 0; m < k; m++ {
			row := s.Row(p, m)
			for i := range row {
				row[i] *= math.Pow(0.95, float64(i))
			}
		}
	}
	return s
}

func sliceDirs(s *Spectra, i0, i1 int) *Spectra {
	out, _ := NewSpectra(s.N, s.K, i1-i0)
	copy(out.Kappa, s.Kappa)
	for p := 0; p < s.N; p++ {
		for m := 0; m < s.K; m++ {
			copy(out.Row(p, m), s.Row(p, m)[i0:i1])
		}
	}
	return out
}

// TestSuppressionBlocksMatchesWhole: blocks of any size give the whole-matrix result.
func TestSuppressionBlocksMatchesWhole(t *testing.T) {
	s := randFlatSpectra(30, 4, 23, 5)
	opt := SuppressionOptions{Fit: Options{Rule: RuleV1, TopN: 23}, Gap: GapMeanOfRatios}
	want, err := Suppression(s, opt)
	if err != nil {
		t.Fatal(err)
	}
	load := func(i0, i1 int) (*Spectra, error) { return sliceDirs(s, i0, i1), nil }
	for _, block := range []int{23, 100, 5, 1} {
		got, nb, err := SuppressionBlocks(23, block, load, opt)
		if err != nil {
			t.Fatal(err)
		}
		if wantNB := (23 + block - 1) / block; nb != wantNB {
			t.Errorf("block %d: %d blocks, want %d", block, nb, wantNB)
		}
		for j := range want {
			w, g := want[j], got[j]
			close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }
			if g.Edit != w.Edit || !close(g.Fit.Slope, w.Fit.Slope) || !close(g.HVsOrig.Slope, w.HVsOrig.Slope) ||
				!close(g.CVsOrig.Slope, w.CVsOrig.Slope) || g.Info != w.Info {
				t.Fatalf("block %d edit %s: got γ %v (H %v, C %v, %+v), want %v (%v, %v, %+v)", block, w.Name,
					g.Fit.Slope, g.HVsOrig.Slope, g.CVsOrig.Slope, g.Info, w.Fit.Slope, w.HVsOrig.Slope, w.CVsOrig.Slope, w.Info)
			}
			for i := range w.H {
				if !close(g.H[i], w.H[i]) || !close(g.Eh2[i], w.Eh2[i]) {
					t.Fatalf("block %d edit %s direction %d: diagonals differ", block, w.Name, i)
				}
			}
			for m := range w.GapMean {
				if !close(g.GapMean[m], w.GapMean[m]) {
					t.Fatalf("block %d edit %s: gap mean %v, want %v", block, w.Name, g.GapMean, w.GapMean)
				}
			}
		}
	}
	if _, _, err := SuppressionBlocks(0, 1, load, opt); err == nil {
		t.Error("dirs = 0 accepted")
	}
}

// TestStiffShuffleBreaksAlignment: on spectra whose superlinearity comes from stiff
// samples pointing into sharp directions, the shuffle brings γ to about 1 while the spread of
// κ_p1 is kept (the mean collapse gives exactly 1).
func TestStiffShuffleBreaksAlignment(t *testing.T) {
	// Direction i holds n_i samples (200 down to 5), each a single mode fully on i with
	// κ = sqrt(n_i): H_i ∝ n_i^1.5, C_i ∝ n_i^2, γ = 4/3. Shuffling κ across samples leaves
	// every direction with draws from the same distribution: γ ≈ 1.
	const dirs = 20
	var ns []int
	for i := 0; i < dirs; i++ {
		ns = append(ns, int(math.Round(200*math.Pow(5.0/200, float64(i)/(dirs-1)))))
	}
	n := 0
	for _, v := range ns {
		n += v
	}
	al, _ := NewSpectra(n, 1, dirs)
	p := 0
	for i, v := range ns {
		for j := 0; j < v; j++ {
			al.Kappa[p] = math.Sqrt(float64(v)) * (1 + 0.01*float64(j%3))
			al.Row(p, 0)[i] = 1
			p++
		}
	}
	rows, err := Suppression(al, SuppressionOptions{Edits: []Edit{EditOriginal, EditStiffCollapse, EditStiffShuffle},
		EditParams: EditParams{Seed: 1}, NoGap: true})
	if err != nil {
		t.Fatal(err)
	}
	g0, gc, gs := rows[0].Fit.Slope, rows[1].Fit.Slope, rows[2].Fit.Slope
	t.Logf("γ original %.3f, collapse %.3f, shuffle %.3f", g0, gc, gs)
	if math.Abs(g0-4.0/3) > 0.01 || math.Abs(gc-1) > 1e-9 || math.Abs(gs-1) > 0.1 {
		t.Errorf("γ original %.4f (want 4/3), collapse %.4f (want 1), shuffle %.4f (want ≈ 1)", g0, gc, gs)
	}
}

// TestEditString pins the edit names the suppression table prints, and the form of values
// with no name.
func TestEditString(t *testing.T) {
	got := fmt.Sprintf("%v|%v|%v|%v|%v|%v|%v", Edit(-1), EditOriginal, EditCut, EditStiffPreserve, EditStiffCollapse, EditStiffShuffle, Edit(5))
	if want := "Edit(-1)|original|cut@k=1|cut@k=1+stiff-preserve|cut@k=1+stiff-mean-collapse|cut@k=1+stiff-shuffle (control)|Edit(5)"; got != want {
		t.Errorf("names %q, want %q", got, want)
	}
}
