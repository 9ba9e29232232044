package claims

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/fit"
)

func TestC6FitKappaPadding(t *testing.T) {
	k := mat.NewDense(3, 3, []float64{
		3, 1, 0, // rank 2, positive: pad 0
		2, -1, 0, // rank 2 with a negative mode: pad must not exceed −1
		0, 0, 0, // rank 0
	})
	got := c6FitKappa(k, []int{2, 2, 0})
	want := []float64{3, 1, 0, 2, -1, -1, 0, 0, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("c6FitKappa = %v, want %v", got, want)
		}
	}
}

// randomFitSpectra draws spectra with random weights (not a real decomposition; the
// suppression arithmetic does not care).
func randomFitSpectra(n, k, dirs int, seed uint64) *fit.Spectra {
	r := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	s, _ := fit.NewSpectra(n, k, dirs)
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

func sliceDirs(s *fit.Spectra, i0, i1 int) *fit.Spectra {
	out, _ := fit.NewSpectra(s.N, s.K, i1-i0)
	copy(out.Kappa, s.Kappa)
	for p := 0; p < s.N; p++ {
		for m := 0; m < s.K; m++ {
			copy(out.Row(p, m), s.Row(p, m)[i0:i1])
		}
	}
	return out
}

func TestC6SuppressBlocksMatchesFit(t *testing.T) {
	s := randomFitSpectra(30, 4, 23, 5)
	opt := fit.SuppressionOptions{Fit: fit.Options{Rule: fit.RuleV1, TopN: 23}, Gap: fit.GapMeanOfRatios}
	want, err := fit.Suppression(s, opt)
	if err != nil {
		t.Fatal(err)
	}
	load := func(i0, i1 int) (*fit.Spectra, error) { return sliceDirs(s, i0, i1), nil }
	for _, block := range []int{23, 100, 5, 1} {
		got, nb, err := c6SuppressBlocks(23, block, load, opt)
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
	if _, _, err := c6SuppressBlocks(0, 1, load, opt); err == nil {
		t.Error("dirs = 0 accepted")
	}
}

func TestC6SpreadSamples(t *testing.T) {
	x := []float64{0.1, 5, 3, 0.5, 9}
	got := c6SpreadSamples(x, 3)
	want := []int{4, 2, 0} // stiffest, middle, softest
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("c6SpreadSamples = %v, want %v", got, want)
		}
	}
}
