package experiment

import (
	"math"
	"testing"

	"github.com/noisecurv/noisecurv/internal/nntest"
	"github.com/noisecurv/noisecurv/internal/testkit"
	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// tinyProblem is a 6-5-4-3 MLP (act) on random data, target block ls.
func tinyProblem(t *testing.T, act string, ls []string) *curv.Problem {
	t.Helper()
	m := nntest.Model(t, nn.MLP(6, []int{5, 4}, 3, act), 3, 1)
	x, labels := testkit.RandomClassification(testkit.NewRand(5), 40, 6, 3)
	return &curv.Problem{Model: m, Loss: nntest.Loss(t, "ce"), X: x, Labels: labels, Block: nn.Block{Layers: ls}}
}

func maxRel(a, b []float64) float64 {
	scale := 0.0
	for _, v := range b {
		scale = math.Max(scale, math.Abs(v))
	}
	e := 0.0
	for i := range a {
		e = math.Max(e, math.Abs(a[i]-b[i])/scale)
	}
	return e
}

// TopKLayer on a joint tanh block: Lanczos top-k eigenpairs and the matrix-free diagonals
// match the dense analysis (dense H, HVP route), and the fits are made.
func TestTopKLayerJoint(t *testing.T) {
	p := tinyProblem(t, "tanh", []string{"fc2", "fc3"})
	a, err := curv.Analyze(p, curv.AnalysisOptions{Batch: 8, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	l, vecs, err := TopKLayer(p, 10, 8, 2)
	if err != nil {
		t.Fatal(err)
	}
	if e := maxRel(l.Eigenvalues, a.Eigenvalues[:10]); e > 1e-7 {
		t.Errorf("top-10 eigenvalues differ from the dense ones by %.2g", e)
	}
	for _, q := range []struct {
		name      string
		got, want []float64
	}{{"Eh2", l.Eh2, a.Eh2[:10]}, {"C", l.C, a.C[:10]}, {"Covar", l.Covar, a.Covar[:10]}, {"EF", l.EF, a.EF[:10]}} {
		if e := maxRel(q.got, q.want); e > 1e-6 {
			t.Errorf("top-10 %s differ by %.2g", q.name, e)
		}
	}
	if l.F != nil || l.Target != "fc2+fc3" {
		t.Errorf("F %v, target %q", l.F, l.Target)
	}
	if r, c := vecs.Dims(); r != 20+12 || c != 10 {
		t.Errorf("eigenvectors %d x %d", r, c)
	}
	if _, ok := l.Fit(MatC.V1()); !ok {
		t.Errorf("no C/v1 fit: %v", l.FitErrors)
	}
}

// DiagonalsLayer from HVPDiagonals in the full eigenbasis agrees with curv.Analyze's layer.
func TestDiagonalsLayerMatchesAnalyze(t *testing.T) {
	for _, act := range []string{"relu", "tanh"} {
		p := tinyProblem(t, act, []string{"fc2"})
		a, err := curv.Analyze(p, curv.AnalysisOptions{Batch: 8, Seed: 2, KeepVectors: true})
		if err != nil {
			t.Fatal(err)
		}
		dg, err := curv.HVPDiagonals(p, a.Eigenvectors, 8, 2)
		if err != nil {
			t.Fatal(err)
		}
		l := DiagonalsLayer("fc2", a.Eigenvalues, dg)
		want := AnalysisLayer("fc2", a)
		for _, m := range []Matrix{MatH, MatC, MatCovar, MatEh2, MatEF} {
			if e := maxRel(l.Diagonal(m), want.Diagonal(m)); e > 1e-8 {
				t.Errorf("%s %s: %.2g", act, m, e)
			}
		}
	}
}

func TestLayerNonPositive(t *testing.T) {
	l := &Layer{H: []float64{2, 0, -1, math.NaN(), 1e-300}}
	if n := l.NonPositive(); n != 3 {
		t.Errorf("NonPositive of %v = %d, want 3", l.H, n)
	}
}

func TestLayerRefits(t *testing.T) {
	l := &Layer{Fits: map[string]fit.Result{}, FitErrors: map[string]string{}}
	for i := 0; i < 60; i++ {
		h := math.Pow(10, -float64(i)/20)
		l.H, l.C = append(l.H, h), append(l.C, 3*math.Pow(h, 1.3))
	}
	FitLayer(l, 40, 1)
	got := l.Refits(40, MatC.V1(), MatEh2.V1())
	f, ok := got[MatC.V1().String()]
	stored, _ := l.Fit(MatC.V1())
	if len(got) != 1 || !ok || math.Abs(f.Slope-1.3) > 1e-9 || f.N != 40 || len(f.Used) != 40 || f.CI == nil || f.CI != stored.CI {
		t.Errorf("refits %v: C/v1 slope %g, %d points, %d used, CI %v (stored %v); want only C/v1 (no E h² diagonal)", got, f.Slope, f.N, len(f.Used), f.CI, stored.CI)
	}
}

func TestLayerWindowSweep(t *testing.T) {
	// An exact power law C = 3 H^1.3 with a kink after the top 30 directions (there C ∝ H):
	// the windows that reach past it see a smaller slope.
	l := &Layer{Target: "fc2"}
	for i := 0; i < 200; i++ {
		h := math.Pow(10, -float64(i)/50)
		c := 3 * math.Pow(h, 1.3)
		if i >= 30 {
			c = 3 * math.Pow(l.H[29], 0.3) * h
		}
		l.H, l.C = append(l.H, h), append(l.C, c)
	}
	ws := l.WindowSweep(MatC, 30)
	if len(ws) != 4 || ws[0].Label != "v1 N'/2" || ws[1].Label != "v1 N'" || ws[2].Label != "v1 2N'" || ws[3].Label != "v2" {
		t.Fatalf("sweep %+v", ws)
	}
	for i, w := range ws {
		if w.Err != nil {
			t.Fatalf("%s: %v", w.Label, w.Err)
		}
		if n := []int{15, 30, 60}; i < 3 && w.Result.N != n[i] {
			t.Errorf("%s: %d points, want %d", w.Label, w.Result.N, n[i])
		}
	}
	if math.Abs(ws[0].Result.Slope-1.3) > 1e-9 || math.Abs(ws[1].Result.Slope-1.3) > 1e-9 || !(ws[2].Result.Slope < 1.3) {
		t.Errorf("slopes %g, %g, %g: want 1.3 within the top 30, less beyond", ws[0].Result.Slope, ws[1].Result.Slope, ws[2].Result.Slope)
	}
	if ws := l.WindowSweep(MatEh2, 30); ws[0].Err == nil {
		t.Error("a matrix without a diagonal: no error")
	}
}
