package claims

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/curv"
	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// lwTinyProblem is a 6-5-4-3 MLP (act) on random data, target block ls.
func lwTinyProblem(t *testing.T, act string, ls []string) *curv.Problem {
	t.Helper()
	m, err := nn.Build(nn.MLP(6, []int{5, 4}, 3, act), 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5^0x9E3779B97F4A7C15))
	n := 40
	x := mat.NewDense(n, 6, nil)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		for j := 0; j < 6; j++ {
			x.Set(i, j, rng.NormFloat64())
		}
		labels[i] = rng.IntN(3)
	}
	loss, err := nn.LossByName("ce")
	if err != nil {
		t.Fatal(err)
	}
	return &curv.Problem{Model: m, Loss: loss, X: x, Labels: labels, Block: nn.Block{Layers: ls}}
}

func lwMaxRel(a, b []float64) float64 {
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

// HVPDiagonals must agree with curv.Analyze (dense matrices read in H's eigenbasis) on the
// factorized route (ReLU), the dense HVP route (tanh) and a joint block of two layers.
func TestHVPDiagonalsMatchAnalyze(t *testing.T) {
	for _, tc := range []struct {
		act string
		ls  []string
	}{{"relu", []string{"fc2"}}, {"tanh", []string{"fc2"}}, {"relu", []string{"fc1", "fc2"}}, {"tanh", []string{"fc2", "fc3"}}} {
		p := lwTinyProblem(t, tc.act, tc.ls)
		a, err := curv.Analyze(p, curv.AnalysisOptions{Batch: 8, Seed: 2, KeepVectors: true})
		if err != nil {
			t.Fatal(err)
		}
		l, err := HVPLayer(p, a.Eigenvalues, a.Eigenvectors, 8, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []struct {
			name      string
			got, want []float64
		}{{"Eh2", l.Eh2, a.Eh2}, {"C", l.C, a.C}, {"Covar", l.Covar, a.Covar}, {"EF", l.EF, a.EF}} {
			if e := lwMaxRel(q.got, q.want); e > 1e-8 {
				t.Errorf("%s %v (route %s): %s differs from curv.Analyze by %.2g (relative to its max)", tc.act, tc.ls, a.Route, q.name, e)
			}
		}
	}
}

// TopKAnalysis: Lanczos top-k eigenpairs on a joint block match the dense spectrum.
func TestTopKAnalysisJoint(t *testing.T) {
	p := lwTinyProblem(t, "tanh", []string{"fc2", "fc3"})
	a, err := curv.Analyze(p, curv.AnalysisOptions{Batch: 8, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	l, vecs, err := TopKAnalysis(p, 10, 8, 2)
	if err != nil {
		t.Fatal(err)
	}
	if e := lwMaxRel(l.H, a.Eigenvalues[:10]); e > 1e-7 {
		t.Errorf("top-10 eigenvalues differ from the dense ones by %.2g", e)
	}
	if e := lwMaxRel(l.Eh2, a.Eh2[:10]); e > 1e-6 {
		t.Errorf("top-10 [E h²]_ii differ by %.2g", e)
	}
	share := BlockShare(vecs, 20) // fc2 is 4x5
	for i, s := range share {
		if s < 0 || s > 1 {
			t.Errorf("share %d = %v outside [0, 1]", i, s)
		}
	}
	if _, ok := l.Fits["C/v1"]; !ok {
		t.Errorf("no C/v1 fit: %v", l.FitErrors)
	}
}

func TestBlockShareAndLocalized(t *testing.T) {
	v := mat.NewDense(4, 3, []float64{
		1, 0, 1,
		0, 0, 1,
		0, 1, 1,
		0, 0, 1,
	})
	got := BlockShare(v, 2)
	want := []float64{1, 0, 0.5}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Errorf("share %d = %v, want %v", i, got[i], want[i])
		}
	}
	jb := &JointBlock{Share: got}
	if n := jb.Localized(0.9); n != 2 {
		t.Errorf("Localized = %d, want 2", n)
	}
}

func TestCachedGob(t *testing.T) {
	o := Options{Run: experiment.Options{CacheDir: t.TempDir()}}
	calls := 0
	compute := func() (*JointBlock, error) {
		calls++
		return &JointBlock{Name: "fc2+fc3", Share: []float64{0.25, math.NaN()}, Layer: &experiment.Layer{D: 8, KappaMax: math.NaN()}}, nil
	}
	for i := 0; i < 2; i++ {
		jb, err := cachedGob(o, "k-joint-v1", compute)
		if err != nil {
			t.Fatal(err)
		}
		if jb.Name != "fc2+fc3" || jb.Share[0] != 0.25 || !math.IsNaN(jb.Share[1]) || jb.Layer.D != 8 {
			t.Fatalf("round trip %d: %+v", i, jb)
		}
	}
	if calls != 1 {
		t.Errorf("compute called %d times, want 1 (second call from the cache)", calls)
	}
	o.Run.Recompute = true
	if _, err := cachedGob(o, "k-joint-v1", compute); err != nil || calls != 2 {
		t.Errorf("Recompute: calls %d err %v", calls, err)
	}
}
