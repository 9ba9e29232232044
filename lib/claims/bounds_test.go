package claims

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/nn"
)

func TestC6CheckBoundsSeparatesRounding(t *testing.T) {
	// Directions 0-2 are ordinary and satisfy both bounds; 3 and 4 are exact nulls computed
	// with rounding noise of either sign (both raw tests fail there); 5 breaks the upper
	// bound for real (as indefinite h_p can); 6 breaks the lower bound for real.
	kmax := 10.0
	h := []float64{2, 1, 0.1, 3e-21, -2e-21, 0.01, 0.5}
	eh2 := []float64{5, 2, 0.2, -1e-21, 4e-21, 0.5, 0.2}
	b, err := c6CheckBounds(h, eh2, kmax, 1e-9, 1e-10)
	if err != nil {
		t.Fatal(err)
	}
	if b.NullDirs != 2 {
		t.Errorf("NullDirs = %d, want 2", b.NullDirs)
	}
	// Lower: raw failures at 3 (H² > negative Eh2) and 6; 3 is null.
	if b.Lower.Raw != 2 || b.Lower.Null != 1 || b.Lower.Real != 1 || b.Lower.RealIdx[0] != 6 {
		t.Errorf("lower = %+v, want raw 2, null 1, real [6]", b.Lower)
	}
	// Upper: raw failures at 3 (−1e-21 > 3e-20 is false: holds), 4 (4e-21 > −2e-20) and 5.
	if b.Upper.Raw != 2 || b.Upper.Null != 1 || b.Upper.Real != 1 || b.Upper.RealIdx[0] != 5 {
		t.Errorf("upper = %+v, want raw 2, null 1, real [5]", b.Upper)
	}
	if want := (0.5 - 0.1) / 0.5; math.Abs(b.Upper.WorstReal-want) > 1e-12 {
		t.Errorf("upper worst excess = %v, want %v", b.Upper.WorstReal, want)
	}
	if math.Abs(b.Upper.RealMaxH-0.01/2) > 1e-15 {
		t.Errorf("upper RealMaxH = %v, want 0.005", b.Upper.RealMaxH)
	}
	if !math.IsNaN(b.KappaEff[3]) || !math.IsNaN(b.KappaEff[4]) || b.KappaEff[0] != 2.5 {
		t.Errorf("KappaEff = %v, want NaN at the nulls and 2.5 at 0", b.KappaEff)
	}
	if _, err := c6CheckBounds([]float64{1}, nil, 1, 0, 0); err == nil {
		t.Error("length mismatch accepted")
	}
}

func TestC6BinnedMeansAndStiffRatio(t *testing.T) {
	x := []float64{5, 1, 4, 2, 3, 6}
	y := []float64{50, 10, 40, 20, 30, 60}
	mx, my := c6BinnedMeans(x, y, 3)
	wantX, wantY := []float64{1.5, 3.5, 5.5}, []float64{15, 35, 55}
	for i := range wantX {
		if math.Abs(mx[i]-wantX[i]) > 1e-12 || math.Abs(my[i]-wantY[i]) > 1e-12 {
			t.Fatalf("bins = %v %v, want %v %v", mx, my, wantX, wantY)
		}
	}
	// Top third by x = {6, 5}: mean y 55; rest mean 25.
	if r := c6StiffRatio(x, y, 1.0/3); math.Abs(r-55.0/25) > 1e-12 {
		t.Errorf("stiff ratio = %v, want %v", r, 55.0/25)
	}
	if m := c6TopMean(x, y, 1.0/3); m != 55 {
		t.Errorf("top mean = %v, want 55", m)
	}
	if r := c6StiffRatio(x, y, 0); !math.IsNaN(r) {
		t.Errorf("stiff ratio with an empty group = %v, want NaN", r)
	}
	if got := c6Thin(10, 4); len(got) != 4 || got[1] != 3 {
		t.Errorf("c6Thin(10, 4) = %v, want [0 3 6 9]", got)
	}
}

func TestC6FitSpectraMatchesDense(t *testing.T) {
	m, err := nn.Build(nn.MLP(6, []int{5, 4}, 3, "relu"), 3)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7^0x9E3779B97F4A7C15))
	n := 40
	x := mat.NewDense(n, 6, nil)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		for j := 0; j < 6; j++ {
			x.Set(i, j, r.NormFloat64())
		}
		labels[i] = r.IntN(3)
	}
	for _, lossName := range []string{"ce", "mse"} {
		loss, err := nn.LossByName(lossName)
		if err != nil {
			t.Fatal(err)
		}
		p := &curv.Problem{Model: m, Loss: loss, X: x, Labels: labels, Block: nn.Block{Layers: []string{"fc2"}}}
		f, err := p.Factors()
		if err != nil {
			t.Fatal(err)
		}
		sp, err := f.Spectra(0)
		if err != nil {
			t.Fatal(err)
		}
		H, H2, err := curv.HessianAndSquare(p)
		if err != nil {
			t.Fatal(err)
		}
		vals, vecs, err := curv.Eigen(H)
		if err != nil {
			t.Fatal(err)
		}
		kappa := c6FitKappa(sp.Kappa, sp.Rank)
		fs, err := c6FitSpectra(sp, kappa, vecs)
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.Validate(); err != nil {
			t.Fatalf("%s: %v", lossName, err)
		}
		h, e, err := fs.Diagonals(nil)
		if err != nil {
			t.Fatal(err)
		}
		e2 := curv.Diag(H2, vecs)
		scaleH, scaleE := math.Abs(vals[0]), 0.0
		for _, v := range e2 {
			scaleE = math.Max(scaleE, math.Abs(v))
		}
		for i := range h {
			if math.Abs(h[i]-vals[i]) > 1e-10*scaleH || math.Abs(e[i]-e2[i]) > 1e-10*scaleE {
				t.Fatalf("%s direction %d: spectra give H %g, E h² %g; dense %g, %g", lossName, i, h[i], e[i], vals[i], e2[i])
			}
		}
	}
}
