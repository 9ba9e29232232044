package explore

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/noisecurv/noisecurv/lib/experiment"
	"github.com/noisecurv/noisecurv/lib/fit"
	"github.com/noisecurv/noisecurv/lib/linalg"
	"github.com/noisecurv/noisecurv/lib/nn"
)

// byRun is a run whose layer has H_i = 10^(-3i/n), C_i = H_i^gamma (fits computed by FitLayer).
func byRun(label string, x, gamma float64, batch int) *BeyondRun {
	n := 60
	l := &experiment.Layer{Target: "fc2", D: n, Fits: map[string]fit.Result{}, FitErrors: map[string]string{}}
	for i := 0; i < n; i++ {
		h := math.Pow(10, -3*float64(i)/float64(n))
		l.H = append(l.H, h)
		l.C = append(l.C, math.Pow(h, gamma)/float64(batch))
		l.Covar = append(l.Covar, math.Pow(h, gamma)/float64(batch))
		l.Eh2 = append(l.Eh2, math.Pow(h, gamma+0.05))
	}
	experiment.FitLayer(l, 40, 1)
	c := experiment.Config{Batch: batch, NPrime: 40}
	return &BeyondRun{Label: label, X: x, Config: c, Layer: l,
		Result: &experiment.Result{N: 100, History: historyWithAcc(0.99)}}
}

func TestBeyondConclusions(t *testing.T) {
	same := []*BeyondRun{byRun("B = 25", 25, 1.20, 25), byRun("B = 50", 50, 1.25, 50), byRun("B = 100", 100, 1.28, 100)}
	if s := beyondBatchConclusion(same); !strings.Contains(s, "does not depend") || !strings.Contains(s, "1.200 at B = 25") {
		t.Errorf("batch conclusion %q", s)
	}
	diff := []*BeyondRun{byRun("B = 25", 25, 1.10, 25), byRun("B = 100", 100, 1.30, 100)}
	if s := beyondBatchConclusion(diff); !strings.Contains(s, "changes with the batch size") {
		t.Errorf("batch conclusion %q", s)
	}
	ch := beyondChange("c", []*BeyondRun{byRun("label noise 0", 0, 1.3, 50), byRun("label noise 0.2", 0.2, 1.0, 50), byRun("x", 1, 1.35, 50)})
	if !strings.Contains(ch, "label noise 0.2: γ_emp 1.000 vs 1.300 for label noise 0 (lower by more than 0.1") || !strings.Contains(ch, "x: γ_emp 1.350 vs 1.300 for label noise 0 (unchanged within") {
		t.Errorf("change %q", ch)
	}
	if s := beyondChange("d", same[:1]); !strings.Contains(s, "nothing to compare") {
		t.Errorf("single run %q", s)
	}
	st := &TanhStudy{N: 1000, Tanh: byRun("tanh", 0, 1.05, 50), ReLU: byRun("relu", 0, 1.25, 50), ResidualShare: 0.123, NegEig: 7}
	if s := beyondTanhConclusion(st, math.NaN()); !strings.Contains(s, "near linear") || !strings.Contains(s, "12.3% of |H|_F") || !strings.Contains(s, "7 negative") || strings.Contains(s, "all its training samples") {
		t.Errorf("tanh conclusion %q", s)
	}
	if s := beyondTanhConclusion(st, 1.1); !strings.Contains(s, "γ_emp 1.100 on all its training samples") {
		t.Errorf("tanh conclusion with the full-data exponent %q", s)
	}
	if v := fit.Spread([]float64{math.NaN(), 1, 1.5}); v != 0.5 {
		t.Errorf("spread %v", v)
	}
	if v := fit.Spread([]float64{math.NaN()}); !math.IsNaN(v) {
		t.Errorf("spread of nothing %v", v)
	}
}

func TestBeyondFigures(t *testing.T) {
	runs := []*BeyondRun{byRun("B = 25", 25, 1.20, 25), byRun("B = 100", 100, 1.28, 100)}
	if _, err := BeyondGammaFigure("g", "B", true, runs); err != nil {
		t.Fatal(err)
	}
	f, err := BeyondPanel("p", "B·C", runs, experiment.MatC.V1(), 1, func(r *BeyondRun) float64 { return float64(r.Config.Batch) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.OptionJSON(); err != nil {
		t.Fatal(err)
	}
	// B·C_ii is the same curve H^γ for both runs: the scaled fit intercept is ~0.
	g := runs[0].Layer.Fits[experiment.MatC.V1().String()]
	if math.Abs(g.Intercept+math.Log10(25)) > 1e-9 || math.Abs(g.Slope-1.2) > 1e-9 {
		t.Errorf("fit %+v", g)
	}
}

func TestBeyondResidualShare(t *testing.T) {
	h := mat.NewSymDense(2, []float64{2, 0, 0, 0})
	g := mat.NewSymDense(2, []float64{2, 0, 0, 1})
	if v := linalg.RelFrobenius(g, h); math.Abs(v-0.5) > 1e-15 {
		t.Errorf("share %v, want 0.5", v)
	}
	if v := linalg.RelFrobenius(mat.NewSymDense(1, []float64{0}), mat.NewSymDense(1, []float64{0})); !math.IsNaN(v) {
		t.Errorf("zero H: %v", v)
	}
}

func historyWithAcc(acc float64) nn.History {
	return nn.History{Epochs: []nn.EpochStats{{Epoch: 1, Acc: acc, TrainAcc: acc, Evaluated: true}}}
}

func TestBeyondAccCorrelation(t *testing.T) {
	mk := func(g, acc float64) *BeyondRun {
		r := byRun("x", 0, g, 50)
		r.Result.History = historyWithAcc(acc)
		return r
	}
	a, b, c := mk(1.0, 0.8), mk(1.1, 0.9), mk(1.3, 1.0)
	b.Config.Batch, c.Config.Batch = 51, 52                // distinct runs have distinct configs
	r, n := beyondAccCorrelation([]*BeyondRun{a, b, c, a}) // a twice: counted once
	if n != 3 || !(r > 0.9) {
		t.Errorf("r %v over %d runs, want strongly positive over 3", r, n)
	}
	if s := beyondAccSentence(r, n); !strings.Contains(s, "rises with") {
		t.Errorf("sentence %q", s)
	}
	if s := beyondAccSentence(0.1, 5); !strings.Contains(s, "no strong relation") {
		t.Errorf("sentence %q", s)
	}
	if r, n := beyondAccCorrelation([]*BeyondRun{a, b}); n != 2 || !math.IsNaN(r) {
		t.Errorf("two runs: %v %d", r, n)
	}
	runs := []*BeyondRun{byRun("B = 25", 25, 1.2, 25), byRun("B = 100", 100, 1.0, 100)}
	runs[1].Result.History = historyWithAcc(0.95)
	if s := beyondBatchConclusion(runs); !strings.Contains(s, "different training accuracies (0.9500 to 0.9900") {
		t.Errorf("batch conclusion %q", s)
	}
}
